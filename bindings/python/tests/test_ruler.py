"""The entity_ruler from Python: add_pipe with a config, add_patterns on the
returned EntityRuler (spaCy's calls), get_pipe, orders around a model,
to_disk round trips, errors that leave the pipeline as it was."""

import pytest

import libner
from libner import errors


def ents(doc):
    return [(e.text, e.label_) for e in doc.ents]


PATTERNS = [
    {"label": "ORG", "pattern": "Apple"},
    {"label": "GPE", "pattern": [{"LOWER": "san"}, {"LOWER": "francisco"}]},
    {"label": "ORG", "pattern": "New York Times", "id": "nyt"},
    {"label": "GPE", "pattern": "New York"},
    {"label": "SKU", "regex": r"SKU-\d+"},
]


def test_add_pipe_with_config():
    nlp = libner.blank("en")
    ruler = nlp.add_pipe("entity_ruler", config={"patterns": PATTERNS})
    assert isinstance(ruler, libner.EntityRuler)
    assert ruler == "entity_ruler" and ruler.name == "entity_ruler"
    assert nlp.pipe_names == ["tokenizer", "entity_ruler"]
    assert len(ruler) == 5
    assert ruler.labels == ("ORG", "GPE", "SKU")
    assert "SKU" in ruler
    doc = nlp("Apple bought the New York Times in San Francisco (SKU-12).")
    assert ents(doc) == [("Apple", "ORG"), ("New York Times", "ORG"),
                         ("San Francisco", "GPE"), ("SKU-12", "SKU")]
    nyt = doc.ents[1]
    assert nyt.ent_id_ == "nyt"
    assert doc.text[nyt.start_char:nyt.end_char] == "New York Times"
    # every match, nested ones too, is in the span group
    assert ("New York", "GPE") in [(s.text, s.label_) for s in doc.spans["ruler"]]
    assert set(nlp.labels) >= {"ORG", "GPE", "SKU"}


def test_add_patterns_like_spacy():
    nlp = libner.blank("en")
    ruler = nlp.add_pipe("entity_ruler")
    assert len(ruler) == 0
    assert ents(nlp("Apple")) == []
    ruler.add_patterns([{"label": "ORG", "pattern": "Apple"}])
    assert ents(nlp("Apple and Google")) == [("Apple", "ORG")]
    ruler.add_patterns([{"label": "ORG", "pattern": "Google"},
                        {"label": "GPE", "pattern": [{"LOWER": "paris"}]}])
    assert ents(nlp("Apple, Google, PARIS")) == [("Apple", "ORG"), ("Google", "ORG"),
                                                 ("PARIS", "GPE")]
    assert len(ruler) == 3
    assert [p["label"] for p in ruler.patterns] == ["ORG", "ORG", "GPE"]
    # the same object through get_pipe
    assert nlp.get_pipe("entity_ruler") == ruler
    assert nlp.get_pipe("tokenizer") == "tokenizer"
    with pytest.raises(KeyError):
        nlp.get_pipe("nope")


def test_bad_patterns_leave_the_pipeline_as_it_was():
    nlp = libner.blank("en")
    ruler = nlp.add_pipe("entity_ruler", config={"patterns": [{"label": "ORG", "pattern": "Apple"}]})
    for bad, words in [([{"label": "X", "pattern": [{"FOO": "x"}]}], "unknown attribute"),
                       ([{"label": "X", "pattern": [{"ORTH": "x", "OP": "%"}]}], "operator"),
                       ([{"label": "X", "regex": "(unclosed"}], "does not compile"),
                       ([{"label": "X", "pattern": ""}], "empty pattern"),
                       ([{"label": 3, "pattern": "x"}], "label")]:
        with pytest.raises(libner.Error) as ei:
            ruler.add_patterns(bad)
        assert ei.value.code == errors.EFORMAT
        assert words in str(ei.value)
        assert ents(nlp("Apple")) == [("Apple", "ORG")]
        assert len(ruler) == 1
    with pytest.raises(TypeError):
        ruler.add_patterns({"label": "X", "pattern": "x"})
    with pytest.raises(TypeError):
        ruler.add_patterns(["not a dict"])
    with pytest.raises(libner.Error):
        nlp.add_pipe("entity_ruler", name="r2", config={"overwrite_ents": "yes"})
    assert nlp.pipe_names == ["tokenizer", "entity_ruler"]


def test_config_keys():
    nlp = libner.blank("en")
    nlp.add_pipe("entity_ruler", config={
        "patterns": [{"label": "ORG", "pattern": "apple inc"},
                     {"label": "P", "regex": "ello Wor"}],
        "phrase_matcher_attr": "LOWER", "spans_key": "rules", "alignment": "expand"})
    doc = nlp("APPLE INC said Hello World.")
    assert ents(doc) == [("APPLE INC", "ORG"), ("Hello World", "P")]
    assert "rules" in doc.spans and "ruler" not in doc.spans


def test_before_and_after_a_model(plugin):
    # pytest_caps: runs of capitalised tokens become PER, never over an
    # entity already there (as the statistical tagger does)
    pats = [{"label": "ORG", "pattern": "Apple Computer"}, {"label": "CITY", "pattern": "Paris"}]
    text = "Steve Jobs founded Apple Computer in Paris Texas"
    first = libner.blank("en")
    first.add_pipe("pytest_caps", config={"label": "PER"})
    first.add_pipe("entity_ruler", config={"patterns": pats}, before="pytest_caps")
    assert first.pipe_names == ["tokenizer", "entity_ruler", "pytest_caps"]
    # the model skips "Paris Texas": it overlaps the ruler's "Paris"
    assert ents(first(text)) == [("Steve Jobs", "PER"), ("Apple Computer", "ORG"),
                                 ("Paris", "CITY")]
    after = libner.blank("en")
    after.add_pipe("pytest_caps", config={"label": "PER"})
    ruler = after.add_pipe("entity_ruler", config={"patterns": pats}, after="pytest_caps")
    assert ents(after(text)) == [("Steve Jobs", "PER"), ("Apple Computer", "PER"),
                                 ("Paris Texas", "PER")]
    ruler.add_patterns([{"label": "NUM", "pattern": [{"IS_DIGIT": True}]}])
    assert ents(after("Steve has 3 cats")) == [("Steve", "PER"), ("3", "NUM")]
    assert after.pipe_names == ["tokenizer", "pytest_caps", "entity_ruler"]


def test_default_pipeline_ruler():
    nlp = libner.load()
    assert "entity_ruler" in nlp.pipe_names
    names = nlp.pipe_names
    doc = nlp("Elon Musk sold $4 billion of Tesla stock on January 15, 2025.")
    got = [(e.text, e.label_, e.start_char, e.end_char) for e in doc.ents]
    assert ("$4 billion", "MONEY", 15, 25) in got
    assert ("January 15, 2025", "DATE", 44, 60) in got
    doc = nlp("Marie Curie received the Nobel Prize in Paris in 1903.")
    assert ("1903", "DATE", 49, 53) in [(e.text, e.label_, e.start_char, e.end_char)
                                        for e in doc.ents]
    ruler = nlp.get_pipe("entity_ruler")
    builtin = len(ruler)
    assert builtin > 50
    # (lower-case products: the tagger before the ruler takes capitalised
    # words, and the ruler after it only fills the gaps)
    ruler.add_patterns([{"label": "PRODUCT", "pattern": "flux capacitor", "id": "fc"}])
    assert nlp.pipe_names == names                 # same place
    assert len(ruler) == builtin + 1
    doc = nlp("He paid $4 billion for a flux capacitor on Friday.")
    got = [(e.text, e.label_) for e in doc.ents]
    assert ("$4 billion", "MONEY") in got          # the folder's rules stay
    assert ("flux capacitor", "PRODUCT") in got
    assert [e.ent_id_ for e in doc.ents if e.label_ == "PRODUCT"] == ["fc"]
    ruler.add_patterns([{"label": "PRODUCT", "pattern": "hoverboard"}])
    assert len(ruler) == builtin + 2
    got = ents(nlp("a hoverboard and a flux capacitor"))
    assert ("hoverboard", "PRODUCT") in got and ("flux capacitor", "PRODUCT") in got


def test_to_disk_round_trip(tmp_path):
    nlp = libner.blank("en")
    ruler = nlp.add_pipe("entity_ruler")
    ruler.add_patterns(PATTERNS)
    nlp.to_disk(tmp_path / "p")
    assert (tmp_path / "p" / "entity_ruler" / "patterns.jsonl").exists()
    back = libner.load(tmp_path / "p")
    text = "Apple and SKU-9 in san francisco"
    assert ents(back(text)) == ents(nlp(text))
    r2 = back.get_pipe("entity_ruler")
    assert len(r2) == len(PATTERNS)
    r2.add_patterns([{"label": "X", "pattern": "in"}])
    assert ("in", "X") in ents(back(text))
    back.to_disk(tmp_path / "p")           # into its origin: the new start
    again = libner.load(tmp_path / "p")
    assert ents(again(text)) == ents(back(text))


def test_removed_ruler():
    nlp = libner.blank("en")
    ruler = nlp.add_pipe("entity_ruler")
    nlp.remove_pipe("entity_ruler")
    with pytest.raises(libner.Error) as ei:
        ruler.add_patterns([{"label": "X", "pattern": "x"}])
    assert ei.value.code == errors.ENOTFOUND
    with pytest.raises(TypeError):
        nlp._ruler_add_patterns("tokenizer", [{"label": "X", "pattern": "x"}])
