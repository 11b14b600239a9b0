#!/bin/bash
# libner's BERT encoder side by side with PyTorch and ONNX Runtime (fp32), on a
# bert-base-shaped random model and CoNLL dev sentences, batch 1 and 32, 1 and
# 2 threads; plus OpenBLAS's sgemm peak for the same shapes.
#
#   benchmarks/bench_bert_peers.sh [REPS]            (default 1; medians over REPS)
#
# Environment (defaults in brackets):
#   BUILD      meson build dir with benchmarks/bench_bert            [build]
#   SHARED     the shared folder (peers/, data/)                       [../shared]
#   WORK       where big regenerable files go, OUTSIDE the repo        [/tmp/libner-bench-bert]
#   ORT_NODE_DIR  a folder where `ONNXRUNTIME_NODE_INSTALL=skip npm install
#              onnxruntime-node@1.30.0` was run (outside the repo); ORT is
#              skipped when it is missing
#   N          sentences at batch 1 (batch 32 runs 8 batches)          [128]
#   PEERS      which to run: "libner libner-bf16 libner-int8 torch ort ort-int8 sgemm"
#              [all] (libner-bf16 / -int8: NN_PRECISION_BF16 / _INT8; ort-int8:
#              export_onnx.py --int8, ORT's dynamic quantisation)
# Writes $WORK/results.jsonl (one line per run, with /usr/bin/time -v's max
# RSS) and prints a markdown table: median and best of the repetitions
# (reps are outermost, so a burst of load from another process hits one rep
# of each configuration rather than every rep of one).  The bert-base model (431 MB),
# its ONNX export and the id files are made once in $WORK with the peers'
# scripts; nothing is written into the repository.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
BUILD=${BUILD:-$ROOT/build}
SHARED=${SHARED:-$ROOT/../shared}
W=${WORK:-/tmp/libner-bench-bert}
NODE_DIR=${ORT_NODE_DIR:-}
N=${N:-128}
PEERS=${PEERS:-libner libner-bf16 libner-int8 torch ort ort-int8 sgemm}
REPS=${1:-1}
PY=/usr/bin/python3
P=$SHARED/peers
OUT=$W/results.jsonl
BENCH=$BUILD/benchmarks/bench_bert
case "$W" in "$ROOT"|"$ROOT"/*) echo "WORK must be outside the repository" >&2; exit 2;; esac
[ -x "$BENCH" ] || { echo "no $BENCH: meson compile -C $BUILD first" >&2; exit 2; }
mkdir -p "$W"
: > "$OUT"

# --- inputs, built once (as ../shared/peers/run_all.sh builds them)
DATA=$SHARED/data/conll2003
[ -f "$W/train.txt" ] || $PY "$P/sentences.py" "$W/train.txt" "$DATA/eng.train" --n 0 >/dev/null
[ -f "$W/dev.txt" ] || $PY "$P/sentences.py" "$W/dev.txt" "$DATA/eng.testa" --n 2000 >/dev/null
[ -f "$W/bert-base/model.safetensors" ] ||
    $PY "$P/make_bert.py" --preset base --vocab-text "$W/train.txt" --out "$W/bert-base" >/dev/null
[ -f "$W/dev.ids.json" ] || $PY "$P/encode.py" "$W/bert-base" "$W/dev.txt" "$W/dev.ids.json" >/dev/null
if [[ " $PEERS " == *" ort"* ]]; then
    if [ -z "$NODE_DIR" ] || [ ! -d "$NODE_DIR/node_modules/onnxruntime-node" ]; then
        echo "ORT_NODE_DIR not set up: ONNX Runtime skipped (see ../shared/peers/README.md)" >&2
        PEERS=${PEERS//ort-int8/}
        PEERS=${PEERS//ort/}
    else
        [ -f "$W/bert-base/model.onnx" ] || $PY "$P/export_onnx.py" "$W/bert-base" >/dev/null 2>&1
        if [[ " $PEERS " == *" ort-int8 "* ]]; then
            [ -f "$W/bert-base/model.int8.onnx" ] ||
                $PY "$P/export_onnx.py" "$W/bert-base" --int8 >/dev/null 2>&1
        fi
    fi
fi
[ -x "$W/gemm_peak" ] || gcc -O2 -o "$W/gemm_peak" "$P/gemm_peak.c" $(pkg-config --cflags --libs openblas)

# run LABEL CMD...: one JSON line per result line of CMD, with max RSS
run() {
    local label=$1; shift
    if ! /usr/bin/time -v "$@" > "$W/run.out" 2> "$W/run.err"; then
        echo "FAILED: $label" >&2; tail -5 "$W/run.err" >&2; return 0
    fi
    local rss; rss=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$W/run.err")
    grep '^{' "$W/run.out" | while read -r line; do
        echo "{\"label\":\"$label\",\"rep\":$rep,\"time_v_max_rss_kb\":$rss,\"r\":$line}" >> "$OUT"
    done
    echo "$(date +%T) rep $rep: $label" >&2
}

TORCH=($PY "$P/bench_torch.py" "$W/bert-base" "$W/dev.txt")
ORT=(env ORT_NODE_DIR="$NODE_DIR" node "$P/bench_ort.mjs" "$W/bert-base/model.onnx" "$W/dev.ids.json")
ORT8=(env ORT_NODE_DIR="$NODE_DIR" node "$P/bench_ort.mjs" "$W/bert-base/model.int8.onnx" "$W/dev.ids.json")
LIBNER=("$BENCH" "$W/bert-base" "$W/dev.ids.json")
has() { [[ " $PEERS " == *" $1 "* ]]; }

for rep in $(seq 1 "$REPS"); do
    if has sgemm; then
        run "sgemm t1" "$W/gemm_peak" 1 0.2
        run "sgemm t2" "$W/gemm_peak" 2 0.2
    fi
    for b in 1 32; do
        nb=$N; [ "$b" = 1 ] || nb=$((8 * b))
        for t in 1 2; do
            if has libner; then run "libner fp32 b$b t$t" "${LIBNER[@]}" --n "$nb" --batch $b --threads $t; fi
            if has torch; then
                if [ "$t" = 1 ]; then run "torch fp32 b$b t1" "${TORCH[@]}" --n "$nb" --batch $b --threads 1
                else run "torch fp32 b$b t2 (omp passive)" "${TORCH[@]}" --n "$nb" --batch $b --threads 2 --omp-passive; fi
            fi
            if has ort; then run "ort fp32 b$b t$t" "${ORT[@]}" --n "$nb" --batch $b --threads $t; fi
            if has libner-bf16; then
                run "libner bf16 b$b t$t" "${LIBNER[@]}" --n "$nb" --batch $b --threads $t --precision bf16
            fi
            if has libner-int8; then
                run "libner int8 b$b t$t" "${LIBNER[@]}" --n "$nb" --batch $b --threads $t --precision int8
            fi
            if has ort-int8; then run "ort int8 b$b t$t" "${ORT8[@]}" --n "$nb" --batch $b --threads $t; fi
        done
    done
    if has libner; then
        run "libner fp32 b32 t2 sorted" "${LIBNER[@]}" --n $((8 * 32)) --batch 32 --threads 2 --sort
        run "libner openblas b1 t1" "${LIBNER[@]}" --n "$N" --batch 1 --threads 1 --kernel blas
    fi
done

$PY - "$OUT" <<'PY'
import collections, json, statistics, sys
runs, gemm = collections.defaultdict(list), collections.defaultdict(list)
for line in open(sys.argv[1]):
    d = json.loads(line); r = d["r"]
    if d["label"].startswith("sgemm"):
        if r.get("shape") == "bert-layer-mix":
            gemm[(d["label"], r["M"])].append(r["gflops"])
        continue
    r["rss"] = d["time_v_max_rss_kb"] / 1024
    runs[d["label"]].append(r)
med = statistics.median
# the machine is shared: the best rep shows what the code does, the median
# what a busy machine gives; both are printed
print("| run | reps | tokens (padded) | sent/s median | sent/s best | ms/sent (best) | GFLOP/s (best, real tokens) | max RSS MB |")
print("|---|---|---|---|---|---|---|---|")
for label, rs in runs.items():
    m = lambda k: med([x.get(k, x.get("mean_tokens")) for x in rs])
    b = max(rs, key=lambda x: x["sent_per_s"])
    print(f"| {label} | {len(rs)} | {m('mean_tokens'):.1f} ({m('mean_padded_tokens'):.1f}) | {m('sent_per_s'):.1f} "
          f"| {b['sent_per_s']:.1f} | {b['ms_per_sent']:.1f} | {b['gflops_real_tokens']:.0f} | {m('rss'):.0f} |")
if gemm:
    Ms = sorted({M for _, M in gemm})
    print()
    print("| OpenBLAS sgemm, BERT layer mix, GFLOP/s | " + " | ".join(f"M={M}" for M in Ms) + " |")
    print("|---" * (len(Ms) + 1) + "|")
    for lab in sorted({l for l, _ in gemm}):
        print(f"| {lab} | " + " | ".join(f"{med(gemm[(lab, M)]):.0f}" for M in Ms) + " |")
PY
