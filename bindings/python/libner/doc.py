"""Doc, Token and Span: plain Python copies of a processed text.

When a Doc is made, everything it exposes (text, tokens, entities, span
groups) is copied out of the C doc into Python objects, so no attribute ever
reads a borrowed C pointer.  The C doc itself is kept only for to_json(),
which asks the library for its own JSON, and is freed with the Doc.
"""

import ctypes
import json
import threading
import types

from . import _lib
from ._lib import LIB
from . import errors
from .errors import Error, check


class Token:
    """One token.  Offsets are half-open; `*_char` are code points (indices
    into the Python str), `*_byte` UTF-8 bytes."""

    __slots__ = ("i", "text", "whitespace_", "start_char", "end_char",
                 "start_byte", "end_byte")

    def __init__(self, i, text, whitespace_, start_char, end_char,
                 start_byte, end_byte):
        self.i = i
        self.text = text
        self.whitespace_ = whitespace_
        self.start_char = start_char
        self.end_char = end_char
        self.start_byte = start_byte
        self.end_byte = end_byte

    @property
    def idx(self):
        """The code-point offset of the token in the text (spaCy's idx)."""
        return self.start_char

    @property
    def text_with_ws(self):
        return self.text + self.whitespace_

    def __len__(self):
        return self.end_char - self.start_char

    def __str__(self):
        return self.text

    def __repr__(self):
        return "Token(%d, %r, [%d:%d])" % (self.i, self.text, self.start_char,
                                           self.end_char)

    def _key(self):
        return (self.i, self.text, self.whitespace_, self.start_char,
                self.end_char, self.start_byte, self.end_byte)

    def __eq__(self, other):
        if not isinstance(other, Token):
            return NotImplemented
        return self._key() == other._key()

    def __hash__(self):
        return hash(self._key())


class Span:
    """An entity or a span of a span group.

    `start`/`end` are token indices, `start_char`/`end_char` code points,
    `start_byte`/`end_byte` UTF-8 bytes; all half-open.  `kb_id_` and
    `ent_id_` are "" when the library has none (as in spaCy); `kb_score` is
    the linker's confidence (0.0 without a linker), apart from `score`."""

    __slots__ = ("text", "label_", "start", "end", "start_char", "end_char",
                 "start_byte", "end_byte", "score", "kb_id_", "ent_id_",
                 "kb_score")

    def __init__(self, text, label_, start, end, start_char, end_char,
                 start_byte, end_byte, score, kb_id_="", ent_id_="",
                 kb_score=0.0):
        self.text = text
        self.label_ = label_
        self.start = start
        self.end = end
        self.start_char = start_char
        self.end_char = end_char
        self.start_byte = start_byte
        self.end_byte = end_byte
        self.score = score
        self.kb_id_ = kb_id_
        self.ent_id_ = ent_id_
        self.kb_score = kb_score

    def __len__(self):
        return self.end - self.start

    def __str__(self):
        return self.text

    def __repr__(self):
        return "Span(%r, %r, [%d:%d])" % (self.text, self.label_,
                                          self.start_char, self.end_char)

    def _key(self):
        return (self.text, self.label_, self.start, self.end, self.start_char,
                self.end_char, self.start_byte, self.end_byte, self.score,
                self.kb_id_, self.ent_id_, self.kb_score)

    def __eq__(self, other):
        if not isinstance(other, Span):
            return NotImplemented
        return self._key() == other._key()

    def __hash__(self):
        return hash(self._key())


class _CDoc:
    """Owns one C ner_doc; frees it when collected."""

    __slots__ = ("ptr", "lock", "__weakref__")

    def __init__(self, ptr):
        self.ptr = ptr
        self.lock = threading.Lock()

    def __del__(self):
        ptr, self.ptr = self.ptr, None
        if ptr:
            try:
                LIB.ner_doc_free(ptr)
            except Exception:  # interpreter shutdown
                pass


def _str_at(addr, n):
    return ctypes.string_at(addr, n) if n else b""


def _span_from_c(sp, raw):
    """A Span from a borrowed ner_span pointer; raw is the doc's UTF-8 text."""
    sb, eb = LIB.ner_span_start_byte(sp), LIB.ner_span_end_byte(sp)
    return Span(
        text=raw[sb:eb].decode("utf-8"),
        label_=_lib.decode(LIB.ner_span_label(sp), "strict") or "",
        start=LIB.ner_span_start_token(sp),
        end=LIB.ner_span_end_token(sp),
        start_char=LIB.ner_span_start_char(sp),
        end_char=LIB.ner_span_end_char(sp),
        start_byte=sb,
        end_byte=eb,
        score=LIB.ner_span_score(sp),
        kb_id_=_lib.decode(LIB.ner_span_kb_id(sp), "strict") or "",
        ent_id_=_lib.decode(LIB.ner_span_ent_id(sp), "strict") or "",
        kb_score=LIB.ner_span_kb_score(sp),
    )


class Doc:
    """A processed text: `text`, `tokens`, `ents`, `spans`.

    len(doc) is the number of tokens; iterating gives the tokens; doc[i] is
    token i and doc[a:b] a Span over tokens a..b-1 (label "").  Every value is
    a plain Python copy, safe to keep and to pass between threads.  A Doc
    cannot be pickled; its tokens and spans can, and to_json() gives the
    library's JSON."""

    __slots__ = ("text", "tokens", "ents", "spans", "_cdoc", "__weakref__")

    def __init__(self, cdoc):
        """Private: docs come from a Pipeline.  `cdoc` is the _CDoc that owns
        the C doc (wrapped as soon as the library returns it, so that it is
        freed whatever happens next)."""
        self._cdoc = cdoc
        ptr = cdoc.ptr
        n = ctypes.c_size_t()
        addr = LIB.ner_doc_text(ptr, ctypes.byref(n))
        raw = _str_at(addr, n.value)
        self.text = raw.decode("utf-8")

        # Tokens: all offsets in one call, then slices of the decoded text
        # by code points (this is the hot path of the bindings).
        ntok = LIB.ner_doc_token_count(ptr)
        offs = (ctypes.c_uint64 * (6 * ntok))() if ntok else None
        if ntok and LIB.ner_doc_copy_token_offsets(ptr, 0, ntok, offs) != ntok:
            raise Error(errors.EINTERNAL, "reading the token offsets")
        text = self.text
        o = list(offs) if ntok else []
        tokens = [Token(i, text[o[6 * i + 3]:o[6 * i + 4]],
                        text[o[6 * i + 4]:o[6 * i + 5]],
                        o[6 * i + 3], o[6 * i + 4], o[6 * i], o[6 * i + 1])
                  for i in range(ntok)]
        self.tokens = tuple(tokens)

        # Entities: the span records in one call.
        count = LIB.ner_doc_copy_ents(ptr, None, 0)
        ents = []
        if count:
            buf = (_lib.NerSpanRecord * count)()
            count = min(count, LIB.ner_doc_copy_ents(ptr, buf, count))
            for i in range(count):
                r = buf[i]
                ents.append(Span(
                    text=raw[r.start_byte:r.end_byte].decode("utf-8"),
                    label_=_lib.decode(r.label, "strict") or "",
                    start=r.start_token, end=r.end_token,
                    start_char=r.start_char, end_char=r.end_char,
                    start_byte=r.start_byte, end_byte=r.end_byte,
                    score=r.score,
                    kb_id_=_lib.decode(r.kb_id, "strict") or "",
                    ent_id_=_lib.decode(r.ent_id, "strict") or "",
                    kb_score=r.kb_score))
        self.ents = tuple(ents)

        # Span groups
        groups = {}
        for g in range(LIB.ner_doc_span_group_count(ptr)):
            name_b = LIB.ner_doc_span_group_name(ptr, g)
            if name_b is None:
                continue
            elist = LIB.ner_doc_spans(ptr, name_b)
            spans = []
            for i in range(LIB.ner_ents_count(elist) if elist else 0):
                sp = LIB.ner_ents_get(elist, i)
                if sp:
                    spans.append(_span_from_c(sp, raw))
            groups[name_b.decode("utf-8")] = tuple(spans)
        self.spans = types.MappingProxyType(groups)

    # -------------------------------------------------------- sequence
    def __len__(self):
        return len(self.tokens)

    def __iter__(self):
        return iter(self.tokens)

    def __getitem__(self, key):
        if isinstance(key, slice):
            start, stop, step = key.indices(len(self.tokens))
            if step != 1:
                raise ValueError("Doc slices must have step 1")
            stop = max(start, stop)
            if start == stop:
                c = (self.tokens[start].start_char if start < len(self.tokens)
                     else len(self.text))
                b = (self.tokens[start].start_byte if start < len(self.tokens)
                     else len(self.text.encode("utf-8")))
                return Span("", "", start, stop, c, c, b, b, 0.0)
            first, last = self.tokens[start], self.tokens[stop - 1]
            return Span(self.text[first.start_char:last.end_char], "",
                        start, stop, first.start_char, last.end_char,
                        first.start_byte, last.end_byte, 0.0)
        return self.tokens[key]

    def __str__(self):
        return self.text

    def __repr__(self):
        return self.text

    # -------------------------------------------------------- JSON
    def to_json_str(self, tokens=True, spans=True, byte_offsets=False):
        """The library's JSON for this doc (ner_doc_to_json), one line:
        {"text", "ents": [{"start","end","label","text","score","kb_id"}...]}
        with code-point offsets, plus "tokens" and "spans" unless turned off,
        and "start_byte"/"end_byte" on each span when byte_offsets."""
        flags = ((_lib.NER_JSON_TOKENS if tokens else 0)
                 | (_lib.NER_JSON_SPANS if spans else 0)
                 | (_lib.NER_JSON_BYTES if byte_offsets else 0))
        out = ctypes.c_void_p()
        n = ctypes.c_size_t()
        with self._cdoc.lock:
            check(LIB.ner_doc_to_json(self._cdoc.ptr, flags, ctypes.byref(out),
                                      ctypes.byref(n)),
                  what="ner_doc_to_json failed")
        try:
            return _str_at(out.value, n.value).decode("utf-8")
        finally:
            LIB.ner_string_free(out)

    def to_json(self, tokens=True, spans=True, byte_offsets=False):
        """to_json_str() parsed into a dict."""
        return json.loads(self.to_json_str(tokens, spans, byte_offsets))
