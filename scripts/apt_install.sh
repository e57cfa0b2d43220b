# Sourced by the ensure_*.sh scripts (POSIX sh). Before sourcing, set
#   WHO      the script's name, printed before each message;
#   SKIPPED  what happens without the packages, e.g. "the chart test will be skipped".
# apt_install PACKAGE...: installs Debian packages as root or with passwordless sudo (apt-get
# update once per run, no recommends); says why not and returns 1 otherwise.
apt_install() {
    if ! command -v apt-get >/dev/null 2>&1; then
        echo "$WHO: no apt-get on this machine; install $* yourself ($SKIPPED)"
        return 1
    fi
    if [ "$(id -u)" -eq 0 ]; then
        SUDO=""
    elif sudo -n true 2>/dev/null; then
        SUDO="sudo -n"
    else
        echo "$WHO: not root and no passwordless sudo; run 'apt-get install $*' as root ($SKIPPED)"
        return 1
    fi
    echo "$WHO: installing Debian's $* ..."
    if [ -z "${APT_UPDATED:-}" ]; then
        $SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -q >/dev/null && APT_UPDATED=1
    fi
    if ! $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$@" >/dev/null; then
        echo "$WHO: apt-get could not install $* (no network or repository?); $SKIPPED"
        return 1
    fi
}
