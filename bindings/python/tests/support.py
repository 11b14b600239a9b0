"""Texts and checks shared by the binding tests."""

import glob
import os

import libner

# Texts that stress offsets: accents (precomposed and combining), emoji with
# ZWJ sequences, skin tones and flags, CJK, Arabic and Hebrew (RTL), Indic,
# astral-plane letters, zero-width characters, NUL, odd whitespace.
UNICODE_TEXTS = [
    "Café Müller serves crème brûlée in Zürich, naïve Señor Ångström.",
    "Family 👨\u200d👩\u200d👧\u200d👦 and flags 🇫🇷🇯🇵🇺🇸 and 🏳\ufe0f\u200d🌈 with 👍🏽 Done.",
    "東京都に住んでいます。 Tokyo Tower は高い。北京 Beijing 欢迎你!",
    "مرحبا بالعالم Ahmed قال: السلام عليكم. Hebrew: שלום עולם",
    "Combining e\u0301 n\u0303 A\u030a a\u0323\u0302 Z\u0351\u0308\u033d\u0353 Ok.",
    "Hindi नमस्ते दुनिया Korean 안녕하세요 Thai สวัสดีครับ Greek Καλημέρα",
    "Math 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 𝟙𝟚𝟛 and 😀😃 Bob 𠀀𠀁 Big",
    "Zero\u200bwidth joiner\u200dhere and \ufeffBOM Word\u00a0NBSP\u2003em",
    "  leading and trailing spaces  ",
    "\t\tTabs\nand\r\nNewlines\n\n",
    "NUL\x00inside Text\x00End \x00",
    "",
    "   ",
    "x",
    "Ünïcödé, Émile and Zoë met Élodie at Café Ñandú in São Paulo.",
]


def plugin_path():
    p = os.environ.get("LIBNER_TEST_PLUGIN")
    if p:
        return p
    # Next to the library in a meson build tree: <build>/lib/libner.so.0
    build = os.path.dirname(os.path.dirname(os.path.realpath(libner.library_path)))
    found = glob.glob(os.path.join(build, "bindings", "python",
                                   "libner_pytest_plugin.*"))
    return found[0] if found else None


def check_doc_offsets(doc, text):
    """Every invariant of tokens, entities and span groups against text."""
    assert doc.text == text
    enc = text.encode("utf-8")
    toks = doc.tokens
    assert len(doc) == len(toks)
    assert list(doc) == list(toks)
    prev_end = 0
    for i, t in enumerate(toks):
        assert t.i == i
        assert t.idx == t.start_char
        assert t.start_char < t.end_char, t
        assert t.start_char >= prev_end, t
        assert text[t.start_char:t.end_char] == t.text, t
        assert enc[t.start_byte:t.end_byte].decode("utf-8") == t.text, t
        ws_end = toks[i + 1].start_char if i + 1 < len(toks) else len(text)
        assert text[t.end_char:ws_end] == t.whitespace_, t
        assert doc[i] == t
        prev_end = t.end_char
    lead = text[:toks[0].start_char] if toks else text
    assert lead + "".join(t.text_with_ws for t in toks) == text
    assert lead + "".join(t.text + t.whitespace_ for t in toks) == text
    groups = [doc.ents] + list(doc.spans.values())
    for spans in groups:
        for s in spans:
            check_span(doc, text, enc, s)
    # entities never overlap and are sorted
    for a, b in zip(doc.ents, doc.ents[1:]):
        assert a.end <= b.start and a.end_char <= b.start_char


def check_span(doc, text, enc, s):
    assert text[s.start_char:s.end_char] == s.text, s
    assert enc[s.start_byte:s.end_byte].decode("utf-8") == s.text, s
    assert 0 <= s.start < s.end <= len(doc), s
    assert doc.tokens[s.start].start_char == s.start_char, s
    assert doc.tokens[s.end - 1].end_char == s.end_char, s
    assert doc.tokens[s.start].start_byte == s.start_byte, s
    assert doc.tokens[s.end - 1].end_byte == s.end_byte, s
    assert len(s) == s.end - s.start
    assert 0.0 <= s.score <= 1.0
    assert isinstance(s.label_, str) and s.label_
    assert isinstance(s.kb_id_, str) and isinstance(s.ent_id_, str)
    assert doc[s.start:s.end].text == s.text


def doc_key(doc):
    """Everything a Doc exposes, for equality between two runs."""
    return (doc.text, doc.tokens, doc.ents, dict(doc.spans),
            doc.to_json_str(byte_offsets=True))
