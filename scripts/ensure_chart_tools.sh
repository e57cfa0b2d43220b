#!/bin/sh
# Make the chart test's tools available (tests/render/test_charts_draw.py draws every chart with the
# real VChart in Node): Debian's fonts-wqy-microhei for Chinese labels, Node.js and npm, and the
# renderer's pinned packages in tests/render/vchart/node_modules (npm ci from its package-lock.json).
# Idempotent: installs only what is missing, and runs npm ci again only when the lock file changed.
# Always exits 0: without the tools the chart test is skipped with a message saying why (in CI it
# fails instead).
set -u

RENDERER="$(cd "$(dirname "$0")/.." && pwd)/tests/render/vchart"
FONT=/usr/share/fonts/truetype/wqy/wqy-microhei.ttc

WHO=ensure_chart_tools
SKIPPED="the chart test will be skipped"
. "$(dirname "$0")/apt_install.sh"

if [ -f "$FONT" ]; then
    echo "ensure_chart_tools: CJK font found: $FONT"
else
    apt_install fonts-wqy-microhei && [ -f "$FONT" ] && echo "ensure_chart_tools: installed $FONT"
fi

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
    apt_install nodejs npm || exit 0
fi
echo "ensure_chart_tools: Node.js $(node --version), npm $(npm --version)"

stamp="$RENDERER/node_modules/.package-lock.json"  # npm writes it at the end of every install
if [ -f "$stamp" ] && [ ! "$RENDERER/package-lock.json" -nt "$stamp" ] && [ ! "$RENDERER/package.json" -nt "$stamp" ]; then
    echo "ensure_chart_tools: renderer packages up to date in $RENDERER/node_modules"
    exit 0
fi
echo "ensure_chart_tools: npm ci in $RENDERER ..."
if (cd "$RENDERER" && npm ci --no-audit --no-fund --loglevel=error >/dev/null); then
    echo "ensure_chart_tools: installed $(cd "$RENDERER" && node -p \
        "Object.keys(require('./package.json').dependencies).map(n => n + '@' + require(n + '/package.json').version).join(', ')")"
else
    echo "ensure_chart_tools: npm ci failed in $RENDERER (no registry?); the chart test will be skipped"
fi
exit 0
