#!/bin/sh
# Installs what building and testing libner needs, from Debian's archive.
# Safe to run again: it installs only what is missing.
set -eu
PKGS="meson ninja-build pkg-config gcc g++ binutils python3 python3-pytest
libopenblas-dev libpcre2-dev libutf8proc-dev libjansson-dev libcmocka-dev
libsqlite3-dev
chromium
nodejs
python3-dask python3-distributed
libmicrohttpd-dev"
missing=""
for p in $PKGS; do
    dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"
done
if [ -n "$missing" ]; then
    SUDO=""
    [ "$(id -u)" -eq 0 ] || SUDO=sudo
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $missing
fi
# node from another archive (NodeSource) brings its own npm; Debian's nodejs
# does not, and Debian's npm would clash with the other one.
if ! command -v npm >/dev/null 2>&1; then
    SUDO=""
    [ "$(id -u)" -eq 0 ] || SUDO=sudo
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq npm
fi
