#!/bin/sh
# Make the dashboard's browser test tools available (tests/dashboard/browser.py drives a headless
# Chromium with Selenium): Debian's chromium and chromium-driver, whose chromedriver matches the
# browser's version, so Selenium Manager never has to download one.
# Idempotent: installs only when chromium or chromedriver is missing from PATH.
# Always exits 0: without them the browser test is skipped with a message saying why (in CI it
# fails instead).
set -u

WHO=ensure_chromium
SKIPPED="the browser test will be skipped"
. "$(dirname "$0")/apt_install.sh"

if ! command -v chromium >/dev/null 2>&1 || ! command -v chromedriver >/dev/null 2>&1; then
    apt_install chromium chromium-driver || exit 0
fi
if ! command -v chromium >/dev/null 2>&1 || ! command -v chromedriver >/dev/null 2>&1; then
    echo "ensure_chromium: chromium or chromedriver still not on PATH; the browser test will be skipped"
    exit 0
fi
echo "ensure_chromium: $(chromium --version 2>/dev/null), $(chromedriver --version 2>/dev/null)"
exit 0
