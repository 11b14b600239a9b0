#!/bin/sh
# Entity linking on AIDA CoNLL-YAGO: a KB from the train split only, the
# linker fitted on train, measured on dev (testa).
#
#   benchmarks/aida_linking.sh BUILD_DIR [SHARED_DATA_DIR] [WORK_DIR]
#
# BUILD_DIR holds the built `ner` (tools/ner/ner); SHARED_DATA_DIR defaults
# to $LIBNER_SHARED_DIR/data, else ../shared/data next to the source tree;
# WORK_DIR receives the converted data, the KBs and the reports (default: a
# folder under /tmp, removed at the end unless AIDA_KEEP=1).  Exits 77
# (skipped) without the data, 1 when the fitted linker does not beat the
# highest-prior baseline.
# Prints a Markdown table: accuracy over linkable mentions, in-KB accuracy
# (accuracy where the gold entity is among the candidates), NIL precision
# (predicted NIL that AIDA marks --NME--), the same counting a gold entity
# missing from the train-only KB as a right NIL, candidate recall.
#
# Rows:
#   prior, exact         the highest-prior candidate of the exact alias
#                        (the issue's baseline: 66.5% with the XML's
#                        surface forms; the documents here are CoNLL tokens
#                        joined by spaces, so "P.Simmons" reads "P. Simmons")
#   prior, norm          the same with case-folded and normalised lookup
#   fitted, no context   weights fitted on train without context profiles
#   fitted, exact/norm   weights and context profiles fitted on train
# each at threshold 0 (never NIL when there is a candidate) and at the NIL
# threshold fitted on train.
set -eu
build=${1:?usage: aida_linking.sh BUILD_DIR [SHARED_DATA_DIR] [WORK_DIR]}
here=$(cd "$(dirname "$0")" && pwd)
if [ -n "${LIBNER_SHARED_DIR:-}" ]; then
    data=${2:-$LIBNER_SHARED_DIR/data}
else
    data=${2:-$here/../../shared/data}
fi
if [ -n "${3:-}" ]; then
    work=$3
else
    work=$(mktemp -d /tmp/aida_linking.XXXXXX)
    [ "${AIDA_KEEP:-0}" = 1 ] || trap 'rm -rf "$work"' EXIT
fi
ner=$build/tools/ner/ner
window=${AIDA_WINDOW:-100000}

if [ ! -f "$data/el/aida_train_mentions.tsv" ]; then
    echo "aida_linking: no AIDA data in $data/el (see shared/data/SOURCES.md); skipped" >&2
    exit 77
fi
mkdir -p "$work"
python3 "$here/aida_prepare.py" "$data" "$work"
"$ner" kb build --quiet --entities "$work/entities.jsonl" \
    --aliases "$work/aliases.tsv" --output "$work/kb" >&2

prior='"weights":{"bias":0,"prior":1,"type_agree":0,"type_disagree":0,"context":0,"has_profile":0,"description":0,"level_fold":0,"level_norm":0,"top_prior":0,"ambiguity":0}'

# Fit twice: without profiles (prior, type and level features only) and
# with them.  The alias table was counted from the train mentions, hence
# --priors-from-data.
rm -rf "$work/fit-noctx" "$work/fit"
"$ner" kb fit --quiet --priors-from-data --no-profiles --kb "$work/kb" \
    --data "$work/train.jsonl" --output "$work/fit-noctx" \
    --config "{\"window\":$window,\"weights\":{\"context\":0,\"has_profile\":0}}" \
    > "$work/fit-noctx.json"
t0=$(date +%s.%N)
"$ner" kb fit --quiet --priors-from-data --kb "$work/kb" --data "$work/train.jsonl" \
    --output "$work/fit" --config "{\"window\":$window}" > "$work/fit.json"
t1=$(date +%s.%N)

run() {  # name kb config
    "$ner" kb evaluate --kb "$2" --data "$work/dev.jsonl" --config "$3" \
        > "$work/eval.json"
    cp "$work/eval.json" "$work/eval-$(echo "$1" | tr -c 'a-z0-9\n' _).json"
    python3 - "$1" "$work/eval.json" <<'EOF'
import json, sys
r = json.load(open(sys.argv[2]))
print("| %s | %.1f%% | %.1f%% | %.1f%% | %.1f%% | %.1f%% | %d |" % (
    sys.argv[1], 100 * r["accuracy"], 100 * r["in_kb_accuracy"],
    100 * r["nil_precision"], 100 * r["nil_kb_precision"],
    100 * r["candidate_recall"], r["predicted_nil"]))
EOF
}

thr() { python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['threshold'])" "$1"; }

echo "AIDA CoNLL-YAGO, measured on dev (testa, 5917 mentions, 216 documents); $(python3 -c "import json,sys; r=json.load(open(sys.argv[1])); print('fitted on train (%d mentions, %d documents, %d context profiles) in %.1f s' % (r['mentions'], r['docs'], r['profiles'], float(sys.argv[2])))" "$work/fit.json" "$(echo "$t1 - $t0" | bc)")"
echo
echo "| linker | accuracy | in-KB accuracy | NIL precision | NIL precision (outside the KB) | candidate recall | predicted NIL |"
echo "| --- | --- | --- | --- | --- | --- | --- |"
run "prior, exact lookup" "$work/kb" "{\"max_level\":\"exact\",\"threshold\":0,$prior}"
run "prior, normalised lookup" "$work/kb" "{\"max_level\":\"norm\",\"threshold\":0,$prior}"
run "fitted without context, normalised, threshold 0" "$work/fit-noctx" '{"threshold":0}'
run "fitted, exact lookup, threshold 0" "$work/fit" '{"max_level":"exact","threshold":0}'
run "fitted, normalised lookup, threshold 0" "$work/fit" '{"threshold":0}'
run "fitted, exact lookup, threshold $(thr "$work/fit.json")" "$work/fit" '{"max_level":"exact"}'
run "fitted, normalised lookup, threshold $(thr "$work/fit.json")" "$work/fit" '{}'
echo
echo "weights: $(python3 -c "import json,sys; r=json.load(open(sys.argv[1])); print(json.dumps({k: round(v, 2) for k, v in r['weights'].items()}))" "$work/fit.json")"
[ "${AIDA_KEEP:-0}" = 1 ] && echo "(work files in $work)"
python3 - "$work" <<'EOF'
import glob, json, os, sys
w = sys.argv[1]
base = json.load(open(os.path.join(w, "eval-prior__exact_lookup.json")))["accuracy"]
fitted = json.load(open(os.path.join(w, "eval-fitted__normalised_lookup__threshold_0.json")))["accuracy"]
if fitted <= base:
    print("aida_linking: the fitted linker (%.4f) does not beat the prior baseline (%.4f)"
          % (fitted, base), file=sys.stderr)
    sys.exit(1)
EOF
