"""Fixtures for the libner binding tests.

Run with the freshly built library:
    LIBNER_PATH=<builddir>/lib/libner.so.0 PYTHONPATH=bindings/python \
        /usr/bin/python3 -m pytest -q bindings/python/tests
`meson test --suite python` does this, and also builds the test plugin
(tests/plugin/pytest_plugin.c) and passes its path in LIBNER_TEST_PLUGIN.
"""

import ctypes
import os

import pytest

import libner
from support import plugin_path

@pytest.fixture(scope="session")
def plugin():
    """Registers the test factories pytest_caps and pytest_fail (see
    plugin/pytest_plugin.c); skips the test when the plugin was not built."""
    path = plugin_path()
    if not path or not os.path.exists(path):
        pytest.skip("the test plugin libner_pytest_plugin was not built "
                    "(meson builds it; or set LIBNER_TEST_PLUGIN)")
    lib = ctypes.CDLL(path)
    lib.pytest_plugin_register.restype = ctypes.c_int
    lib.pytest_plugin_register.argtypes = []
    rc = lib.pytest_plugin_register()
    assert rc == 0, "pytest_plugin_register: %d" % rc
    assert libner.has_factory("pytest_caps")
    assert libner.has_factory("pytest_fail")
    return lib


@pytest.fixture(scope="session")
def blank_nlp():
    return libner.blank("en")


@pytest.fixture(scope="session")
def ents_nlp(plugin):
    """blank("en") plus the pytest_caps component: runs of capitalised tokens
    become entities labelled PER."""
    nlp = libner.blank("en")
    nlp.add_pipe("pytest_caps", config={"label": "PER"})
    return nlp
