#!/bin/bash
# `ner serve` under load from wrk on loopback: requests/s and p50/p99 latency
# for a short text (one sentence) and a long one (about 2 KB) at 1, 8 and 64
# connections, then the server's RSS before, during and after a long run of
# short requests (it must stay flat).
#
#   benchmarks/bench_serve.sh [BUILD_DIR]                    (default: build)
#
# Environment (defaults in brackets):
#   THREADS    ner serve --threads                                [2]
#   DURATION   seconds per latency run                            [10]
#   SOAK       requests in the RSS run                            [1000000]
#   MODEL      ner serve --model (empty: the default pipeline)    []
# The RSS run repeats wrk until SOAK requests are done.
# wrk (Debian package wrk) is installed with apt-get when missing and this
# runs as root or with sudo; otherwise the script says so and exits 0.
# The load generator runs on the same machine: with 2 cores, wrk's two
# threads and the server share them, so the figures are a floor.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
BUILD=${1:-$ROOT/build}
NER=$BUILD/tools/ner/ner
THREADS=${THREADS:-2}
DURATION=${DURATION:-10}
SOAK=${SOAK:-1000000}
MODEL=${MODEL:-}
[ -x "$NER" ] || { echo "no $NER: meson compile -C $BUILD first" >&2; exit 2; }

if ! command -v wrk >/dev/null; then
    SUDO=""
    [ "$(id -u)" -eq 0 ] || SUDO=sudo
    if [ -z "$SUDO" ] || sudo -n true 2>/dev/null; then
        echo "installing wrk (Debian package) ..." >&2
        $SUDO apt-get install -y -qq wrk >/dev/null 2>&1 ||
            { $SUDO apt-get update -qq && $SUDO apt-get install -y -qq wrk >/dev/null; } || true
    fi
    command -v wrk >/dev/null ||
        { echo "bench_serve: skipped, wrk is not installed (apt-get install wrk)"; exit 0; }
fi

W=$(mktemp -d /tmp/bench-serve.XXXXXX)
PID=""
cleanup() {
    [ -n "$PID" ] && kill -TERM "$PID" 2>/dev/null && wait "$PID" 2>/dev/null
    rm -rf "$W"
}
trap cleanup EXIT

SHORT='Elon Musk sold $4 billion of Tesla stock on January 15, 2025.'
LONG=""
while [ ${#LONG} -lt 2000 ]; do
    LONG="$LONG Marie Curie received the Nobel Prize in Paris in 1903. Apple opened an office in Berlin on March 3, 2021, said Tim Cook. The European Central Bank in Frankfurt raised rates by 0.25 percent. Angela Merkel met Emmanuel Macron at the Elysee Palace."
done
LONG=${LONG# }

# A wrk script per body.
lua() {  # lua FILE TEXT
    local body
    body=$(printf '%s' "$2" | /usr/bin/python3 -c 'import json,sys; print(json.dumps({"text": sys.stdin.read()}))')
    cat > "$1" <<EOF
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = [==[$body]==]
EOF
}
lua "$W/short.lua" "$SHORT"
lua "$W/long.lua" "$LONG"

args=(serve --port 0 --threads "$THREADS" --timeout 30)
[ -n "$MODEL" ] && args+=(--model "$MODEL")
"$NER" "${args[@]}" > "$W/stdout" 2> "$W/stderr" &
PID=$!
for _ in $(seq 600); do
    grep -q listening "$W/stdout" 2>/dev/null && break
    sleep 0.1
done
URL=$(sed -n 's/^listening on //p' "$W/stdout")
[ -n "$URL" ] || { echo "ner serve did not start:"; cat "$W/stderr"; exit 1; }
URL=$URL/entities
rss() { awk '/^VmRSS/ {print $2}' "/proc/$PID/status"; }
load() { cut -d' ' -f1-3 /proc/loadavg; }

echo "ner serve --threads $THREADS, $(nproc) cores; short text ${#SHORT} bytes, long text ${#LONG} bytes"
echo "started with RSS $(rss) kB; load average $(load)"
echo
echo "| text | connections | requests/s | p50 | p99 | load before |"
echo "|---|---|---|---|---|---|"
for text in short long; do
    wrk -t2 -c8 -d2 -s "$W/$text.lua" "$URL" > /dev/null   # warm-up
    for c in 1 8 64; do
        t=2; [ "$c" -lt 2 ] && t=1
        l=$(load)
        wrk -t$t -c$c -d"$DURATION" --latency -s "$W/$text.lua" "$URL" > "$W/out"
        grep -q "Non-2xx" "$W/out" && { echo "errors:"; cat "$W/out"; exit 1; }
        rps=$(awk '/^Requests\/sec/ {print $2}' "$W/out")
        p50=$(awk '$1 == "50%" {print $2}' "$W/out")
        p99=$(awk '$1 == "99%" {print $2}' "$W/out")
        echo "| $text | $c | $rps | $p50 | $p99 | $l |"
        [ "$text$c" = short8 ] && RATE=$rps
    done
done

echo
before=$(rss)
echo "soak: $SOAK short requests, 8 connections; RSS before $before kB, load $(load)"
( while kill -0 "$PID" 2>/dev/null; do rss >> "$W/rss"; sleep 5; done ) &
SAMPLER=$!
# wrk counts time, not requests: run in rounds sized from the rate measured
# above until SOAK requests are done (a busy machine slows a round; the next
# one makes up for it), and report the count made.
start=$(date +%s.%N)
done_reqs=0
while [ "$done_reqs" -lt "$SOAK" ]; do
    secs=$(awk -v n="$((SOAK - done_reqs))" -v r="$RATE" 'BEGIN {s = n / r + 1; printf "%d", (s > 60 ? 60 : s)}')
    wrk -t2 -c8 -d"$secs" -s "$W/short.lua" "$URL" > "$W/soak"
    if grep -q "Non-2xx" "$W/soak"; then
        kill "$SAMPLER" 2>/dev/null || true
        echo "errors:"; cat "$W/soak"; exit 1
    fi
    round=$(awk '/requests in/ {print $1}' "$W/soak")
    if [ "${round:-0}" -eq 0 ]; then
        kill "$SAMPLER" 2>/dev/null || true
        echo "soak: a round made no requests (server gone?):"; cat "$W/soak"; exit 1
    fi
    done_reqs=$((done_reqs + round))
done
end=$(date +%s.%N)
kill "$SAMPLER" 2>/dev/null || true
after=$(rss)
echo "soak: $done_reqs requests in $(awk -v a="$start" -v b="$end" 'BEGIN {printf "%.1f", b - a}') s;" \
     "RSS after $after kB (samples every 5 s: min $(sort -n "$W/rss" | head -1)," \
     "max $(sort -n "$W/rss" | tail -1) kB); load $(load)"
