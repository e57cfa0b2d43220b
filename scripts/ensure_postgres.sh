#!/bin/sh
# Make PostgreSQL server binaries available for the test suite (tests/pg.py starts a throw-away server).
# Idempotent: does nothing when initdb is already under /usr/lib/postgresql/*/bin.
# Always exits 0: without PostgreSQL the PostgreSQL tests are skipped with a message saying why.
set -u

have_initdb() {
    for f in /usr/lib/postgresql/*/bin/initdb; do
        [ -x "$f" ] && return 0
    done
    return 1
}

if have_initdb; then
    echo "ensure_postgres: PostgreSQL found: $(ls -d /usr/lib/postgresql/*/bin | tail -n 1)"
    exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
    echo "ensure_postgres: no apt-get on this machine; install PostgreSQL server binaries yourself" \
         "(PostgreSQL tests will be skipped)"
    exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
    SUDO="sudo -n"
    if ! $SUDO true 2>/dev/null; then
        echo "ensure_postgres: not root and no passwordless sudo; run 'apt-get install postgresql' as root" \
             "(PostgreSQL tests will be skipped)"
        exit 0
    fi
else
    SUDO=""
fi
echo "ensure_postgres: installing Debian's postgresql package ..."
if $SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -q >/dev/null \
   && $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends postgresql >/dev/null; then
    # Debian's package starts a cluster on 5432; the tests use their own, so stop it when we can.
    if command -v pg_ctlcluster >/dev/null 2>&1; then
        for c in /etc/postgresql/*/main; do
            [ -d "$c" ] && $SUDO pg_ctlcluster "$(basename "$(dirname "$c")")" main stop >/dev/null 2>&1 || true
        done
    fi
    if have_initdb; then
        echo "ensure_postgres: installed $(ls -d /usr/lib/postgresql/*/bin | tail -n 1)"
    else
        echo "ensure_postgres: postgresql installed but no initdb under /usr/lib/postgresql/*/bin" \
             "(PostgreSQL tests will be skipped)"
    fi
else
    echo "ensure_postgres: apt-get could not install postgresql (no network or repository?);" \
         "PostgreSQL tests will be skipped"
fi
exit 0
