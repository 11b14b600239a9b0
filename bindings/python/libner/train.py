"""Training, evaluation and corpus conversion over include/ner/ner_train.h.

    import libner
    libner.train("train.jsonl", "dev.jsonl", "out/")        # out/model-best, out/model-last
    scores = libner.evaluate("out/model-best", "dev.jsonl")  # dict: ents_p, ents_r, ents_f, ...
    libner.convert("eng.train", "eng.train.jsonl")
    config = libner.init_config()                            # the documented defaults

Files are JSONL ({"text", "entities": [[start, end, label], ...]}, code
points) or CoNLL-style column files, detected unless `format` says which.
Progress and warnings go to `log(level, message)` when given (levels are
LOG_ERROR .. LOG_DEBUG); nothing is printed otherwise.
"""

import ctypes
import json

from . import _lib
from ._lib import LIB
from .errors import Error, check

LOG_ERROR, LOG_WARN, LOG_INFO, LOG_DEBUG = 0, 1, 2, 3
FORMATS = {None: 0, "auto": 0, "jsonl": 1, "conll": 2}
SCHEMES = {"iob2": 0, "iob1": 1, "bilou": 2, "bioes": 3}

_LogFn = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_int, ctypes.c_char_p)


class _TrainParams(ctypes.Structure):
    _fields_ = [("size", ctypes.c_uint32), ("flags", ctypes.c_uint32),
                ("n_threads", ctypes.c_uint32), ("format", ctypes.c_uint32),
                ("log", _LogFn), ("log_user", ctypes.c_void_p)]


class _EvalParams(ctypes.Structure):
    _fields_ = [("size", ctypes.c_uint32), ("flags", ctypes.c_uint32),
                ("n_threads", ctypes.c_uint32), ("format", ctypes.c_uint32),
                ("max_examples", ctypes.c_uint32),
                ("log", _LogFn), ("log_user", ctypes.c_void_p)]


class _ConvertParams(ctypes.Structure):
    _fields_ = [("size", ctypes.c_uint32), ("flags", ctypes.c_uint32),
                ("from_format", ctypes.c_uint32), ("to_format", ctypes.c_uint32),
                ("scheme", ctypes.c_uint32), ("align", ctypes.c_uint32),
                ("model_dir", ctypes.c_char_p),
                ("log", _LogFn), ("log_user", ctypes.c_void_p)]


_p, _s, _z, _i = ctypes.c_void_p, ctypes.c_char_p, ctypes.c_size_t, ctypes.c_int
_cpp = ctypes.POINTER(ctypes.c_void_p)
for _name, (_res, _args) in {
    "ner_train_params_init": (_i, [ctypes.POINTER(_TrainParams), _z]),
    "ner_train": (_i, [_s, _s, _s, _s, _s, ctypes.POINTER(_TrainParams), _s, _z]),
    "ner_train_config_default": (_i, [_cpp]),
    "ner_eval_params_init": (_i, [ctypes.POINTER(_EvalParams), _z]),
    "ner_evaluate": (_i, [_p, _s, ctypes.POINTER(_EvalParams), _cpp, _s, _z]),
    "ner_convert_params_init": (_i, [ctypes.POINTER(_ConvertParams), _z]),
    "ner_convert": (_i, [_s, _s, ctypes.POINTER(_ConvertParams), _s, _z]),
    "ner_string_free": (None, [_p]),
}.items():
    _fn = getattr(LIB, _name)
    _fn.restype, _fn.argtypes = _res, _args


def _path(p):
    return None if p is None else (p if isinstance(p, bytes) else str(p).encode())


def _format(fmt):
    try:
        return FORMATS[fmt]
    except KeyError:
        raise ValueError("format must be 'jsonl', 'conll' or None, not %r" % (fmt,))


def _log_fn(log):
    """A C callback calling log(level, message); kept alive by the caller."""
    if log is None:
        return _LogFn()
    return _LogFn(lambda _user, level, msg: log(level, msg.decode("utf-8", "replace")))


def _take_string(ptr):
    try:
        return ctypes.string_at(ptr).decode("utf-8")
    finally:
        LIB.ner_string_free(ptr)


def init_config():
    """The default training config, a dict (its "_..." keys document it)."""
    out = ctypes.c_void_p()
    check(LIB.ner_train_config_default(ctypes.byref(out)), what="ner_train_config_default")
    return json.loads(_take_string(out))


def train(train_path, dev_path, output, config=None, base=None, n_threads=1,
          format=None, log=None):
    """Trains a tagger on train_path, early-stopping on dev_path (may be
    None), and writes output/model-best and output/model-last: complete
    pipeline folders (base's other components kept when base is given).
    config: a dict or JSON text of overrides (see init_config())."""
    if isinstance(config, dict):
        config = json.dumps(config)
    p = _TrainParams()
    check(LIB.ner_train_params_init(ctypes.byref(p), ctypes.sizeof(p)))
    p.n_threads = n_threads
    p.format = _format(format)
    cb = _log_fn(log)
    p.log = cb
    eb = _lib.errbuf()
    check(LIB.ner_train(_path(train_path), _path(dev_path), _path(output),
                        None if config is None else config.encode("utf-8"),
                        _path(base), ctypes.byref(p), eb, _lib.NER_ERRBUF_SIZE), eb)


def evaluate(model, data_path, n_threads=1, format=None, max_examples=5, log=None):
    """Scores a pipeline (a Pipeline, or a folder to load) on annotated data:
    a dict with ents_p, ents_r, ents_f, ents_per_type, errors (boundary,
    type, boundary_type, missing, spurious) with examples, and confusion."""
    from .pipeline import Pipeline, load
    nlp = model if isinstance(model, Pipeline) else load(model)
    handle = nlp._handle  # keeps the C pipeline alive during the call
    p = _EvalParams()
    check(LIB.ner_eval_params_init(ctypes.byref(p), ctypes.sizeof(p)))
    p.n_threads = n_threads
    p.format = _format(format)
    p.max_examples = max_examples
    cb = _log_fn(log)
    p.log = cb
    out = ctypes.c_void_p()
    eb = _lib.errbuf()
    check(LIB.ner_evaluate(handle.ptr, _path(data_path), ctypes.byref(p),
                           ctypes.byref(out), eb, _lib.NER_ERRBUF_SIZE), eb)
    return json.loads(_take_string(out))


def convert(in_path, out_path, to=None, scheme="iob2", model=None, align="strict",
            log=None):
    """Converts CoNLL column files to JSONL and back (to: "jsonl", "conll" or
    None for the other format), writing columns in the given tag scheme."""
    aligns = {"strict": 0, "contract": 1, "expand": 2}
    if scheme not in SCHEMES or align not in aligns:
        raise ValueError("scheme must be one of %s and align one of %s"
                         % (sorted(SCHEMES), sorted(aligns)))
    p = _ConvertParams()
    check(LIB.ner_convert_params_init(ctypes.byref(p), ctypes.sizeof(p)))
    if to is not None:
        p.to_format = _format(to)
    p.scheme = SCHEMES[scheme]
    p.align = aligns[align]
    p.model_dir = _path(model)
    cb = _log_fn(log)
    p.log = cb
    eb = _lib.errbuf()
    check(LIB.ner_convert(_path(in_path), _path(out_path), ctypes.byref(p), eb,
                          _lib.NER_ERRBUF_SIZE), eb)


__all__ = ["Error", "LOG_DEBUG", "LOG_ERROR", "LOG_INFO", "LOG_WARN", "convert",
           "evaluate", "init_config", "train"]
