#!/usr/bin/env python3
"""Scores the built-in English rules on the labelled sentences of
tests/fixtures/rules (dev.txt, test.txt, fresh.txt, fresh2.txt): precision and recall per label,
exact span match, through the `ner` command line program.

    eval_rules.py --ner PATH [--model DIR | --ruler-only]
                  [--set dev|test|fresh|fresh2|all]
                  [--errors] [--jsonl OUT] [--min-precision P]
                  [--min-recall R]

--ruler-only scores a pipeline of the tokenizer and the entity_ruler of
models/en_default (a temporary folder pointing at it), so that no model
takes tokens first; without it, --model (default: the default pipeline
models/en_default) is scored as it is.  Predicted labels outside the ten
rule labels (PER, ORG, ...) are ignored.  --jsonl writes the gold data in
the seed JSONL format ({"text", "entities": [[start, end, label]]}, code
points).  With --min-precision / --min-recall the exit status is 1 when the
micro precision / recall is lower (a test).
"""

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile

LABELS = ["DATE", "TIME", "MONEY", "PERCENT", "QUANTITY", "CARDINAL",
          "ORDINAL", "EMAIL", "URL", "PHONE"]
HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.environ.get("LIBNER_SOURCE_ROOT") or os.path.normpath(
    os.path.join(HERE, "..", ".."))
FIXTURES = os.path.join(ROOT, "tests", "fixtures", "rules")
MARK = re.compile(r"\[([^\[\]|]+)\|([A-Z]+)\]")


def parse_markup(path):
    """[(text, [(start, end, label)])] with code-point offsets."""
    out = []
    with open(path, encoding="utf-8") as f:
        for lineno, line in enumerate(f, 1):
            line = line.rstrip("\n")
            if not line.strip() or line.startswith("#"):
                continue
            text, ents, pos = "", [], 0
            for m in MARK.finditer(line):
                text += line[pos:m.start()]
                start = len(text)
                text += m.group(1)
                if m.group(2) not in LABELS:
                    raise SystemExit("%s:%d: unknown label %s" % (path, lineno, m.group(2)))
                ents.append((start, len(text), m.group(2)))
                pos = m.end()
            text += line[pos:]
            if "[" in text or "]" in text or "|" in text:
                raise SystemExit("%s:%d: stray markup" % (path, lineno))
            out.append((text, ents))
    return out


def ruler_only_model(tmp):
    src = os.path.join(ROOT, "models", "en_default", "pipeline.json")
    with open(src, encoding="utf-8") as f:
        pj = json.load(f)
    comps = [c for c in pj["components"]
             if c["factory"] in ("tokenizer", "entity_ruler")]
    pj["components"] = comps
    pj["labels"] = []
    with open(os.path.join(tmp, "pipeline.json"), "w", encoding="utf-8") as f:
        json.dump(pj, f)
    for c in comps:
        d = os.path.join(ROOT, "models", "en_default", c.get("name", c["factory"]))
        if os.path.isdir(d):
            os.symlink(d, os.path.join(tmp, c.get("name", c["factory"])))
    return tmp


def predict(ner, model, texts):
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False,
                                     encoding="utf-8") as f:
        f.write("\n".join(texts) + "\n")
        inp = f.name
    try:
        cmd = [ner, "run", "--input", inp, "--format", "jsonl"]
        if model:
            cmd[2:2] = ["--model", model]
        r = subprocess.run(cmd, capture_output=True, text=True, encoding="utf-8")
    finally:
        os.unlink(inp)
    if r.returncode != 0:
        raise SystemExit("ner run failed (%d): %s" % (r.returncode, r.stderr))
    docs = [json.loads(l) for l in r.stdout.splitlines() if l.strip()]
    if len(docs) != len(texts):
        raise SystemExit("ner run gave %d docs for %d texts" % (len(docs), len(texts)))
    out = []
    for text, d in zip(texts, docs):
        assert d["text"] == text
        out.append([(e["start"], e["end"], e["label"]) for e in d["ents"]
                    if e["label"] in LABELS])
    return out


def score(data, preds):
    tp = {l: 0 for l in LABELS}
    fp = dict(tp)
    fn = dict(tp)
    errors = []
    for (text, gold), pred in zip(data, preds):
        g, p = set(gold), set(pred)
        for s in p & g:
            tp[s[2]] += 1
        for s in p - g:
            fp[s[2]] += 1
        for s in g - p:
            fn[s[2]] += 1
        if g != p:
            errors.append((text, sorted(g - p), sorted(p - g)))
    return tp, fp, fn, errors


def prf(tp, fp, fn):
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    return p, r


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ner", required=True)
    ap.add_argument("--model")
    ap.add_argument("--ruler-only", action="store_true")
    ap.add_argument("--set", default="all", choices=["dev", "test", "fresh", "fresh2", "all"])
    ap.add_argument("--errors", action="store_true")
    ap.add_argument("--jsonl")
    ap.add_argument("--min-precision", type=float)
    ap.add_argument("--min-recall", type=float)
    a = ap.parse_args()
    sets = ["dev", "test", "fresh", "fresh2"] if a.set == "all" else [a.set]
    data = []
    for s in sets:
        data += parse_markup(os.path.join(FIXTURES, s + ".txt"))
    if a.jsonl:
        with open(a.jsonl, "w", encoding="utf-8") as f:
            for text, ents in data:
                f.write(json.dumps({"text": text, "entities": [list(e) for e in ents]},
                                   ensure_ascii=False) + "\n")
    with tempfile.TemporaryDirectory() as tmp:
        model = ruler_only_model(tmp) if a.ruler_only else (
            a.model or os.path.join(ROOT, "models", "en_default"))
        preds = predict(a.ner, model, [t for t, _ in data])
    tp, fp, fn, errors = score(data, preds)
    what = "tokenizer + entity_ruler" if a.ruler_only else model
    print("%d sentences (%s), pipeline: %s" % (len(data), "+".join(sets), what))
    print("%-10s %7s %7s %5s %5s %5s" % ("label", "P", "R", "tp", "fp", "fn"))
    for l in LABELS:
        p, r = prf(tp[l], fp[l], fn[l])
        print("%-10s %7.3f %7.3f %5d %5d %5d" % (l, p, r, tp[l], fp[l], fn[l]))
    T, F, N = sum(tp.values()), sum(fp.values()), sum(fn.values())
    P, R = prf(T, F, N)
    print("%-10s %7.3f %7.3f %5d %5d %5d" % ("(micro)", P, R, T, F, N))
    if a.errors:
        print()
        for text, missed, wrong in errors:
            print(text)
            for s in missed:
                print("   missed %-9s %r" % (s[2], text[s[0]:s[1]]))
            for s in wrong:
                print("   wrong  %-9s %r" % (s[2], text[s[0]:s[1]]))
    bad = False
    if a.min_precision is not None and P < a.min_precision:
        print("FAIL: micro precision %.3f < %.3f" % (P, a.min_precision))
        bad = True
    if a.min_recall is not None and R < a.min_recall:
        print("FAIL: micro recall %.3f < %.3f" % (R, a.min_recall))
        bad = True
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
