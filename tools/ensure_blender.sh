#!/usr/bin/env bash
# Make sure Debian's `blender` is on PATH: the worker suite and the demo render with it for real.
# Idempotent: does nothing when `blender` is already there. Otherwise, as root on Debian/Ubuntu,
# installs Debian's `blender` package quietly. Prints one line; exits 0 only if `blender` runs.
set -euo pipefail

if command -v blender >/dev/null 2>&1; then
    echo "ensure_blender: $(blender --version 2>/dev/null | head -n 1) found; nothing to do"
    exit 0
fi
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "ensure_blender: blender not found and cannot install it here;" \
        "install Debian's blender package (sudo apt-get install blender)" >&2
    exit 1
fi
log=$(mktemp /tmp/ensure_blender.XXXXXX.log)
export DEBIAN_FRONTEND=noninteractive
if apt-get update -qq >"$log" 2>&1 &&
    apt-get install -y -qq -o DPkg::Lock::Timeout=300 blender >>"$log" 2>&1 &&
    command -v blender >/dev/null 2>&1; then
    echo "ensure_blender: installed $(blender --version 2>/dev/null | head -n 1)"
    rm -f "$log"
    exit 0
fi
echo "ensure_blender: installing Debian's blender package failed (full log: $log)" >&2
tail -n 30 "$log" >&2
exit 1
