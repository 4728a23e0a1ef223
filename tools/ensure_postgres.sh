#!/usr/bin/env bash
# Make sure PostgreSQL server binaries exist for the test suite's throwaway servers
# (tests/pg_server.py runs initdb/pg_ctl from them in a temp dir; nothing else is used).
# Idempotent: does nothing when they are already there. Otherwise, as root on Debian/Ubuntu,
# installs Debian's `postgresql` package quietly. Prints one line; exits 0 only if the binaries
# are available afterwards. The package may create and start its own `main` cluster: harmless,
# the tests never use it.
set -euo pipefail

find_bindir() {
    local pg_ctl bindir
    # Highest version first, as tests/pg_server.py picks it.
    pg_ctl=$(compgen -G '/usr/lib/postgresql/*/bin/pg_ctl' | sort -V | tail -n 1 || true)
    if [ -n "$pg_ctl" ]; then
        dirname "$pg_ctl"
        return 0
    fi
    if command -v pg_config >/dev/null 2>&1; then
        bindir=$(pg_config --bindir 2>/dev/null || true)
        if [ -n "$bindir" ] && [ -x "$bindir/pg_ctl" ]; then
            echo "$bindir"
            return 0
        fi
    fi
    return 1
}

if bindir=$(find_bindir); then
    echo "ensure_postgres: PostgreSQL server binaries found in $bindir; nothing to do"
    exit 0
fi

if [ "$(id -u)" != 0 ]; then
    echo "ensure_postgres: PostgreSQL server binaries not found and not root, so not installing;" \
        "install Debian's postgresql package (sudo apt-get install postgresql)" >&2
    exit 1
fi
if ! command -v apt-get >/dev/null 2>&1; then
    echo "ensure_postgres: PostgreSQL server binaries not found and apt-get is missing;" \
        "install PostgreSQL's server (initdb, pg_ctl) by hand" >&2
    exit 1
fi

log=$(mktemp /tmp/ensure_postgres.XXXXXX.log)
export DEBIAN_FRONTEND=noninteractive
if apt-get update -qq >"$log" 2>&1 &&
    apt-get install -y -qq --no-install-recommends -o DPkg::Lock::Timeout=300 postgresql \
        >>"$log" 2>&1 &&
    bindir=$(find_bindir); then
    version=$(dpkg-query -W -f '${Version}' postgresql 2>/dev/null || echo '?')
    echo "ensure_postgres: installed Debian's postgresql package ($version); binaries in $bindir"
    rm -f "$log"
    exit 0
fi
echo "ensure_postgres: installing Debian's postgresql package failed; apt-get output follows" \
    "(full log: $log)" >&2
tail -n 30 "$log" >&2
exit 1
