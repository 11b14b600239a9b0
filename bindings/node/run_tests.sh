#!/bin/sh
# Runs the Node binding's tests against a built libner:
#   run_tests.sh SOURCE_DIR WORK_DIR LIBNER_PATH
# The package is copied to WORK_DIR (in the build tree, so the source tree
# gets no node_modules), its pinned dependencies installed there with
# `npm ci` (from npm's cache first) when missing or when package-lock.json
# changed, then `node --test` runs.  Exit 77 (meson: skipped) without node.
set -eu
src=$1 work=$2 lib=$3
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
    echo "node or npm not found: the Node binding tests are skipped" \
         "(scripts/deps.sh installs them)"
    exit 77
fi
# A sanitizer runtime must be loaded first, before node's own libraries:
# the binding is not what these builds check.
if ldd "$lib" 2>/dev/null | grep -q 'lib[at]san'; then
    echo "$lib is built with a sanitizer: the Node binding tests are skipped"
    exit 77
fi
mkdir -p "$work/test"
cp "$src/package.json" "$src/package-lock.json" "$src/index.js" "$work/"
rm -f "$work"/test/*.test.js
cp "$src"/test/*.test.js "$work/test/"
if [ ! -d "$work/node_modules" ] || ! cmp -s "$src/package-lock.json" "$work/.lock-installed"; then
    (cd "$work" && { npm ci --offline --no-audit --no-fund >npm.log 2>&1 ||
                     npm ci --no-audit --no-fund >npm.log 2>&1; }) || {
        echo "npm ci failed in $work:"; cat "$work/npm.log"; exit 1; }
    cp "$src/package-lock.json" "$work/.lock-installed"
fi
cd "$work"
LIBNER_PATH=$lib exec node --test test/
