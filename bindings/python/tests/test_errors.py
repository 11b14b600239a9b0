"""C failures raise libner.Error with the library's message."""

import pytest

import libner
from libner import errors


def test_load_missing_folder_names_it():
    path = "/nonexistent/libner-model-xyz"
    with pytest.raises(libner.Error) as ei:
        libner.load(path)
    e = ei.value
    assert e.code == errors.ENOTFOUND
    assert e.name == "not found"
    assert path in e.message
    assert path in str(e)
    assert e.index is None


def test_load_folder_without_pipeline_json(tmp_path):
    with pytest.raises(libner.Error) as ei:
        libner.load(tmp_path)
    assert ei.value.code == errors.ENOTFOUND
    assert "pipeline.json" in ei.value.message
    assert str(tmp_path) in ei.value.message


def test_load_malformed_pipeline_json(tmp_path):
    (tmp_path / "pipeline.json").write_text('{"lang": "en", "components": [')
    with pytest.raises(libner.Error) as ei:
        libner.load(str(tmp_path))
    assert ei.value.code == errors.EFORMAT
    assert "pipeline.json" in ei.value.message


def test_load_unknown_factory(tmp_path):
    (tmp_path / "pipeline.json").write_text(
        '{"lang": "en", "components": [{"name": "x", "factory": "no_such_factory"}]}')
    with pytest.raises(libner.Error) as ei:
        libner.load(tmp_path)
    assert ei.value.code == errors.ENOTFOUND
    assert "no_such_factory" in ei.value.message


def test_blank_unknown_language():
    with pytest.raises(libner.Error) as ei:
        libner.blank("xx")
    assert ei.value.code == errors.ENOTFOUND
    assert ei.value.message


def test_blank_wrong_type():
    with pytest.raises(TypeError):
        libner.blank(None)


def test_lone_surrogate_raises_error(blank_nlp):
    with pytest.raises(libner.Error) as ei:
        blank_nlp("abc \ud800 def")
    e = ei.value
    assert e.code == errors.EUTF8
    assert "surrogate" in e.message and "U+D800" in e.message
    assert "offset 4" in e.message
    assert isinstance(e.__cause__, UnicodeEncodeError)


def test_non_str_text(blank_nlp):
    with pytest.raises(TypeError):
        blank_nlp(b"bytes are not text")
    with pytest.raises(TypeError):
        blank_nlp(None)


def test_add_pipe_unknown_factory_leaves_pipeline_unchanged():
    nlp = libner.blank("en")
    with pytest.raises(libner.Error) as ei:
        nlp.add_pipe("no_such_factory_xyz")
    assert ei.value.code == errors.ENOTFOUND
    assert "no_such_factory_xyz" in ei.value.message
    assert nlp.pipe_names == ["tokenizer"]
    assert nlp("still works").text == "still works"


def test_add_pipe_name_taken():
    nlp = libner.blank("en")
    with pytest.raises(libner.Error) as ei:
        nlp.add_pipe("tokenizer")
    assert ei.value.code == errors.EEXIST
    assert "tokenizer" in ei.value.message


def test_add_pipe_bad_config(plugin):
    nlp = libner.blank("en")
    with pytest.raises(libner.Error) as ei:
        nlp.add_pipe("pytest_caps", config='{"label": ')
    assert ei.value.code == errors.EFORMAT
    with pytest.raises(libner.Error) as ei:
        nlp.add_pipe("pytest_caps", config="[1, 2]")
    assert ei.value.code == errors.EFORMAT
    with pytest.raises(libner.Error) as ei:
        nlp.add_pipe("pytest_caps", config={"label": ""})
    assert "label" in ei.value.message
    with pytest.raises(TypeError):
        nlp.add_pipe("pytest_caps", config=42)
    assert nlp.pipe_names == ["tokenizer"]


def test_add_pipe_bad_anchor(plugin):
    nlp = libner.blank("en")
    with pytest.raises(libner.Error) as ei:
        nlp.add_pipe("pytest_caps", before="nope")
    assert ei.value.code == errors.ENOTFOUND and "nope" in ei.value.message
    with pytest.raises(libner.Error) as ei:
        nlp.add_pipe("pytest_caps", before="tokenizer", after="tokenizer")
    assert ei.value.code == errors.EINVAL
    with pytest.raises(IndexError):
        nlp.add_pipe("pytest_caps", after=5)


def test_remove_missing_pipe():
    nlp = libner.blank("en")
    with pytest.raises(libner.Error) as ei:
        nlp.remove_pipe("nope")
    assert ei.value.code == errors.ENOTFOUND


def test_to_disk_unwritable(blank_nlp, tmp_path):
    f = tmp_path / "a-file"
    f.write_text("x")
    with pytest.raises(libner.Error) as ei:
        blank_nlp.to_disk(f / "sub")
    assert ei.value.code < 0
    assert str(f) in ei.value.message


def test_failing_component_in_call(plugin):
    nlp = libner.blank("en")
    nlp.add_pipe("pytest_fail")
    with pytest.raises(libner.Error) as ei:
        nlp("this will FAIL here")
    assert ei.value.code == errors.EINVAL
    assert "FAIL at byte 10" in ei.value.message
    assert nlp("this is fine").text == "this is fine"


def test_error_str_and_repr():
    e = libner.Error(errors.EIO, "disk on fire")
    assert e.code == -3 and e.name == "input/output error"
    assert "disk on fire" in str(e) and "input/output error" in str(e)
    assert "disk on fire" in repr(e)
    assert libner.Error(errors.ENOMEM, None).message == "out of memory"
