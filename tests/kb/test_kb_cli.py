#!/usr/bin/env python3
"""The knowledge-base commands of the `ner` program: kb build (bad rows fail
with the line number), kb lookup, kb fit / evaluate, link (order kept, NIL,
bad lines reported), and run --kb.

    test_kb_cli.py NER_EXE
"""
import json
import os
import subprocess
import sys
import tempfile

NER = sys.argv[1]

ENTITIES = [
    {"id": "Q312", "name": "Apple Inc.", "type": "ORG",
     "description": "American technology company that designs the iPhone, "
                    "iPad and Mac; its CEO reports quarterly revenue."},
    {"id": "Q89", "name": "apple", "type": "FOOD",
     "description": "The round edible fruit of the apple tree, eaten raw as "
                    "a snack, at lunch, or baked in a pie."},
    {"id": "Q90", "name": "Paris", "type": "LOC"},
]
ALIASES = ("alias\tentity_id\tprior\nApple\tQ312\t0.7\nApple\tQ89\t0.3\n"
           "apple\tQ89\t0.8\napple\tQ312\t0.2\nParis\tQ90\n")


def ner(*args, stdin=None):
    p = subprocess.run([NER] + list(args), input=stdin, capture_output=True)
    return p.returncode, p.stdout.decode(), p.stderr.decode()


def write(path, text):
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)


def main():
    failures = 0

    def check(cond, what):
        nonlocal failures
        if not cond:
            failures += 1
            print("FAIL:", what)

    with tempfile.TemporaryDirectory() as d:
        ents = os.path.join(d, "e.jsonl")
        als = os.path.join(d, "a.tsv")
        kb = os.path.join(d, "kb")
        write(ents, "".join(json.dumps(e) + "\n" for e in ENTITIES))
        write(als, ALIASES)
        rc, out, err = ner("kb", "build", "--entities", ents, "--aliases", als,
                           "--output", kb)
        check(rc == 0 and "3 entities, 3 aliases" in out, "kb build: %r %r" % (out, err))

        # bad rows: exit 1, the file and line on stderr
        bad = os.path.join(d, "bad.tsv")
        for text, msg in [
                ("alias\tentity_id\tprior\nx\tQ89\t0.5\ny\tQ999\n", "line 3: unknown entity"),
                ("alias\tentity_id\tprior\nx\tQ89\t0.7\nx\tQ90\t0.7\n", "line 3: the priors"),
                ("alias\tentity_id\tprior\nx\tQ89\tlots\n", "line 2: prior"),
                ("alias\tid\n", "line 1: expected the header")]:
            write(bad, text)
            rc, out, err = ner("kb", "build", "--quiet", "--entities", ents,
                               "--aliases", bad, "--output", os.path.join(d, "kbbad"))
            check(rc == 1 and msg in err and "bad.tsv" in err, "bad aliases: %r" % err)
        write(os.path.join(d, "dup.jsonl"), '{"id":"A"}\n{"id":"A"}\n')
        rc, out, err = ner("kb", "build", "--entities", os.path.join(d, "dup.jsonl"),
                           "--aliases", als, "--output", os.path.join(d, "kbbad"))
        check(rc == 1 and "line 2: duplicate id" in err, "duplicate id: %r" % err)
        rc, out, err = ner("kb", "build", "--entities", ents)
        check(rc == 2, "usage error exits 2")

        # lookup
        rc, out, err = ner("kb", "lookup", "--kb", kb, "APPLE", "paris", "Berlin")
        lines = [l.split("\t") for l in out.splitlines()]
        check(rc == 0 and lines[0][:3] == ["APPLE", "fold", "Q89"] and
              lines[2][:3] == ["paris", "fold", "Q90"] and lines[3] == ["Berlin", "none"],
              "kb lookup: %r" % out)

        # link: same order, objects with kb_id and kb_score, NIL, bad lines
        data = "\n".join([
            json.dumps({"text": "She ate an apple with her lunch in Paris",
                        "entities": [[35, 40, "LOC"], [11, 16, ""]], "id": 7}),
            json.dumps({"text": "Apple's iPhone revenue rose as its CEO spoke",
                        "entities": [{"start": 0, "end": 5, "label": "ORG"},
                                     [35, 38, ""]]}),
            "not json",
            json.dumps({"text": "no entities"}),
        ]) + "\n"
        rc, out, err = ner("link", "--kb", kb, stdin=data.encode())
        recs = [json.loads(l) for l in out.splitlines()]
        check(rc == 1 and len(recs) == 4, "link: exit 1 and one line per input line")
        e0 = recs[0]["entities"]
        check([e["kb_id"] for e in e0] == ["Q90", "Q89"] and recs[0]["id"] == 7 and
              e0[0]["text"] == "Paris" and 0 < e0[1]["kb_score"] <= 1, "link line 1: %r" % e0)
        e1 = recs[1]["entities"]
        check(e1[0]["kb_id"] == "Q312" and e1[1]["kb_id"] is None and
              e1[1]["kb_score"] == 1.0, "link line 2: %r" % e1)
        check(recs[2].get("line") == 3 and "malformed JSON" in recs[2]["error"] and
              "line 3" in err, "link bad line: %r" % recs[2])
        check("entities" not in recs[3] or recs[3]["entities"] == [], "link no entities")
        rc, out, err = ner("link", "--input", "x")
        check(rc == 2 and "--kb" in err, "link without --kb")

        # fit and evaluate
        train = os.path.join(d, "train.jsonl")
        write(train, "\n".join(json.dumps(x) for x in [
            {"text": "Apple sold more iPhone units and revenue rose",
             "entities": [[0, 5, "ORG", "Q312"]]},
            {"text": "He ate an apple for lunch", "entities": [[10, 15, "", "Q89"]]},
            {"text": "Apple Records released it", "entities": [[0, 13, "ORG", None]]},
        ]) + "\n")
        rc, out, err = ner("kb", "fit", "--quiet", "--kb", kb, "--data", train,
                           "--output", os.path.join(d, "fitted"), "--folds", "2",
                           "--config", '{"window": 10}')
        check(rc == 0 and "weights" in json.loads(out), "kb fit: %r %r" % (out, err))
        rc, out, err = ner("kb", "evaluate", "--kb", os.path.join(d, "fitted"),
                           "--data", train)
        r = json.loads(out) if rc == 0 else {}
        check(r.get("mentions") == 3 and r.get("linkable") == 2, "kb evaluate: %r" % out)
        rc, out, err = ner("kb", "evaluate", "--kb", kb, "--data", train,
                           "--config", '{"windw": 1}')
        check(rc == 2 and "unknown key" in err, "evaluate bad config: %r" % err)

        # run --kb with a model folder (tokenizer + entity_ruler)
        model = os.path.join(d, "model")
        os.mkdir(model)
        write(os.path.join(model, "pipeline.json"), json.dumps({
            "lang": "en", "components": [
                {"name": "tokenizer", "factory": "tokenizer", "config": {"lang": "en"}},
                {"name": "entity_ruler", "factory": "entity_ruler", "config": {
                    "patterns": [{"label": "X", "pattern": "apple"},
                                 {"label": "X", "pattern": "Apple"},
                                 {"label": "LOC", "pattern": "Berlin"}]}}]}))
        rc, out, err = ner("run", "--model", model, "--kb", kb, stdin=(
            "Apple's iPhone revenue rose as its CEO spoke\n"
            "She ate an apple with her lunch in Berlin\n").encode())
        if "entity_ruler" in err and "no component factory" in err:
            print("run --kb: skipped (no entity_ruler in this build)")
        else:
            recs = [json.loads(l) for l in out.splitlines()]
            ids = [[e.get("kb_id") for e in r["ents"]] for r in recs]
            check(rc == 0 and ids == [["Q312"], ["Q89", None]] and
                  all("kb_score" in e for r in recs for e in r["ents"]),
                  "run --kb: %r %r" % (out, err))
            rc, out, err = ner("run", "--model", model, stdin=b"Apple pie\n")
            check(rc == 0 and "kb_score" not in out, "run without --kb: %r" % out)

    print("%s" % ("ok" if not failures else "%d failures" % failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
