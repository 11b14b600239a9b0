#!/bin/sh
# Builds libner three ways and runs every test:
#   build-ci    warnings as errors; all tests, pytest included
#   build-asan  AddressSanitizer + UndefinedBehaviorSanitizer (+ LeakSanitizer)
#   build-tsan  ThreadSanitizer, on the concurrency tests
set -eu
cd "$(dirname "$0")/.."
sh scripts/deps.sh

setup() { # dir, options...
    dir=$1
    shift
    if [ -d "$dir" ]; then
        meson setup --reconfigure "$dir" "$@" >/dev/null
    else
        meson setup "$dir" "$@" >/dev/null
    fi
}

echo "== build-ci: -Werror, all tests"
setup build-ci --werror --buildtype=debugoptimized
meson compile -C build-ci
meson test -C build-ci --print-errorlogs --num-processes 2

echo "== build-asan: AddressSanitizer + UndefinedBehaviorSanitizer"
setup build-asan --werror --buildtype=debug -Db_sanitize=address,undefined -Db_lundef=false
meson compile -C build-asan
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
    meson test -C build-asan --print-errorlogs --no-suite python --no-suite slow --num-processes 2 \
    --timeout-multiplier 3

echo "== build-tsan: ThreadSanitizer on the concurrency tests"
setup build-tsan --buildtype=debugoptimized -Db_sanitize=thread -Db_lundef=false
meson compile -C build-tsan
TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1 \
    meson test -C build-tsan --print-errorlogs --suite threads --timeout-multiplier 4

echo "== all test builds passed"
