#!/usr/bin/env python3
"""Progress lines of `ner run`, `ner train` and `ner kb build`: shown on a
terminal or with --progress, never in a pipe otherwise, and never on stdout.

    test_progress.py NER_EXE        (or NER_EXE=... python3 -m pytest test_progress.py)
"""
import json
import os
import re
import subprocess
import sys
import tempfile

NER = os.environ.get("NER_EXE") or (sys.argv[1] if __name__ == "__main__" else None)
SRC = os.environ.get("LIBNER_SOURCE_ROOT",
                     os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
TEXT = "".join(f"Elon Musk met Tim Cook in Paris on day {i}.\n" for i in range(300))


def run(args, stdin=None, stderr=subprocess.PIPE):
    p = subprocess.run([NER] + args, input=stdin, stdout=subprocess.PIPE, stderr=stderr)
    err = p.stderr.decode("utf-8") if p.stderr is not None else None
    return p.returncode, p.stdout.decode("utf-8"), err


def in_file(d):
    path = os.path.join(d, "in.txt")
    with open(path, "w", encoding="utf-8") as f:
        f.write(TEXT)
    return path


def run_on_pty(args):
    """Runs with stderr on a pseudo-terminal; returns (rc, stdout, what the
    terminal received)."""
    master, slave = os.openpty()
    # stdout goes to a file: a full pipe would block the child while the
    # terminal is read
    with tempfile.TemporaryFile() as out:
        try:
            p = subprocess.Popen([NER] + args, stdout=out, stderr=slave,
                                 stdin=subprocess.DEVNULL)
            os.close(slave)
            slave = -1
            got = b""
            while True:
                try:
                    chunk = os.read(master, 65536)
                except OSError:      # EIO: the child closed its side
                    break
                if not chunk:
                    break
                got += chunk
            p.wait()
        finally:
            if slave >= 0:
                os.close(slave)
            os.close(master)
        out.seek(0)
        return p.returncode, out.read().decode("utf-8"), got.decode("utf-8", "replace")


def test_run_progress_forced_on_a_pipe():
    with tempfile.TemporaryDirectory() as d:
        path = in_file(d)
        rc, plain, err = run(["run", "--input", path])
        assert rc == 0 and err == "", err          # quiet in a pipe by default
        rc, out, err = run(["run", "--input", path, "--progress"])
        assert rc == 0, err
        assert out == plain                        # stdout untouched
        assert len(out.splitlines()) == 300
        last = err.splitlines()[-1]
        assert re.fullmatch(r"ner run: 300/300 lines \(100%\)  \d+ lines/s  \d+:\d\d elapsed",
                            last), err
        assert "\r" not in err and "\033" not in err   # whole lines in a pipe


def test_run_progress_stdin_has_no_total():
    rc, out, err = run(["run", "--progress"], stdin=TEXT.encode())
    assert rc == 0, err
    assert len(out.splitlines()) == 300
    assert re.search(r"^ner run: 300 lines  \d+ lines/s", err, re.M), err
    rc, out2, err = run(["run"], stdin=TEXT.encode())
    assert rc == 0 and err == "" and out2 == out


def test_run_progress_on_a_terminal():
    with tempfile.TemporaryDirectory() as d:
        path = in_file(d)
        _, plain, _ = run(["run", "--input", path])
        rc, out, tty = run_on_pty(["run", "--input", path])
        assert rc == 0, tty
        assert out == plain
        assert "\rner run: " in tty, repr(tty)        # redrawn in place
        assert "300/300 lines (100%)" in tty, repr(tty)
        assert re.search(r"\d+ lines/s", tty), repr(tty)
        rc, out, tty = run_on_pty(["run", "--input", path, "--no-progress"])
        assert rc == 0 and out == plain
        assert "ner run:" not in tty, repr(tty)


def test_bad_lines_are_not_hidden_by_the_bar():
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "in.jsonl")
        with open(path, "w") as f:
            f.write('{"text": "Paris"}\nnot json\n{"text": "Berlin"}\n')
        rc, out, tty = run_on_pty(["run", "--input-format", "jsonl", "--input", path])
        assert rc == 1
        assert len(out.splitlines()) == 3
        # the error line starts on a cleared line, not after the bar
        assert re.search(r"\r\033\[Kner: line 2, column \d+: malformed JSON", tty), repr(tty)


def test_train_progress():
    data = os.path.join(SRC, "tests", "fixtures", "train", "drugs.jsonl")
    with tempfile.TemporaryDirectory() as d:
        cfg = os.path.join(d, "c.json")
        with open(cfg, "w") as f:
            json.dump({"training": {"max_epochs": 5}}, f)
        args = ["train", "--train", data, "--output", os.path.join(d, "out"), "--config", cfg]
        rc, out, err = run(args + ["--progress"])
        assert rc == 0, err
        assert re.search(r"^ner train: 10/10 examples \(100%\)  \d+ examples/s", err, re.M), err
        assert "ner train:" not in out
        rc, out, err = run(args)
        assert rc == 0, err
        assert "ner train:" not in err             # the log stays, the bar does not
        assert "wrote " in err


def test_kb_build_progress():
    with tempfile.TemporaryDirectory() as d:
        ents, als = os.path.join(d, "e.jsonl"), os.path.join(d, "a.tsv")
        with open(ents, "w") as f:
            f.write('{"id": "Q1", "name": "Paris", "description": "capital of France"}\n'
                    '{"id": "Q2", "name": "Berlin"}\n')
        with open(als, "w") as f:
            f.write("alias\tentity_id\nParis\tQ1\nBerlin\tQ2\nthe capital\tQ1\n")
        args = ["kb", "build", "--quiet", "--entities", ents, "--aliases", als,
                "--output", os.path.join(d, "kb")]
        rc, out, err = run(args + ["--progress"])
        assert rc == 0, err
        # 2 entities + 3 alias rows + 2 description vectors
        assert re.fullmatch(r"ner kb build: 7/7 records \(100%\)  \d+ records/s  "
                            r"\d+:\d\d elapsed\n", err), err
        rc, out2, err = run(args)
        assert rc == 0 and err == "" and out2 == out


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
