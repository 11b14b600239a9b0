#!/usr/bin/env python3
"""The `ner` program and the C examples, run as a user runs them."""
import json
import os
import subprocess
import sys
import tempfile

NER, QUICKSTART, CUSTOM = sys.argv[1:4]
SEED = "Elon Musk sold $4 billion of Tesla stock on January 15, 2025."


def run(args, stdin=None, exe=NER):
    p = subprocess.run([exe] + args, input=stdin, capture_output=True)
    return p.returncode, p.stdout.decode("utf-8"), p.stderr.decode("utf-8")


def test_tokenize_seed():
    rc, out, err = run(["tokenize", SEED])
    assert rc == 0, err
    rows = [l.split("\t") for l in out.splitlines() if not l.startswith("#")]
    got = [(r[0], int(r[1]), int(r[2])) for r in rows]
    want = [("Elon", 0, 4), ("Musk", 5, 9), ("sold", 10, 14), ("$", 15, 16),
            ("4", 16, 17), ("billion", 18, 25), ("of", 26, 28), ("Tesla", 29, 34),
            ("stock", 35, 40), ("on", 41, 43), ("January", 44, 51), ("15", 52, 54),
            (",", 54, 55), ("2025", 56, 60), (".", 60, 61)]
    assert got == want, got


def test_tokenize_offsets_are_code_points():
    text = "Zoë ❤️ 東京 café."
    rc, out, err = run(["tokenize", text])
    assert rc == 0, err
    for line in out.splitlines()[1:]:
        tok, s, e, bs, be = line.split("\t")
        assert text[int(s):int(e)] == tok, line
        assert text.encode()[int(bs):int(be)].decode() == tok, line


def test_version_help_usage():
    rc, out, _ = run(["--version"])
    assert rc == 0 and out.startswith("ner 0."), out
    rc, out, _ = run(["--help"])
    assert rc == 0 and "ner run" in out
    rc, _, err = run([])
    assert rc == 2 and "usage" in err
    rc, _, err = run(["run", "--threads", "0"])
    assert rc == 2 and "--threads" in err
    rc, _, err = run(["run", "--frobnicate"])
    assert rc == 2 and "unknown argument --frobnicate" in err
    rc, _, err = run(["--model"])
    assert rc == 2


def test_bad_model_and_text():
    rc, _, err = run(["--model", "/nonexistent/model", "hello"])
    assert rc == 1 and "/nonexistent/model" in err, err
    p = subprocess.run([NER, "tokenize", b"ab\xffcd"], capture_output=True)
    assert p.returncode == 1 and b"byte offset 2" in p.stderr, p.stderr


def test_extract_runs():
    rc, out, err = run([SEED])
    assert rc == 0, err
    for line in out.splitlines():
        text, label, s, e = line.split("\t")
        assert SEED[int(s):int(e)] == text, line


def test_run_text_lines():
    lines = ["first line here", "", "Zoë in 東京", "x" * 10000]
    rc, out, err = run(["run", "--threads", "2", "--batch-size", "1"],
                       stdin="\n".join(lines).encode())
    assert rc == 0, err
    recs = [json.loads(l) for l in out.splitlines()]
    assert [r["text"] for r in recs] == lines
    assert all(isinstance(r["ents"], list) for r in recs)


def test_run_jsonl_passthrough_and_errors():
    src = ['{"id": 1, "text": "hello world"}', 'not json', '{"id": 3}',
           '{"id": 4, "text": "b\\u00e9b\\u00e9", "meta": {"k": [1, 2]}}']
    with tempfile.TemporaryDirectory() as d:
        inp, outp = os.path.join(d, "in.jsonl"), os.path.join(d, "out.jsonl")
        open(inp, "w").write("\n".join(src) + "\n")
        rc, out, err = run(["run", "--input-format", "jsonl", "--input", inp,
                            "--output", outp, "--threads", "3"])
        assert rc == 1, (rc, err)
        assert "line 2" in err and "line 3" in err
        recs = [json.loads(l) for l in open(outp)]
    assert len(recs) == 4
    assert recs[0]["id"] == 1 and recs[0]["text"] == "hello world" and "ents" in recs[0]
    assert recs[1]["line"] == 2 and "malformed JSON" in recs[1]["error"]
    assert recs[2]["id"] == 3 and "text" in recs[2]["error"]
    assert recs[3]["meta"] == {"k": [1, 2]} and recs[3]["text"] == "bébé"


def test_run_order_many_threads():
    lines = [f"line number {i} " + "word " * (i % 17) for i in range(3000)]
    rc, out, err = run(["run", "--threads", "4", "--batch-size", "7"],
                       stdin="\n".join(lines).encode())
    assert rc == 0, err
    assert [json.loads(l)["text"] for l in out.splitlines()] == lines


def test_run_tsv_and_missing_input():
    rc, out, err = run(["run", "--format", "tsv"], stdin=SEED.encode())
    assert rc == 0, err
    for line in out.splitlines():
        n, text, label, s, e = line.split("\t")
        assert n == "1" and SEED[int(s):int(e)] == text
    rc, _, err = run(["run", "--input", "/nonexistent/in.txt"])
    assert rc == 1 and "/nonexistent/in.txt" in err


def test_examples():
    rc, out, err = run([], exe=QUICKSTART)
    assert rc == 0, err
    assert out.startswith("tokens: [Elon] [Musk] [sold] [$] [4]"), out
    rc, out, err = run([], exe=CUSTOM)
    assert rc == 0, err
    assert "AB-12345\tPRODUCT_SKU\t9\t17" in out.splitlines(), out
    # never over an entity that is already there, never inside a token
    rc, out, err = run(["SKUs XY-1234 and ABCDE-123456 and Q-12345"], exe=CUSTOM)
    assert rc == 0, err
    skus = [l for l in out.splitlines() if "\tPRODUCT_SKU\t" in l]
    assert skus == ["XY-1234\tPRODUCT_SKU\t5\t12"], out


if __name__ == "__main__":
    tests = [(n, f) for n, f in sorted(globals().items()) if n.startswith("test_")]
    failed = 0
    for name, fn in tests:
        try:
            fn()
            print(f"ok   {name}")
        except Exception as exc:  # report every failure, then exit non-zero
            failed += 1
            print(f"FAIL {name}: {exc!r}")
    print(f"{len(tests) - failed} passed, {failed} failed")
    sys.exit(1 if failed else 0)
