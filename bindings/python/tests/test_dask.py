"""libner.dask on a LocalCluster of two worker processes: the part files,
concatenated in order, are byte for byte what `ner run` writes.

Needs python3-dask and python3-distributed (skipped without them) and the
`ner` program (LIBNER_NER_EXE, which meson sets).
"""

import json
import os
import random
import subprocess

import pytest

dask = pytest.importorskip("dask")
distributed = pytest.importorskip("distributed")

from libner import dask as ldask  # noqa: E402

NER = os.environ.get("LIBNER_NER_EXE")


def corpus(path):
    """JSONL with what `ner run` must keep as it is or report: fields besides
    "text" (nested, floats, escapes), non-ASCII before entities, bad lines."""
    rng = random.Random(7)
    names = ["Elon Musk", "Angela Merkel", "Zoë Dubois", "Tim Cook", "Marie Curie"]
    places = ["Paris", "Zürich", "東京", "Berlin", "New York"]
    out = []
    for i in range(300):
        t = "%s 😀 visited %s on January %d, 2025." % (
            rng.choice(names), rng.choice(places), i % 28 + 1)
        rec = {"id": i, "text": t}
        if i % 7 == 0:
            rec["meta"] = {"pi": 3.14159265358979, "tags": ["a", "é"], "n": None}
        out.append(json.dumps(rec, ensure_ascii=(i % 2 == 0)))
    out[5] = "not json at all"
    out[17] = '{"id": 17, "body": "no text field"}'
    out[33] = "[1, 2, 3]"
    out[48] = ""
    out[60] = '{"text": "dup", "text": "dup"}'
    out[77] = '{"text": "A Windows line from Paris."}\r'
    out[90] = ('{"text": "ctrl \\u0001, \\u2028 and \\/ in Berlin", "x": 1e300, '
               '"y": -0.0, "z": 1.5e-7}')
    out[91] = '{"text": "nul \\u0000 byte in Paris"}'
    with open(path, "w", encoding="utf-8", newline="") as f:
        f.write("\n".join(out) + "\n")


def ner_run(args):
    if not NER or not os.path.exists(NER):
        pytest.skip("the ner program is not built (meson sets LIBNER_NER_EXE)")
    p = subprocess.run([NER, "run"] + args, capture_output=True)
    assert p.returncode in (0, 1), p.stderr
    return p.stdout


def concat(parts):
    data = b""
    for p in parts:
        with open(p, "rb") as f:
            data += f.read()
    return data


@pytest.fixture(scope="module")
def client():
    from distributed import Client, LocalCluster
    cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                           dashboard_address=None)
    c = Client(cluster)
    yield c
    c.close()
    cluster.close()


def test_local_cluster_equals_ner_run(tmp_path, client):
    src = tmp_path / "corpus.jsonl"
    corpus(src)
    want = ner_run(["--input-format", "jsonl", "--input", str(src)])
    # six bad lines; the array stays an array (no field can be added to it)
    assert want.count(b'"error":') == 5 and b"\n[1,2,3]\n" in want
    out = tmp_path / "out"
    parts = ldask.run_corpus(str(src), str(out), blocksize=4096)
    assert len(parts) > 4                    # several partitions ...
    assert parts == sorted(parts)
    assert [os.path.basename(p) for p in parts[:2]] == ["part-00000.jsonl",
                                                        "part-00001.jsonl"]
    assert concat(parts) == want             # ... one output, byte for byte
    # line numbers in the errors count from the start of the corpus
    assert b'"line":61,"error":"line 61, column' in want
    # each worker process loaded the pipeline once, whatever it processed
    loads = client.run(lambda: __import__("libner.dask").dask.LOADS)
    assert len(loads) == 2 and set(loads.values()) <= {0, 1}, loads
    assert sum(loads.values()) >= 1


def test_text_input_and_a_rerun_replaces_parts(tmp_path, client):
    src = tmp_path / "docs.txt"
    lines = ["Zoë met Elon Musk in Paris.", "", "Angela Merkel visited 東京.\r",
             "café\tTim Cook"] * 40 + ["the last line has no line feed"]
    src.write_bytes("\n".join(lines).encode())
    want = ner_run(["--input", str(src)])
    out = tmp_path / "out"
    many = ldask.run_corpus(str(src), str(out), input_format="text", blocksize=512)
    assert concat(many) == want
    few = ldask.run_corpus(str(src), str(out), input_format="text", blocksize="1MiB")
    assert len(few) == 1 < len(many)
    assert sorted(os.listdir(out)) == ["part-00000.jsonl"]   # no stale parts
    assert concat(few) == want


def test_invalid_utf8_line_is_reported_not_fatal(tmp_path):
    src = tmp_path / "bad.txt"
    src.write_bytes(b"Paris is nice.\nab\xffcd\nBerlin too.\n")
    want = ner_run(["--input", str(src)])
    parts = ldask.run_corpus(str(src), str(tmp_path / "out"), input_format="text",
                             scheduler="sync")
    got = concat(parts)
    assert got == want
    assert b'"line":2,"error":"line 2: ' in got
