"""libner.train / evaluate / convert / init_config over ner_train.h."""
import json
import os

import pytest

import libner

HERE = os.path.dirname(os.path.abspath(__file__))
DRUGS = os.path.join(HERE, "..", "..", "..", "tests", "fixtures", "train", "drugs.jsonl")


def test_init_config_documents_the_keys():
    cfg = libner.init_config()
    for key in ("max_steps", "patience", "eval_frequency", "batch_size", "seed"):
        assert key in cfg["training"], key
        assert "_" + key in cfg["training"], key  # each key says what it does


def test_train_overfits_the_seed_and_evaluates(tmp_path):
    messages = []
    libner.train(DRUGS, DRUGS, str(tmp_path),
                 config={"training": {"max_steps": 200, "eval_frequency": 10}},
                 log=lambda level, msg: messages.append((level, msg)))
    assert messages, "training reported no progress"
    assert all(isinstance(m, str) for _, m in messages)
    for folder in ("model-best", "model-last"):
        nlp = libner.load(str(tmp_path / folder))
        assert "tagger" in nlp.pipe_names
        assert {"DRUG", "DOSAGE", "FREQUENCY", "DURATION"} <= set(nlp.labels)
    nlp = libner.load(str(tmp_path / "model-best"))
    for line in open(DRUGS, encoding="utf-8"):
        rec = json.loads(line)
        doc = nlp(rec["text"])
        got = [[e.start_char, e.end_char, e.label_] for e in doc.ents]
        assert got == rec["entities"], (rec["text"], got)
    scores = libner.evaluate(nlp, DRUGS)
    assert scores["ents_f"] == pytest.approx(1.0)
    assert scores["ents_per_type"]["DRUG"]["tp"] == 2
    # a folder works as well as a Pipeline
    assert libner.evaluate(str(tmp_path / "model-best"), DRUGS)["ents_p"] == pytest.approx(1.0)


def test_convert_round_trip(tmp_path):
    conll = tmp_path / "drugs.conll"
    back = tmp_path / "back.jsonl"
    libner.convert(DRUGS, str(conll), to="conll", scheme="bilou")
    text = conll.read_text(encoding="utf-8")
    assert "U-DRUG" in text and "B-FREQUENCY" in text
    libner.convert(str(conll), str(back), to="jsonl")
    spans = [[e[2] for e in json.loads(l)["entities"]] for l in back.open(encoding="utf-8")]
    assert spans == [["DRUG", "DOSAGE", "FREQUENCY", "DURATION"]] * 2


def test_errors_name_the_line(tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "ok", "entities": []}\n{"text": "a b", "entities": [[0, 9, "X"]]}\n')
    with pytest.raises(libner.Error) as ei:
        libner.train(str(bad), None, str(tmp_path / "out"))
    assert "line 2" in str(ei.value)
    with pytest.raises(ValueError):
        libner.train(DRUGS, None, str(tmp_path / "out"), format="xml")
    with pytest.raises(libner.Error) as ei:
        libner.evaluate(libner.blank("en"), str(tmp_path / "missing.jsonl"))
    assert "missing.jsonl" in str(ei.value)
