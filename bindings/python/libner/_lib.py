"""Finding and loading the libner shared library, and the C prototypes.

Only the public C API (include/ner/ner.h, plus ner_find_factory from
ner_component.h) is used.  Every function called through ``LIB`` has its
argtypes and restype declared here, so that ctypes converts arguments and
results correctly (size_t and pointers are 64-bit; the default int would
truncate them).

Where the library is looked for, in order:

1. the environment variable ``LIBNER_PATH``: the path of ``libner.so.0``
   itself.  When it is set, nothing else is tried;
2. a meson build tree: ``build*/lib/libner.so.0`` in this package's folder or
   any folder above it (the newest one when there are several);
3. the system: ``ctypes.util.find_library("ner")``, then ``libner.so.0``
   through the dynamic loader's own search path.
"""

import ctypes
import ctypes.util
import glob
import os
import sys

# The release these bindings were written against (NER_VERSION_NUMBER).
# The library must have the same major version and be at least this recent.
BINDINGS_VERSION_NUMBER = 100  # 0.1.0

if sys.platform == "darwin":
    _SONAME = "libner.0.dylib"
else:
    _SONAME = "libner.so.0"


# ------------------------------------------------------------------ structs
# Mirrors of the public structs of ner.h, field for field.

class NerAddParams(ctypes.Structure):
    _fields_ = [
        ("size", ctypes.c_uint32),
        ("flags", ctypes.c_uint32),
        ("name", ctypes.c_char_p),
        ("before", ctypes.c_char_p),
        ("after", ctypes.c_char_p),
        ("dir", ctypes.c_char_p),
    ]


NER_LOG_FN = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_int, ctypes.c_char_p)


class NerLoadParams(ctypes.Structure):
    _fields_ = [
        ("size", ctypes.c_uint32),
        ("flags", ctypes.c_uint32),
        ("log", NER_LOG_FN),
        ("log_user", ctypes.c_void_p),
    ]


class NerBatchParams(ctypes.Structure):
    _fields_ = [
        ("size", ctypes.c_uint32),
        ("n_threads", ctypes.c_uint32),
        ("batch_size", ctypes.c_uint32),
        ("flags", ctypes.c_uint32),
    ]


class NerSpanRecord(ctypes.Structure):
    """ner_span_record: frozen; a later record gets a new name in C."""
    _fields_ = [
        ("start_byte", ctypes.c_uint64),
        ("end_byte", ctypes.c_uint64),
        ("start_char", ctypes.c_uint64),
        ("end_char", ctypes.c_uint64),
        ("start_token", ctypes.c_uint32),
        ("end_token", ctypes.c_uint32),
        ("score", ctypes.c_double),
        ("label", ctypes.c_char_p),
        ("kb_id", ctypes.c_char_p),
        ("kb_score", ctypes.c_double),
        ("ent_id", ctypes.c_char_p),
    ]


NER_JSON_TOKENS = 0x1
NER_JSON_SPANS = 0x2
NER_JSON_BYTES = 0x4
NER_ERRBUF_SIZE = 512


# ------------------------------------------------------------------ prototypes

_p = ctypes.c_void_p           # every opaque handle
_pp = ctypes.POINTER(ctypes.c_void_p)
_s = ctypes.c_char_p
_z = ctypes.c_size_t
_pz = ctypes.POINTER(ctypes.c_size_t)
_i = ctypes.c_int

# name: (restype, [argtypes])
_PROTOTYPES = {
    "ner_version": (_s, []),
    "ner_version_number": (ctypes.c_uint, []),
    "ner_strerror": (_s, [_i]),

    "ner_add_params_init": (_i, [ctypes.POINTER(NerAddParams), _z]),
    "ner_builder_new": (_i, [_pp, _s, _s, _z]),
    "ner_builder_from_dir": (_i, [_pp, _s, _s, _z]),
    "ner_builder_add": (_i, [_p, _s, _s, ctypes.POINTER(NerAddParams), _s, _z]),
    "ner_builder_remove": (_i, [_p, _s]),
    "ner_builder_build": (_i, [_p, _pp, _s, _z]),
    "ner_builder_free": (None, [_p]),

    "ner_load_params_init": (_i, [ctypes.POINTER(NerLoadParams), _z]),
    "ner_pipeline_load": (_i, [_pp, _s, ctypes.POINTER(NerLoadParams), _s, _z]),
    "ner_default_pipeline_dir": (_s, []),
    "ner_pipeline_save": (_i, [_p, _s, _s, _z]),
    "ner_pipeline_free": (None, [_p]),
    "ner_pipeline_lang": (_s, [_p]),
    "ner_pipeline_component_count": (_z, [_p]),
    "ner_pipeline_component_name": (_s, [_p, _z]),
    "ner_pipeline_component_factory": (_s, [_p, _z]),
    "ner_pipeline_label_count": (_z, [_p]),
    "ner_pipeline_label": (_s, [_p, _z]),
    # text is passed as a pointer plus a length: it may contain NUL bytes.
    "ner_pipeline_process": (_i, [_p, _s, _z, _pp, _s, _z]),
    "ner_batch_params_init": (_i, [ctypes.POINTER(NerBatchParams), _z]),
    "ner_pipeline_process_batch": (_i, [_p, ctypes.POINTER(_s), _pz, _z, _pp,
                                        ctypes.POINTER(NerBatchParams), _s, _z]),

    "ner_doc_free": (None, [_p]),
    "ner_doc_status": (_i, [_p]),
    "ner_doc_errmsg": (_s, [_p]),
    # returns a pointer into the doc (not NUL-safe): read with string_at
    "ner_doc_text": (ctypes.c_void_p, [_p, _pz]),
    "ner_doc_length_chars": (_z, [_p]),
    "ner_doc_pipeline": (_p, [_p]),
    "ner_doc_token_count": (_z, [_p]),
    "ner_doc_copy_token_offsets": (_z, [_p, _z, _z, ctypes.POINTER(ctypes.c_uint64)]),
    "ner_doc_token_bytes": (_i, [_p, _z, _pz, _pz, _pz]),
    "ner_doc_token_chars": (_i, [_p, _z, _pz, _pz, _pz]),
    "ner_doc_token_text": (ctypes.c_void_p, [_p, _z, _pz]),
    "ner_doc_leading_ws_bytes": (_z, [_p]),
    "ner_doc_ents": (_p, [_p]),
    "ner_doc_span_group_count": (_z, [_p]),
    "ner_doc_span_group_name": (_s, [_p, _z]),
    "ner_doc_spans": (_p, [_p, _s]),
    "ner_ents_count": (_z, [_p]),
    "ner_ents_get": (_p, [_p, _z]),
    "ner_span_label": (_s, [_p]),
    "ner_span_text": (ctypes.c_void_p, [_p, _pz]),
    "ner_span_start_byte": (_z, [_p]),
    "ner_span_end_byte": (_z, [_p]),
    "ner_span_start_char": (_z, [_p]),
    "ner_span_end_char": (_z, [_p]),
    "ner_span_start_token": (_z, [_p]),
    "ner_span_end_token": (_z, [_p]),
    "ner_span_score": (ctypes.c_double, [_p]),
    "ner_span_kb_id": (_s, [_p]),
    "ner_span_kb_score": (ctypes.c_double, [_p]),
    "ner_span_ent_id": (_s, [_p]),
    "ner_doc_copy_ents": (_z, [_p, ctypes.POINTER(NerSpanRecord), _z]),
    # the out string is declared as void* so that we can free it afterwards
    "ner_doc_to_json": (_i, [_p, ctypes.c_uint32, _pp, _pz]),
    "ner_string_free": (None, [ctypes.c_void_p]),

    # ner_component.h: only to ask whether a factory exists
    "ner_find_factory": (_p, [_s]),
}


def _candidates():
    """Yields (path, how) pairs in the order they are tried."""
    here = os.path.dirname(os.path.abspath(__file__))
    d = here
    while True:
        found = glob.glob(os.path.join(d, "build*", "lib", _SONAME))
        if found:
            found.sort(key=lambda p: os.path.getmtime(p), reverse=True)
            for p in found:
                yield p, "build tree"
        parent = os.path.dirname(d)
        if parent == d:
            break
        d = parent
    name = ctypes.util.find_library("ner")
    if name:
        yield name, "ctypes.util.find_library('ner')"
    yield _SONAME, "the dynamic loader's search path"


def _open():
    env = os.environ.get("LIBNER_PATH")
    if env:
        try:
            return ctypes.CDLL(env), env
        except OSError as e:
            raise ImportError(
                "libner: cannot load LIBNER_PATH=%r: %s" % (env, e)) from e
    tried = []
    for path, how in _candidates():
        try:
            return ctypes.CDLL(path), path
        except OSError as e:
            tried.append("%s (%s): %s" % (path, how, e))
    raise ImportError(
        "libner: the shared library %s was not found; set LIBNER_PATH to its "
        "path.  Tried:\n  %s" % (_SONAME, "\n  ".join(tried)))


def _declare(lib):
    for name, (restype, argtypes) in _PROTOTYPES.items():
        try:
            fn = getattr(lib, name)
        except AttributeError as e:
            raise ImportError(
                "libner: %s does not export %s; it is older than these "
                "bindings" % (PATH, name)) from e
        fn.restype = restype
        fn.argtypes = argtypes


LIB, PATH = _open()
_declare(LIB)

VERSION = LIB.ner_version().decode("ascii", "replace")
VERSION_NUMBER = LIB.ner_version_number()
if (VERSION_NUMBER // 10000 != BINDINGS_VERSION_NUMBER // 10000
        or VERSION_NUMBER < BINDINGS_VERSION_NUMBER):
    raise ImportError(
        "libner: %s is version %s (%d); these bindings need %d.x, at least %d"
        % (PATH, VERSION, VERSION_NUMBER, BINDINGS_VERSION_NUMBER // 10000,
           BINDINGS_VERSION_NUMBER))


def decode(b, errors="replace"):
    """A C string (bytes or None) as str; None stays None."""
    return None if b is None else b.decode("utf-8", errors)


def errbuf():
    return ctypes.create_string_buffer(NER_ERRBUF_SIZE)
