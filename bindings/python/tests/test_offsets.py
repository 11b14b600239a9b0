"""Offsets: text[x.start_char:x.end_char] == x.text for every token and span,
and tokens plus whitespace give the text back exactly."""

import pytest

import libner
from support import UNICODE_TEXTS, check_doc_offsets


@pytest.mark.parametrize("text", UNICODE_TEXTS)
def test_token_offsets(blank_nlp, text):
    doc = blank_nlp(text)
    check_doc_offsets(doc, text)


@pytest.mark.parametrize("text", UNICODE_TEXTS)
def test_entity_offsets_with_plugin(ents_nlp, text):
    doc = ents_nlp(text)
    check_doc_offsets(doc, text)


def test_plugin_entities_are_real(ents_nlp):
    text = "Émile met Zoë Dupont at Café 👨\u200d👩\u200d👧 in 東京 with Bob."
    doc = ents_nlp(text)
    check_doc_offsets(doc, text)
    got = [(e.text, e.label_) for e in doc.ents]
    assert ("Zoë Dupont", "PER") in got
    assert ("Café", "PER") in got
    assert ("Bob", "PER") in got
    zoe = next(e for e in doc.ents if e.text == "Zoë Dupont")
    assert text[zoe.start_char:zoe.end_char] == "Zoë Dupont"
    assert text.encode("utf-8")[zoe.start_byte:zoe.end_byte] == "Zoë Dupont".encode()
    assert zoe.end - zoe.start == 2
    assert zoe.score == 0.5
    assert zoe.kb_id_ == "Q4"          # "Zoë" is 4 bytes
    assert zoe.kb_score == 0.25        # kept apart from the NER score
    assert zoe.ent_id_ == "caps"
    assert "PER" in ents_nlp.labels
    # span groups may overlap: the run and each of its tokens
    caps = doc.spans["caps"]
    assert [s.text for s in caps if s.label_ == "WORD"] == ["Zoë", "Dupont"]
    assert list(doc.spans) == ["caps"]
    with pytest.raises(KeyError):
        doc.spans["nope"]
    with pytest.raises(TypeError):
        doc.spans["x"] = ()  # read-only


def test_default_pipeline_entities():
    nlp = libner.load()
    texts = [
        "Apple is looking at buying U.K. startup for $1 billion.",
        "Angela Merkel met Emmanuel Macron in Paris on Monday.",
        "Barack Obama was born in Hawaii and worked for the United Nations.",
    ]
    docs = list(nlp.pipe(texts))
    if not any(d.ents for d in docs):
        pytest.skip("the default pipeline produces no entities yet "
                    "(components: %s)" % ", ".join(nlp.pipe_names))
    for text, doc in zip(texts, docs):
        check_doc_offsets(doc, text)
        for e in doc.ents:
            assert e.label_ in nlp.labels or not nlp.labels


def test_text_with_nul(blank_nlp):
    text = "a\x00b c\x00\x00 d\x00"
    doc = blank_nlp(text)
    assert doc.text == text
    check_doc_offsets(doc, text)
    assert doc.to_json()["text"] == text


def test_empty_and_blank_texts(blank_nlp):
    for text in ["", " ", "\n\t  \r\n"]:
        doc = blank_nlp(text)
        assert doc.text == text
        assert len(doc) == 0
        assert doc.tokens == () and doc.ents == ()
        assert list(doc) == []
        assert doc.to_json()["text"] == text


def test_long_text(ents_nlp):
    text = "Zoë went to Zürich 🇨🇭 again. " * 5000
    doc = ents_nlp(text)
    assert doc.text == text
    assert len(doc) > 5000
    last = doc.tokens[-1]
    assert text[last.start_char:last.end_char] == last.text
    assert doc.ents
    e = doc.ents[-1]
    assert text[e.start_char:e.end_char] == e.text


def test_doc_slices(blank_nlp):
    text = "Élodie likes 🍕 pizza"
    doc = blank_nlp(text)
    n = len(doc)
    span = doc[1:n]
    assert span.text == text[doc[1].start_char:]
    assert span.start == 1 and span.end == n
    assert span.label_ == ""
    assert doc[-1] == doc.tokens[-1]
    empty = doc[2:2]
    assert empty.text == "" and len(empty) == 0
    with pytest.raises(IndexError):
        doc[n]
    with pytest.raises(ValueError):
        doc[0:n:2]


def test_tokens_are_values(blank_nlp):
    a = blank_nlp("Same text here")
    b = blank_nlp("Same text here")
    assert a.tokens == b.tokens
    assert hash(a.tokens[0]) == hash(b.tokens[0])
    assert str(a.tokens[0]) == "Same"
    assert a.tokens[0].text_with_ws == "Same "
    assert len(a.tokens[0]) == 4
    assert repr(a) == "Same text here"
