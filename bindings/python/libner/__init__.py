"""libner: named-entity recognition through the libner C library (ctypes).

    import libner
    nlp = libner.load()                 # the default English pipeline
    doc = nlp("Apple is looking at buying a U.K. startup.")
    for ent in doc.ents:
        print(ent.text, ent.label_, ent.start_char, ent.end_char)
    for doc in nlp.pipe(texts, n_threads=4):
        ...

Offsets: `start_char`/`end_char` index the Python str (code points), so
`doc.text[ent.start_char:ent.end_char] == ent.text`; `start_byte`/`end_byte`
index its UTF-8 encoding; `start`/`end` are token indices.

Failures raise libner.Error (.code, .name, .message).  The shared library is
found through LIBNER_PATH, a meson build tree above this package, or the
system's loader (see libner._lib).
"""

from ._lib import PATH as _LIBRARY_PATH
from ._lib import VERSION as __version__
from .doc import Doc, Span, Token
from .errors import Error
from .pipeline import Pipeline, blank, has_factory, load
from .ruler import EntityRuler
from .train import convert, evaluate, init_config, train
from . import errors

library_path = _LIBRARY_PATH

__all__ = ["Doc", "EntityRuler", "Error", "Pipeline", "Span", "Token", "blank", "convert",
           "errors", "evaluate", "has_factory", "init_config", "load",
           "library_path", "train", "__version__"]
