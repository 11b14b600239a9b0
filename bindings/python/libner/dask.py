"""`ner run` over a corpus with Dask: on the cores of one machine or on a
cluster.

    python3 -m libner.dask --input corpus.jsonl --output out/ [--model DIR]
        [--input-format jsonl|text] [--blocksize 64MiB]
        [--scheduler tcp://host:8786 | --workers N]

    from libner.dask import run_corpus
    run_corpus(["corpus.jsonl"], "out/", model=None)   # the current Dask scheduler

The input is cut into partitions of about `blocksize` bytes at line ends
(dask.bytes.read_bytes, which reads local paths and any URL fsspec knows).
Each partition becomes a file out/part-00000.jsonl, part-00001.jsonl, ... in
input order, and their concatenation is byte for byte what
`ner run [--input-format jsonl] --model DIR` writes for the input (for
several input files: for their concatenation, each ending with a line feed).

Byte for byte because a partition is processed the way `ner run` processes
its input: the same line splitting (LF, a CR before it dropped), one
ner_pipeline_process_batch per partition, and the record written with the
JSON library the program itself writes with (jansson, through ctypes) and the
same calls: the input object with "ents" added (other fields pass through),
or {"line": N, "error": ...} for a bad line.  Line numbers in those messages
count from the start of the input: each partition gets the number of lines
before it from the partitions before it (a chain of small tasks).

Every worker process loads the pipeline once, at its first partition, and
keeps it for the partitions after (a module-level cache keyed by the model
folder); partitions run on one thread each, so give each worker as many
threads as cores (or processes).  Workers write their part files themselves:
on a cluster the output folder must be one they all see, as must the model
folder, and each worker needs libner installed (or LIBNER_PATH set).
"""

import ctypes
import ctypes.util
import glob
import os

from . import _lib
from ._lib import LIB

# ------------------------------------------------------------------ jansson
# The flags of tools/ner/cmd_run.c (jansson.h values).
_JSON_REJECT_DUPLICATES = 0x1
_JSON_DUMP_FLAGS = 0x20 | 0x100 | ((6 & 0x1F) << 11)  # COMPACT | PRESERVE_ORDER
                                                       # | REAL_PRECISION(6)
_JSON_OBJECT, _JSON_ARRAY, _JSON_STRING = 0, 1, 2     # enum json_type


class _JsonError(ctypes.Structure):
    _fields_ = [("line", ctypes.c_int), ("column", ctypes.c_int),
                ("position", ctypes.c_int), ("source", ctypes.c_char * 80),
                ("text", ctypes.c_char * 160)]


_J = None


def _jansson():
    global _J
    if _J is not None:
        return _J
    name = ctypes.util.find_library("jansson") or "libjansson.so.4"
    j = ctypes.CDLL(name)
    p, s, z = ctypes.c_void_p, ctypes.c_char_p, ctypes.c_size_t
    for fn, res, args in [
            ("json_loadb", p, [s, z, z, ctypes.POINTER(_JsonError)]),
            ("json_object", p, []), ("json_array", p, []),
            ("json_object_get", p, [p, s]),
            ("json_object_set_new", ctypes.c_int, [p, s, p]),
            ("json_array_append_new", ctypes.c_int, [p, p]),
            ("json_integer", p, [ctypes.c_longlong]),
            ("json_real", p, [ctypes.c_double]),
            ("json_string", p, [s]), ("json_stringn", p, [s, z]),
            ("json_null", p, []),
            ("json_string_value", p, [p]), ("json_string_length", z, [p]),
            ("json_dumpb", z, [p, p, z, z]),
            ("json_delete", None, [p])]:
        f = getattr(j, fn)
        f.restype, f.argtypes = res, args
    _J = j
    return j


def _type(v):
    return ctypes.cast(v, ctypes.POINTER(ctypes.c_int))[0] if v else -1


def _decref(v):
    """json_decref, a macro in jansson.h: the refcount follows the type."""
    if not v:
        return
    rc = ctypes.cast(v + ctypes.sizeof(ctypes.c_size_t),
                     ctypes.POINTER(ctypes.c_ssize_t))
    if rc[0] == -1:          # json_null() and the other singletons
        return
    rc[0] -= 1
    if rc[0] == 0:
        _jansson().json_delete(v)


def _dump(v):
    j = _jansson()
    n = j.json_dumpb(v, None, 0, _JSON_DUMP_FLAGS)
    if not n:
        return None
    buf = ctypes.create_string_buffer(n)
    j.json_dumpb(v, buf, n, _JSON_DUMP_FLAGS)
    return buf.raw[:n]


# ------------------------------------------------------------------ one partition

_PIPELINES = {}   # model folder (None: default) -> libner Pipeline, per process
LOADS = 0         # pipelines this process has loaded (the tests check it)


def _pipeline(model):
    global LOADS
    pl = _PIPELINES.get(model)
    if pl is None:
        from .pipeline import load
        pl = _PIPELINES[model] = load(model)
        LOADS += 1
    return pl


def _split_lines(block):
    """The lines of a block of bytes as `ner run` reads them."""
    lines = block.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()          # the block ended with a line feed
    return [ln[:-1] if ln.endswith(b"\r") else ln for ln in lines]


def _count(lines):
    return sum(1 for _ in lines)


def _add(a, b):
    return a + b


def _one(x):
    return [x]


def _prepare(line, lineno, jsonl):
    """(obj, text, error) as prepare() in cmd_run.c."""
    if not jsonl:
        return None, line, None
    j = _jansson()
    je = _JsonError()
    obj = j.json_loadb(line, len(line), _JSON_REJECT_DUPLICATES, ctypes.byref(je))
    if not obj:
        msg = b"line %d, column %d: malformed JSON: %s" % (lineno, je.column, je.text)
    elif _type(obj) != _JSON_OBJECT:
        msg = b"line %d: expected a JSON object" % lineno
    else:
        t = j.json_object_get(obj, b"text")
        if _type(t) == _JSON_STRING:
            return obj, ctypes.string_at(j.json_string_value(t), j.json_string_length(t)), None
        msg = b'line %d: no "text" string field' % lineno
    return obj, b"", msg[:599]   # cmd_run.c's buffer holds 599 bytes


def _ents_json(doc):
    j = _jansson()
    a = j.json_array()
    n = LIB.ner_doc_copy_ents(doc, None, 0)
    if not n:
        return a
    recs = (_lib.NerSpanRecord * n)()
    n = min(n, LIB.ner_doc_copy_ents(doc, recs, n))
    tlen = ctypes.c_size_t()
    raw = ctypes.string_at(LIB.ner_doc_text(doc, ctypes.byref(tlen)), tlen.value)
    for r in recs[:n]:
        text = raw[r.start_byte:r.end_byte]
        parts = [(b"start", j.json_integer(r.start_char)),
                 (b"end", j.json_integer(r.end_char)),
                 (b"label", j.json_string(r.label)),
                 (b"text", j.json_stringn(text, len(text))),
                 (b"score", j.json_real(r.score))]
        if not all(v for _, v in parts):   # json_pack fails as a whole
            for _, v in parts:
                _decref(v)
            o = None
        else:
            o = j.json_object()
            for k, v in parts:
                j.json_object_set_new(o, k, v)
        if o and r.kb_id:
            j.json_object_set_new(o, b"kb_id", j.json_string(r.kb_id))
        if o and (r.kb_id or r.kb_score > 0.0):
            if not r.kb_id:
                j.json_object_set_new(o, b"kb_id", j.json_null())  # linked: NIL
            j.json_object_set_new(o, b"kb_score", j.json_real(r.kb_score))
        j.json_array_append_new(a, o)
    return a


def _record(obj, text, error, lineno, doc, jsonl):
    """One output line (bytes with its line feed) as emit() in cmd_run.c."""
    j = _jansson()
    bad = error is not None or not doc or LIB.ner_doc_status(doc) != 0
    if bad and error is None:
        msg = LIB.ner_doc_errmsg(doc) if doc else b"out of memory"
        error = (b"line %d: %s" % (lineno, msg or b""))[:699]
    out = obj if obj else j.json_object()
    if bad:
        j.json_object_set_new(out, b"line", j.json_integer(lineno))
        j.json_object_set_new(out, b"error", j.json_string(error))
    else:
        if not obj:
            j.json_object_set_new(out, b"text", j.json_stringn(text, len(text)))
        j.json_object_set_new(out, b"ents", _ents_json(doc))
    s = _dump(out)
    _decref(out)
    return s + b"\n" if s is not None else b""


def process_partition(lines, first_lineno, model=None, jsonl=True, batch_size=64):
    """The output records (bytes, each with its line feed) of a list of input
    lines (bytes without line ends) whose first is line first_lineno + 1."""
    if not isinstance(first_lineno, int):   # a one-element partition of a bag
        first_lineno = next(iter(first_lineno))
    lines = list(lines)
    if not lines:
        return []
    pl = _pipeline(model)
    h = pl._handle     # keeps the C pipeline alive during the calls
    prepared = [_prepare(ln, first_lineno + i + 1, jsonl) for i, ln in enumerate(lines)]
    n = len(lines)
    texts = (ctypes.c_char_p * n)(*[p[1] for p in prepared])
    lens = (ctypes.c_size_t * n)(*[len(p[1]) for p in prepared])
    docs = (ctypes.c_void_p * n)()
    bp = _lib.NerBatchParams()
    LIB.ner_batch_params_init(ctypes.byref(bp), ctypes.sizeof(bp))
    bp.n_threads, bp.batch_size = 1, batch_size
    eb = _lib.errbuf()
    st = LIB.ner_pipeline_process_batch(h.ptr, texts, lens, n, docs, ctypes.byref(bp),
                                        eb, _lib.NER_ERRBUF_SIZE)
    out = []
    try:
        if st == -1:   # NER_ENOMEM: ner run gives up too
            raise MemoryError(_lib.decode(eb.value))
        for i, (obj, text, error) in enumerate(prepared):
            out.append(_record(obj, text, error, first_lineno + i + 1, docs[i], jsonl))
            prepared[i] = None      # the record owns obj now, and freed it
    finally:
        for i in range(n):
            LIB.ner_doc_free(docs[i])
            if prepared[i] and prepared[i][0]:
                _decref(prepared[i][0])
    return out


def _write_part(records, path):
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        for r in records:
            f.write(r)
    os.replace(tmp, path)
    return path


# ------------------------------------------------------------------ the corpus

def run_corpus(paths, output_dir, model=None, input_format="jsonl",
               blocksize="64MiB", batch_size=64, scheduler=None):
    """Processes the files `paths` (a path, a glob or a list) into
    output_dir/part-NNNNN.jsonl, one per partition, on the current Dask
    scheduler (a distributed Client once one is made) or `scheduler`.
    Part files of an earlier run in output_dir are removed first.  Returns
    the part paths in order."""
    import dask
    import dask.bag as db
    from dask.bytes import read_bytes

    if input_format not in ("jsonl", "text"):
        raise ValueError("input_format is jsonl or text, not %r" % (input_format,))
    jsonl = input_format == "jsonl"
    if model is not None:
        model = os.path.abspath(model)
    os.makedirs(output_dir, exist_ok=True)
    for old in glob.glob(os.path.join(output_dir, "part-*.jsonl")):
        os.remove(old)
    _, per_file = read_bytes(paths, delimiter=b"\n", blocksize=blocksize, sample=False)
    blocks = [b for f in per_file for b in f]
    if not blocks:
        return []
    lines = db.from_delayed([dask.delayed(_split_lines)(b) for b in blocks])
    # lines before each partition: a chain of additions
    counts = lines.map_partitions(_count).to_delayed()
    bases, base = [], 0
    for c in counts:
        bases.append(dask.delayed(_one)(base))
        base = dask.delayed(_add)(base, c)
    records = db.map_partitions(process_partition, lines, db.from_delayed(bases),
                                model=model, jsonl=jsonl, batch_size=batch_size)
    parts = [os.path.join(output_dir, "part-%05d.jsonl" % i)
             for i in range(records.npartitions)]
    writes = [dask.delayed(_write_part)(p, path)
              for p, path in zip(records.to_delayed(), parts)]
    kw = {"scheduler": scheduler} if scheduler is not None else {}
    return list(dask.compute(*writes, **kw))


def main(argv=None):
    import argparse
    ap = argparse.ArgumentParser(prog="python3 -m libner.dask",
                                 description="ner run over a corpus with Dask")
    ap.add_argument("--input", required=True, nargs="+", help="files or globs")
    ap.add_argument("--output", required=True, help="folder for part-NNNNN.jsonl")
    ap.add_argument("--model", help="pipeline folder (default: the default pipeline)")
    ap.add_argument("--input-format", default="jsonl", choices=["jsonl", "text"])
    ap.add_argument("--blocksize", default="64MiB", help="bytes per partition")
    ap.add_argument("--scheduler", help="a Dask scheduler address, tcp://host:8786")
    ap.add_argument("--workers", type=int, default=0,
                    help="without --scheduler: a local cluster of N processes "
                         "(0: the threads of this process)")
    a = ap.parse_args(argv)
    client = cluster = None
    if a.scheduler or a.workers:
        from distributed import Client, LocalCluster
        if a.scheduler:
            client = Client(a.scheduler)
        else:
            cluster = LocalCluster(n_workers=a.workers, threads_per_worker=1,
                                   processes=True)
            client = Client(cluster)
    try:
        parts = run_corpus(a.input, a.output, a.model, a.input_format, a.blocksize)
    finally:
        if client is not None:
            client.close()
        if cluster is not None:
            cluster.close()
    print("%d part files in %s" % (len(parts), a.output))
    return 0


if __name__ == "__main__":
    # Run the imported module, not this __main__ copy: tasks must name their
    # functions by module (libner.dask) for workers to import them, rather
    # than be pickled by value with this module's ctypes globals.
    from libner.dask import main as _main
    raise SystemExit(_main())
