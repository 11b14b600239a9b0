"""Doc.to_json() / to_json_str(): the library's own JSON."""

import json

from support import UNICODE_TEXTS


def test_json_matches_doc(ents_nlp):
    for text in UNICODE_TEXTS:
        doc = ents_nlp(text)
        j = doc.to_json()
        assert j["text"] == text
        assert [(e["start"], e["end"], e["label"], e["text"]) for e in j["ents"]] == \
            [(e.start_char, e.end_char, e.label_, e.text) for e in doc.ents]
        for e, je in zip(doc.ents, j["ents"]):
            assert je["kb_id"] == (e.kb_id_ or None)
            assert abs(je.get("kb_score", 0.0) - e.kb_score) < 1e-6
            assert abs(je["score"] - e.score) < 1e-6
        assert [(t["start"], t["end"], t["text"], t["ws"]) for t in j["tokens"]] == \
            [(t.start_char, t.end_char, t.text, t.whitespace_) for t in doc.tokens]
        assert set(j["spans"]) == set(doc.spans)
        for name, spans in doc.spans.items():
            assert [(s["start"], s["end"], s["label"]) for s in j["spans"][name]] == \
                [(s.start_char, s.end_char, s.label_) for s in spans]


def test_json_flags(ents_nlp):
    doc = ents_nlp("Hello Zoë")
    j = doc.to_json(tokens=False, spans=False)
    assert set(j) == {"text", "ents"}
    jb = doc.to_json(byte_offsets=True)
    e = jb["ents"][0]
    assert (e["start_byte"], e["end_byte"]) == (doc.ents[0].start_byte,
                                                doc.ents[0].end_byte)


def test_json_str_is_one_line(blank_nlp):
    doc = blank_nlp("line one\nline two \x00 end")
    s = doc.to_json_str()
    assert isinstance(s, str)
    assert "\n" not in s
    assert json.loads(s) == doc.to_json()
    assert json.loads(s)["text"] == "line one\nline two \x00 end"
