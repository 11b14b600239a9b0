"""Entity linking from Python: the "entity_linker" component over a KB built
with ner_kb_build, Span.kb_id_ and Span.kb_score, the doc JSON, and a
pipeline folder that carries its KB."""

import ctypes
import json
import os

import pytest

import libner
from libner import _lib

ENTITIES = [
    {"id": "Q312", "name": "Apple Inc.", "type": "ORG",
     "description": "American technology company that designs the iPhone, "
                    "iPad and Mac; its CEO reports quarterly revenue."},
    {"id": "Q89", "name": "apple", "type": "FOOD",
     "description": "The round edible fruit of the apple tree, eaten raw as "
                    "a snack, at lunch, or baked in a pie."},
]
ALIASES = "alias\tentity_id\tprior\nApple\tQ312\t0.7\nApple\tQ89\t0.3\n" \
          "apple\tQ89\t0.8\napple\tQ312\t0.2\n"


def build_kb(folder):
    """Builds a KB folder with the C call (ner_kb.h is not wrapped yet)."""
    ents = os.path.join(folder, "entities.jsonl")
    als = os.path.join(folder, "aliases.tsv")
    with open(ents, "w", encoding="utf-8") as f:
        for e in ENTITIES:
            f.write(json.dumps(e) + "\n")
    with open(als, "w", encoding="utf-8") as f:
        f.write(ALIASES)
    fn = _lib.LIB.ner_kb_build
    fn.restype = ctypes.c_int
    fn.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p,
                   ctypes.c_void_p, ctypes.c_char_p, ctypes.c_size_t]
    err = _lib.errbuf()
    out = os.path.join(folder, "kb")
    rc = fn(os.fsencode(ents), os.fsencode(als), os.fsencode(out), None, err,
            _lib.NER_ERRBUF_SIZE)
    assert rc == 0, err.value.decode()
    return out


@pytest.fixture(scope="module")
def kb_dir(tmp_path_factory):
    return build_kb(str(tmp_path_factory.mktemp("kb")))


@pytest.fixture()
def linked_nlp(plugin, kb_dir):
    nlp = libner.blank("en")
    # a label no KB type agrees with: only the prior and the context decide
    nlp.add_pipe("pytest_caps", config={"label": "X"})
    nlp.add_pipe("entity_linker", config={"kb": kb_dir})
    return nlp


def test_kb_id_and_kb_score(linked_nlp):
    doc = linked_nlp("Apple's iPhone revenue rose as its CEO spoke")
    ents = {e.text: e for e in doc.ents}
    apple = ents["Apple"]
    assert apple.kb_id_ == "Q312"
    assert 0.5 < apple.kb_score <= 1.0
    assert apple.score == 0.5           # the NER score stays the component's
    ceo = ents["CEO"]
    assert ceo.kb_id_ == ""             # no candidate: NIL, never a guess
    assert ceo.kb_score == 1.0
    # the context beats the prior of "Apple" for the company
    doc = linked_nlp("She ate an Apple with her lunch")
    assert [e.kb_id_ for e in doc.ents if e.text == "Apple"] == ["Q89"]


def test_json_has_kb_score(linked_nlp):
    j = linked_nlp("Apple's iPhone revenue").to_json()
    ent = j["ents"][0]
    assert ent["kb_id"] == "Q312"
    assert 0.5 < ent["kb_score"] <= 1.0


def test_pipeline_folder_keeps_its_kb(linked_nlp, tmp_path):
    out = tmp_path / "pipeline"
    linked_nlp.to_disk(out)
    assert (out / "entity_linker" / "kb.sqlite").is_file()
    assert (out / "entity_linker" / "linker.json").is_file()
    nlp2 = libner.load(out)
    assert nlp2("Apple's iPhone revenue").ents[0].kb_id_ == "Q312"


def test_bad_config(plugin, kb_dir):
    nlp = libner.blank("en")
    with pytest.raises(libner.Error) as ei:
        nlp.add_pipe("entity_linker", config={"kb": kb_dir, "threshold": 3})
    assert "threshold" in str(ei.value)
    with pytest.raises(libner.Error):
        nlp.add_pipe("entity_linker", config={})
    assert "entity_linker" not in nlp.pipe_names


def test_pipe_threads(linked_nlp):
    texts = ["Apple's iPhone revenue rose", "She ate an Apple with her lunch"] * 50
    ids = [d.ents[-1].kb_id_ if d.text.startswith("She") else d.ents[0].kb_id_
           for d in linked_nlp.pipe(texts, n_threads=4, batch_size=8)]
    assert ids == ["Q312", "Q89"] * 50
