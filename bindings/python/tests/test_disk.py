"""to_disk/load round trips and add_pipe/remove_pipe."""

import gc
import json

import pytest

import libner
from libner import errors
from support import UNICODE_TEXTS, doc_key


def test_round_trip_blank(blank_nlp, tmp_path):
    blank_nlp.to_disk(tmp_path / "model")
    assert (tmp_path / "model" / "pipeline.json").is_file()
    nlp2 = libner.load(tmp_path / "model")
    assert nlp2.pipe_names == blank_nlp.pipe_names
    assert nlp2.pipe_factories == blank_nlp.pipe_factories
    assert nlp2.lang == blank_nlp.lang
    for t in UNICODE_TEXTS:
        assert nlp2(t).tokens == blank_nlp(t).tokens


def test_round_trip_default(tmp_path):
    nlp = libner.load()
    nlp.to_disk(str(tmp_path))
    nlp2 = libner.load(str(tmp_path))
    assert nlp2.pipe_names == nlp.pipe_names
    assert nlp2.labels == nlp.labels
    for t in UNICODE_TEXTS:
        assert doc_key(nlp2(t)) == doc_key(nlp(t))


def test_round_trip_with_plugin(ents_nlp, tmp_path):
    ents_nlp.to_disk(tmp_path)
    meta = json.loads((tmp_path / "pipeline.json").read_text())
    assert [c["name"] for c in meta["components"]] == ents_nlp.pipe_names
    nlp2 = libner.load(tmp_path)
    assert nlp2.pipe_names == ["tokenizer", "pytest_caps"]
    assert "PER" in nlp2.labels
    for t in UNICODE_TEXTS:
        assert doc_key(nlp2(t)) == doc_key(ents_nlp(t))


def test_add_pipe_positions(plugin):
    nlp = libner.blank("en")
    assert nlp.add_pipe("pytest_caps") == "pytest_caps"
    assert nlp.add_pipe("pytest_fail", name="first", before="tokenizer") == "first"
    assert nlp.pipe_names == ["first", "tokenizer", "pytest_caps"]
    nlp.add_pipe("pytest_caps", name="caps2", after="tokenizer",
                 config={"label": "ORG"})
    assert nlp.pipe_names == ["first", "tokenizer", "caps2", "pytest_caps"]
    nlp.add_pipe("pytest_fail", name="last", before=-1)
    assert nlp.pipe_names == ["first", "tokenizer", "caps2", "last",
                              "pytest_caps"]
    assert nlp.pipe_factories["caps2"] == "pytest_caps"
    # caps2 runs first and takes the entities; pytest_caps finds them taken
    doc = nlp("Hello Bob")
    assert [e.label_ for e in doc.ents] == ["ORG"]
    assert set(nlp.labels) >= {"ORG", "CAP"}
    assert nlp.remove_pipe("caps2") == "caps2"
    assert nlp.remove_pipe("first") == "first"
    assert nlp.pipe_names == ["tokenizer", "last", "pytest_caps"]
    assert [e.label_ for e in nlp("Hello Bob").ents] == ["CAP"]


def test_add_pipe_does_not_change_old_docs(plugin):
    nlp = libner.blank("en")
    before = nlp("Hello Bob")
    nlp.add_pipe("pytest_caps")
    after = nlp("Hello Bob")
    assert before.ents == () and len(after.ents) == 1
    assert before.to_json()["ents"] == []


def test_add_pipe_on_loaded_pipeline(plugin, tmp_path):
    libner.blank("en").to_disk(tmp_path)
    nlp = libner.load(tmp_path)
    nlp.add_pipe("pytest_caps", config={"label": "PER"})
    assert nlp.pipe_names == ["tokenizer", "pytest_caps"]
    assert [e.text for e in nlp("I met Ann Lee").ents] == ["I", "Ann Lee"]
    # pipe() keeps working while the pipeline changes under it
    it = nlp.pipe(["A b"] * 300, batch_size=8)
    first = next(it)
    nlp.remove_pipe("pytest_caps")
    assert len(first.ents) == 1
    assert len(list(it)) == 299
    assert nlp("A b").ents == ()


def test_to_disk_into_origin_then_add_pipe(plugin, tmp_path):
    libner.blank("en").to_disk(tmp_path)
    nlp = libner.load(tmp_path)
    nlp.add_pipe("pytest_caps")
    nlp.to_disk(tmp_path)          # the folder now holds both components
    nlp.add_pipe("pytest_fail")    # rebuilt from the saved folder
    assert nlp.pipe_names == ["tokenizer", "pytest_caps", "pytest_fail"]
    assert libner.load(tmp_path).pipe_names == ["tokenizer", "pytest_caps"]


def test_origin_changed_refuses_rebuild(plugin, tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    libner.blank("en").to_disk(a)
    nlp = libner.load(a)
    other = libner.blank("en")
    other.add_pipe("pytest_caps")
    other.to_disk(a)               # someone else rewrites the folder
    with pytest.raises(libner.Error) as ei:
        nlp.add_pipe("pytest_fail")
    assert ei.value.code == errors.EUNSUPPORTED
    assert "changed" in ei.value.message
    assert nlp.pipe_names == ["tokenizer"]
    nlp.to_disk(b)                 # still usable and saveable
    assert libner.load(b).pipe_names == ["tokenizer"]


def test_doc_outlives_pipeline():
    nlp = libner.blank("en")
    doc = nlp("Zoë met 👩\u200d🔬 in Kyoto")
    del nlp
    gc.collect()
    assert doc.to_json()["text"] == "Zoë met 👩\u200d🔬 in Kyoto"
    assert doc.tokens[0].text == "Zoë"
