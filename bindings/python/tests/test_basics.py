"""The package itself: version, library lookup, pipeline description."""

import os
import re
import subprocess
import sys

import libner


def test_version():
    assert re.match(r"^\d+\.\d+\.\d+", libner.__version__)
    assert isinstance(libner.__version__, str)


def test_library_path_is_the_loaded_one():
    if os.environ.get("LIBNER_PATH"):
        assert libner.library_path == os.environ["LIBNER_PATH"]


def test_error_is_an_exception():
    assert issubclass(libner.Error, Exception)


def _import_with_env(env):
    pkg = os.path.dirname(os.path.dirname(os.path.abspath(libner.__file__)))
    full = dict(os.environ)
    full.update(env)
    full["PYTHONPATH"] = pkg
    full["PYTHONDONTWRITEBYTECODE"] = "1"
    return subprocess.run([sys.executable, "-c", "import libner"],
                          capture_output=True, text=True, env=full)


def test_bad_libner_path_fails_clearly(tmp_path):
    bad = str(tmp_path / "no-such-libner.so.0")
    r = _import_with_env({"LIBNER_PATH": bad})
    assert r.returncode != 0
    assert "ImportError" in r.stderr
    assert "LIBNER_PATH" in r.stderr and bad in r.stderr


def test_blank_description(blank_nlp):
    assert blank_nlp.lang == "en"
    assert blank_nlp.pipe_names == ["tokenizer"]
    assert blank_nlp.pipe_factories == {"tokenizer": "tokenizer"}
    assert blank_nlp.pipeline == [("tokenizer", "tokenizer")]
    assert blank_nlp.has_pipe("tokenizer")
    assert not blank_nlp.has_pipe("nope")
    assert isinstance(blank_nlp.labels, tuple)
    assert "tokenizer" in repr(blank_nlp)


def test_default_pipeline_loads():
    nlp = libner.load()
    assert nlp.lang == "en"
    assert nlp.pipe_names, "the default pipeline has no components"
    assert all(isinstance(n, str) for n in nlp.pipe_names)
    assert all(isinstance(label, str) for label in nlp.labels)
    doc = nlp("Hello world.")
    assert doc.text == "Hello world."
    assert len(doc) >= 2


def test_has_factory():
    assert libner.has_factory("tokenizer")
    assert not libner.has_factory("no_such_factory_xyz")
