"""Pipeline: load() and blank(), processing text, saving, adding components.

A C ner_pipeline is immutable.  To offer spaCy's add_pipe/remove_pipe, a
Pipeline remembers how it was made (its *origin*: a language for blank(), a
folder for load()) and the list of changes made since; a change builds a new
C pipeline from the origin (ner_builder_new or ner_builder_from_dir), replays
every change with ner_builder_add / ner_builder_remove, builds it, and only
then replaces the handle.  A failed change leaves the Pipeline as it was.
EntityRuler.add_patterns is such a change too: the patterns join the
ruler's inline "patterns" config (a ruler of the origin folder is removed
and added again in its place, with its folder, so its patterns.jsonl stays).

Rebuilding from a folder reads it again, so the folder must not change in
between: the bindings keep a copy of its pipeline.json and refuse to rebuild
(libner.Error, code EUNSUPPORTED) when it differs.  to_disk() into the origin
folder itself makes that folder the new starting point.  Docs already made
are plain copies and are not affected by a change.
"""

import collections.abc
import ctypes
import json
import os

from . import _lib
from ._lib import LIB
from .doc import Doc, _CDoc
from .errors import (EINTERNAL, ENOTFOUND, EUNSUPPORTED, OK, Error, check,
                     encode_text)
from .ruler import EntityRuler


def _path_bytes(path):
    return os.fsencode(os.fspath(path))


def _opt_bytes(s):
    return None if s is None else s.encode("utf-8")


class _Handle:
    """Owns one C ner_pipeline; caches its (immutable) description."""

    __slots__ = ("ptr", "lang", "names", "factories", "labels")

    def __init__(self, ptr):
        self.ptr = ptr
        self.lang = _lib.decode(LIB.ner_pipeline_lang(ptr), "strict") or ""
        n = LIB.ner_pipeline_component_count(ptr)
        self.names = tuple(_lib.decode(LIB.ner_pipeline_component_name(ptr, i),
                                       "strict") for i in range(n))
        self.factories = tuple(_lib.decode(
            LIB.ner_pipeline_component_factory(ptr, i), "strict")
            for i in range(n))
        self.labels = tuple(_lib.decode(LIB.ner_pipeline_label(ptr, i), "strict")
                            for i in range(LIB.ner_pipeline_label_count(ptr)))

    def __del__(self):
        ptr, self.ptr = self.ptr, None
        if ptr:
            try:
                LIB.ner_pipeline_free(ptr)
            except Exception:  # interpreter shutdown
                pass


def _build(builder):
    """Builds and frees the builder (a c_void_p); returns a _Handle."""
    eb = _lib.errbuf()
    out = ctypes.c_void_p()
    try:
        check(LIB.ner_builder_build(builder, ctypes.byref(out), eb,
                                    _lib.NER_ERRBUF_SIZE), eb)
    finally:
        LIB.ner_builder_free(builder)
    return _Handle(out.value)


def _read_pipeline_json(folder):
    try:
        with open(os.path.join(folder, "pipeline.json"), "rb") as f:
            return f.read()
    except OSError:
        return None


class Pipeline:
    """A built pipeline.  Call it on a str to get a Doc; pipe() runs many texts
    on several threads.  Safe to use from several Python threads at once
    (add_pipe/remove_pipe excepted: do not change a pipeline while another
    thread changes it)."""

    def __init__(self, handle, origin, snapshot=None, ops=()):
        """Private: use libner.load() or libner.blank()."""
        self._handle = handle
        self._origin = origin       # ("lang", code), ("dir", abs path) or None
        self._snapshot = snapshot   # pipeline.json bytes of a dir origin
        self._ops = list(ops)       # ("add", factory, name, cfg, before, after),
                                    # ("remove", name), or ("ruler", name, cfg,
                                    # folder): an origin entity_ruler made again
                                    # with more patterns (EntityRuler.add_patterns)

    # -------------------------------------------------------- description
    @property
    def lang(self):
        return self._handle.lang

    @property
    def pipe_names(self):
        """Component names, in order."""
        return list(self._handle.names)

    @property
    def component_names(self):
        return list(self._handle.names)

    @property
    def pipe_factories(self):
        """{component name: factory name}."""
        h = self._handle
        return dict(zip(h.names, h.factories))

    @property
    def pipeline(self):
        """[(name, factory)] in order (spaCy gives (name, component))."""
        h = self._handle
        return list(zip(h.names, h.factories))

    @property
    def labels(self):
        """The entity labels the pipeline declares, in order."""
        return self._handle.labels

    def has_pipe(self, name):
        return name in self._handle.names

    def __repr__(self):
        return "<libner.Pipeline lang=%r pipe_names=%r>" % (self.lang,
                                                           self.pipe_names)

    # -------------------------------------------------------- processing
    def __call__(self, text):
        """Processes one text; returns a Doc.  Raises libner.Error on failure
        (for instance EUTF8 for a str with a lone surrogate)."""
        data = encode_text(text)
        h = self._handle  # keeps the C pipeline alive during the call
        out = ctypes.c_void_p()
        eb = _lib.errbuf()
        check(LIB.ner_pipeline_process(h.ptr, data, len(data), ctypes.byref(out),
                                       eb, _lib.NER_ERRBUF_SIZE), eb)
        return Doc(_CDoc(out.value))

    def pipe(self, texts, batch_size=64, n_threads=1, as_tuples=False):
        """Processes an iterable of str and yields a Doc for each, in input
        order, whatever the number of threads.

        batch_size: texts a component sees at once.  n_threads: C worker
        threads (the GIL is released while they run).  as_tuples: texts are
        (text, context) pairs and (doc, context) pairs are yielded.

        The pipeline used is the one at the time of the call: a later
        add_pipe/remove_pipe does not affect a running pipe().
        Texts are read from the iterable in chunks of batch_size * n_threads * 2.
        When a text fails, the docs of every text before it are yielded, then
        libner.Error is raised with .index set to the text's position in the
        input (and "text <index>:" at the start of the message); the
        generator is finished after that.
        """
        batch_size = int(batch_size)
        n_threads = int(n_threads)
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        if n_threads < 1:
            raise ValueError("n_threads must be at least 1")
        if batch_size > 0xFFFFFFFF or n_threads > 0xFFFFFFFF:
            raise ValueError("batch_size and n_threads must fit in 32 bits")
        return self._pipe(self._handle, iter(texts), batch_size, n_threads,
                          as_tuples)

    @staticmethod
    def _pipe(h, it, batch_size, n_threads, as_tuples):
        chunk = batch_size * n_threads * 2
        params = _lib.NerBatchParams()
        check(LIB.ner_batch_params_init(ctypes.byref(params),
                                        ctypes.sizeof(params)))
        params.n_threads = n_threads
        params.batch_size = batch_size
        base = 0
        while True:
            data, contexts, pending = [], [], None
            for item in it:
                if as_tuples:
                    text, ctx = item
                    contexts.append(ctx)
                else:
                    text = item
                try:
                    data.append(encode_text(text, index=base + len(data)))
                except (Error, TypeError) as e:
                    pending = e
                    break
                if len(data) == chunk:
                    break
            if data:
                docs = _process_batch(h, data, params, base)
                for k, doc in enumerate(docs):
                    if isinstance(doc, Error):
                        raise doc
                    yield (doc, contexts[k]) if as_tuples else doc
                    docs[k] = None  # the caller owns it now
            if pending is not None:
                raise pending
            if len(data) < chunk:
                return
            base += len(data)

    # -------------------------------------------------------- saving
    def to_disk(self, path):
        """Writes the pipeline as a folder (ner_pipeline_save) that
        libner.load() reads back.  Creates the folder if needed."""
        h = self._handle
        eb = _lib.errbuf()
        check(LIB.ner_pipeline_save(h.ptr, _path_bytes(path), eb,
                                    _lib.NER_ERRBUF_SIZE), eb)
        if (self._origin is not None and self._origin[0] == "dir"
                and os.path.realpath(os.fspath(path)) == self._origin[1]):
            # The origin folder now holds this very pipeline: start from it.
            self._snapshot = _read_pipeline_json(self._origin[1])
            self._ops = []

    # -------------------------------------------------------- changes
    def add_pipe(self, factory, name=None, config=None, before=None,
                 after=None):
        """Adds a component made by `factory` (a built-in or a registered C
        factory) with `config` (a dict, or a JSON object as str; None: {}).
        `before`/`after` name a component (or give its index) to insert
        next to; by default the component goes last.  Rebuilds the pipeline
        (see the module's documentation); raises libner.Error, leaving the
        pipeline unchanged, when the factory is unknown, the name is taken,
        or the config is rejected.  Returns the new component's name; for
        an "entity_ruler", an EntityRuler (which compares equal to the
        name) whose add_patterns() adds patterns as in spaCy."""
        if not isinstance(factory, str):
            raise TypeError("factory must be a str")
        if config is None:
            cfg = None
        elif isinstance(config, str):
            cfg = config
        elif isinstance(config, collections.abc.Mapping):
            cfg = json.dumps(dict(config), ensure_ascii=False)
        else:
            raise TypeError("config must be a dict, a JSON str or None")
        before = self._anchor(before)
        after = self._anchor(after)
        op = ("add", factory, name, cfg, before, after)
        self._apply(self._ops + [op])
        out = name if name is not None else factory
        return EntityRuler(self, out) if factory == "entity_ruler" else out

    def get_pipe(self, name):
        """The component called name: an EntityRuler for an entity_ruler,
        else its name.  Raises KeyError when there is none."""
        h = self._handle
        if name not in h.names:
            raise KeyError('no component called "%s" (the pipeline has %s)'
                           % (name, ", ".join(h.names)))
        if dict(zip(h.names, h.factories))[name] == "entity_ruler":
            return EntityRuler(self, name)
        return name

    # -------------------------------------------------------- entity_ruler
    def _add_op_of(self, ops, name):
        """Index of the "add" op that made component `name`, or None when it
        comes from the origin (or was removed since)."""
        for i in range(len(ops) - 1, -1, -1):
            op = ops[i]
            if op[0] == "remove" and op[1] == name:
                return None
            if op[0] == "add" and (op[2] if op[2] is not None else op[1]) == name:
                return i
        return None

    def _origin_component(self, name):
        """The pipeline.json entry of the origin folder's component `name`."""
        try:
            pj = json.loads(self._snapshot.decode("utf-8"))
            for c in pj.get("components", []):
                if c.get("name", c.get("factory")) == name:
                    return c
        except (AttributeError, ValueError):
            pass
        return None

    def _ruler_config(self, ops, name):
        """(config dict, component folder or None, index of the op holding
        the config or None) of the entity_ruler called name."""
        i = self._add_op_of(ops, name)
        if i is not None:
            cfg = ops[i][3]
            return (json.loads(cfg) if cfg else {}), None, i
        for j, op in enumerate(ops):
            if op[0] == "ruler" and op[1] == name:
                return json.loads(op[2]), op[3], j
        c = self._origin_component(name)
        if c is None or self._origin is None or self._origin[0] != "dir":
            raise Error(EUNSUPPORTED, 'the configuration of "%s" is not known, '
                        "so patterns cannot be added to it" % name)
        d = os.path.join(self._origin[1], name)
        return dict(c.get("config") or {}), (d if os.path.isdir(d) else None), None

    def _ruler_check(self, name):
        h = self._handle
        if name not in h.names:
            raise Error(ENOTFOUND, 'no component called "%s" (the pipeline has %s)'
                        % (name, ", ".join(h.names)))
        if dict(zip(h.names, h.factories))[name] != "entity_ruler":
            raise TypeError('"%s" is not an entity_ruler' % name)

    def _ruler_add_patterns(self, name, patterns):
        self._ruler_check(name)
        ops = list(self._ops)
        cfg, folder, i = self._ruler_config(ops, name)
        cfg["patterns"] = list(cfg.get("patterns") or []) + list(patterns)
        text = json.dumps(cfg, ensure_ascii=False)
        if i is not None and ops[i][0] == "add":
            _, factory, nm, _, before, after = ops[i]
            ops[i] = ("add", factory, nm, text, before, after)
        elif i is not None:
            ops[i] = ("ruler", name, text, folder)
        else:
            ops.append(("ruler", name, text, folder))
        self._apply(ops)

    def _ruler_patterns(self, name):
        self._ruler_check(name)
        cfg, folder, i = self._ruler_config(self._ops, name)
        path = None
        if folder and os.path.isfile(os.path.join(folder, "patterns.jsonl")):
            path = os.path.join(folder, "patterns.jsonl")
        elif cfg.get("patterns_path"):
            path = cfg["patterns_path"]
        out = []
        if path:
            with open(path, encoding="utf-8-sig") as f:
                out = [json.loads(line) for line in f if line.strip()]
        return out + list(cfg.get("patterns") or [])

    def remove_pipe(self, name):
        """Removes the component called name; returns the name.  Raises
        libner.Error (ENOTFOUND) when there is none."""
        if name not in self._handle.names:
            raise Error(ENOTFOUND, 'no component called "%s" (the pipeline '
                        'has %s)' % (name, ", ".join(self._handle.names)))
        self._apply(self._ops + [("remove", name)])
        return name

    def _anchor(self, a):
        if a is None or isinstance(a, str):
            return a
        if isinstance(a, int) and not isinstance(a, bool):
            names = self._handle.names
            if not -len(names) <= a < len(names):
                raise IndexError("component index %d out of range" % a)
            return names[a]
        raise TypeError("before/after must be a component name or index")

    def _apply(self, ops):
        handle = self._rebuild(ops)
        self._handle = handle
        self._ops = ops

    def _rebuild(self, ops):
        eb = _lib.errbuf()
        b = ctypes.c_void_p()
        if self._origin is None:
            raise Error(EUNSUPPORTED, "this pipeline does not know the folder "
                        "it was loaded from, so it cannot be rebuilt")
        kind, where = self._origin
        if kind == "lang":
            rc = LIB.ner_builder_new(ctypes.byref(b), where.encode("utf-8"), eb,
                                     _lib.NER_ERRBUF_SIZE)
        else:
            if _read_pipeline_json(where) != self._snapshot:
                raise Error(EUNSUPPORTED, "%s/pipeline.json changed since this "
                            "pipeline was loaded, so it cannot be rebuilt to "
                            "add or remove a component: load it again" % where)
            rc = LIB.ner_builder_from_dir(ctypes.byref(b), _path_bytes(where),
                                          eb, _lib.NER_ERRBUF_SIZE)
        check(rc, eb)
        names = self._initial_names()
        try:
            for op in ops:
                if op[0] == "ruler":
                    # an entity_ruler of the origin folder, made again with
                    # more inline patterns, in the same place
                    _, name, cfg, folder = op
                    k = names.index(name)
                    p = _lib.NerAddParams()
                    check(LIB.ner_add_params_init(ctypes.byref(p),
                                                  ctypes.sizeof(p)))
                    p.name = _opt_bytes(name)
                    if k + 1 < len(names):
                        p.before = _opt_bytes(names[k + 1])
                    elif k > 0:
                        p.after = _opt_bytes(names[k - 1])
                    p.dir = None if folder is None else _path_bytes(folder)
                    check(LIB.ner_builder_remove(b, name.encode("utf-8")),
                          what='no component called "%s"' % name)
                    check(LIB.ner_builder_add(b, b"entity_ruler",
                                              cfg.encode("utf-8"), ctypes.byref(p),
                                              eb, _lib.NER_ERRBUF_SIZE), eb)
                    continue
                _track_names(names, op)
                if op[0] == "add":
                    _, factory, name, cfg, before, after = op
                    p = _lib.NerAddParams()
                    check(LIB.ner_add_params_init(ctypes.byref(p),
                                                  ctypes.sizeof(p)))
                    p.name = _opt_bytes(name)
                    p.before = _opt_bytes(before)
                    p.after = _opt_bytes(after)
                    check(LIB.ner_builder_add(b, factory.encode("utf-8"),
                                              _opt_bytes(cfg), ctypes.byref(p),
                                              eb, _lib.NER_ERRBUF_SIZE), eb)
                else:
                    check(LIB.ner_builder_remove(b, op[1].encode("utf-8")),
                          what='no component called "%s"' % op[1])
        except BaseException:
            LIB.ner_builder_free(b)
            raise
        return _build(b)

    def _initial_names(self):
        """Component names of the origin, before any change."""
        if self._origin is not None and self._origin[0] == "dir":
            try:
                pj = json.loads(self._snapshot.decode("utf-8"))
                return [c.get("name", c.get("factory"))
                        for c in pj.get("components", [])]
            except (AttributeError, ValueError):
                return []
        return ["tokenizer"]


def _track_names(names, op):
    """Applies an add/remove op to a list of component names, as the builder
    does to its components."""
    if op[0] == "remove":
        if op[1] in names:
            names.remove(op[1])
        return
    _, factory, name, _, before, after = op
    name = name if name is not None else factory
    if before is not None and before in names:
        names.insert(names.index(before), name)
    elif after is not None and after in names:
        names.insert(names.index(after) + 1, name)
    else:
        names.append(name)


def _process_batch(h, data, params, base):
    """Runs ner_pipeline_process_batch on a list of UTF-8 texts; returns a
    list holding a Doc, or an Error for a failed text, per text."""
    n = len(data)
    texts = (ctypes.c_char_p * n)(*data)
    lens = (ctypes.c_size_t * n)(*(len(d) for d in data))
    docs = (ctypes.c_void_p * n)()
    eb = _lib.errbuf()
    rc = LIB.ner_pipeline_process_batch(h.ptr, texts, lens, n, docs,
                                        ctypes.byref(params), eb,
                                        _lib.NER_ERRBUF_SIZE)
    # Own every C doc at once, so that none leaks if something raises below.
    owned = [_CDoc(docs[i]) if docs[i] else None for i in range(n)]
    out = []
    missing = None
    for i, cdoc in enumerate(owned):
        if cdoc is None:
            missing = i
            out.append(None)
            continue
        status = LIB.ner_doc_status(cdoc.ptr)
        if status != OK:
            msg = _lib.decode(LIB.ner_doc_errmsg(cdoc.ptr)) or ""
            out.append(Error(status, "text %d: %s" % (base + i, msg),
                             index=base + i))
        else:
            out.append(Doc(cdoc))
        owned[i] = None
    if missing is not None:
        # The call failed as a whole (out of memory, bad parameters).
        check(rc if rc != OK else EINTERNAL, eb, "ner_pipeline_process_batch "
              "returned no doc for text %d" % (base + missing))
    return out


def load(path=None):
    """Loads a pipeline folder (pipeline.json plus a sub-folder per
    component); None loads the default English pipeline shipped with the
    library.  Raises libner.Error with the library's message (which names
    the folder) when it cannot."""
    eb = _lib.errbuf()
    out = ctypes.c_void_p()
    arg = None if path is None else _path_bytes(path)
    check(LIB.ner_pipeline_load(ctypes.byref(out), arg, None, eb,
                                _lib.NER_ERRBUF_SIZE), eb)
    handle = _Handle(out.value)
    if path is None:
        d = LIB.ner_default_pipeline_dir()
        folder = os.fsdecode(d) if d else None
    else:
        folder = os.fspath(path)
        if isinstance(folder, bytes):
            folder = os.fsdecode(folder)
    if folder is None:  # should not happen: the load just found it
        return Pipeline(handle, None)
    origin = ("dir", os.path.realpath(folder))
    return Pipeline(handle, origin, _read_pipeline_json(origin[1]))


def blank(lang="en"):
    """A pipeline with only the tokenizer of language `lang` ("en").  Raises
    libner.Error (ENOTFOUND) when the library has no rules for it."""
    if not isinstance(lang, str):
        raise TypeError("lang must be a str")
    eb = _lib.errbuf()
    b = ctypes.c_void_p()
    check(LIB.ner_builder_new(ctypes.byref(b), lang.encode("utf-8"), eb,
                              _lib.NER_ERRBUF_SIZE), eb)
    return Pipeline(_build(b), ("lang", lang))


def has_factory(name):
    """True when a component factory of that name is registered (built-in
    or plugin)."""
    return bool(LIB.ner_find_factory(name.encode("utf-8")))
