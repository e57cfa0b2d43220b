#!/bin/sh
# Make the dashboard's browser test tools available (tests/dashboard/browser.py drives a headless
# Chromium with Selenium): Debian's chromium and chromium-driver, whose chromedriver matches the
# browser's version, so Selenium Manager never has to download one.
# Idempotent: installs only when chromium or chromedriver is missing from PATH.
# Always exits 0: without them the browser test is skipped with a message saying why (in CI it
# fails instead).
set -u

apt_install() {
    # apt_install PACKAGE...: as root or with passwordless sudo; says why not and returns 1 otherwise.
    if ! command -v apt-get >/dev/null 2>&1; then
        echo "ensure_chromium: no apt-get on this machine; install $* yourself (the browser test will be skipped)"
        return 1
    fi
    if [ "$(id -u)" -eq 0 ]; then
        SUDO=""
    elif sudo -n true 2>/dev/null; then
        SUDO="sudo -n"
    else
        echo "ensure_chromium: not root and no passwordless sudo; run 'apt-get install $*' as root" \
             "(the browser test will be skipped)"
        return 1
    fi
    echo "ensure_chromium: installing Debian's $* ..."
    if [ -z "${APT_UPDATED:-}" ]; then
        $SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -q >/dev/null && APT_UPDATED=1
    fi
    if ! $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$@" >/dev/null; then
        echo "ensure_chromium: apt-get could not install $* (no network or repository?);" \
             "the browser test will be skipped"
        return 1
    fi
}

if ! command -v chromium >/dev/null 2>&1 || ! command -v chromedriver >/dev/null 2>&1; then
    apt_install chromium chromium-driver || exit 0
fi
if ! command -v chromium >/dev/null 2>&1 || ! command -v chromedriver >/dev/null 2>&1; then
    echo "ensure_chromium: chromium or chromedriver still not on PATH; the browser test will be skipped"
    exit 0
fi
echo "ensure_chromium: $(chromium --version 2>/dev/null), $(chromedriver --version 2>/dev/null)"
exit 0
