#!/usr/bin/env python3
"""The built-in English rules of the default pipeline through the `ner`
program: the seed examples of issue 4 (code-point offsets), then precision
and recall on the labelled sentences of tests/fixtures/rules.

    test_default_rules.py NER
"""

import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.environ.get("LIBNER_SOURCE_ROOT") or os.path.normpath(os.path.join(HERE, "..", ".."))
MODEL = os.path.join(ROOT, "models", "en_default")

SEEDS = [
    ("Elon Musk sold $4 billion of Tesla stock on January 15, 2025.",
     [("$4 billion", "MONEY", 15, 25), ("January 15, 2025", "DATE", 44, 60)]),
    ("Marie Curie received the Nobel Prize in Paris in 1903.",
     [("1903", "DATE", 49, 53)]),
]

failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL:", what)


def run(cmd, **kw):
    r = subprocess.run(cmd, capture_output=True, text=True, encoding="utf-8", **kw)
    if r.returncode != 0:
        print("command failed (%d): %s\n%s" % (r.returncode, " ".join(cmd), r.stderr))
        sys.exit(1)
    return r.stdout


def main():
    ner = sys.argv[1]
    with open(os.path.join(MODEL, "pipeline.json"), encoding="utf-8") as f:
        comps = [c["factory"] for c in json.load(f)["components"]]
    check(comps[0] == "tokenizer", "the tokenizer comes first: %s" % comps)
    check("entity_ruler" in comps, "the default pipeline has an entity_ruler: %s" % comps)
    if "tagger" in comps:
        check(comps.index("tagger") < comps.index("entity_ruler"),
              "the ruler comes after the tagger (it fills the gaps): %s" % comps)
    for text, want in SEEDS:
        # `ner TEXT` (the default pipeline, found next to the library)
        out = run([ner, text])
        got = set()
        for line in out.splitlines():
            t, label, s, e = line.split("\t")
            got.add((t, label, int(s), int(e)))
        for w in want:
            check(w in got, "ner %r: %r in %r" % (text, w, sorted(got)))
        # `ner run --model DIR` with JSONL out
        out = run([ner, "run", "--model", MODEL, "--format", "jsonl"], input=text + "\n")
        doc = json.loads(out.splitlines()[0])
        ents = {(e["text"], e["label"], e["start"], e["end"]) for e in doc["ents"]}
        for w in want:
            check(w in ents, "ner run %r: %r in %r" % (text, w, sorted(ents)))
            check(text[w[2]:w[3]] == w[0], "offsets index the text")
    ev = [sys.executable, os.path.join(HERE, "eval_rules.py"), "--ner", ner]
    for extra in (["--ruler-only"], ["--model", MODEL]):
        r = subprocess.run(ev + extra + ["--min-precision", "0.95", "--min-recall", "0.9"],
                           capture_output=True, text=True, encoding="utf-8")
        print(r.stdout, r.stderr, sep="")
        check(r.returncode == 0, "eval_rules.py %s: precision >= 0.95, recall >= 0.9"
              % " ".join(extra))
    if failures:
        print("%d failure(s)" % len(failures))
        return 1
    print("ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
