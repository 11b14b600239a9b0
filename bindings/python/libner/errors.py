"""libner.Error and the C status codes."""

from ._lib import LIB

# The NER_* status codes of ner.h.
OK = 0
ENOMEM = -1
EINVAL = -2
EIO = -3
EFORMAT = -4
EUTF8 = -5
ENOTFOUND = -6
ERANGE = -7
EEXIST = -8
EOVERLAP = -9
EUNSUPPORTED = -10
EABI = -11
ETOOBIG = -12
EALIGN = -13
EINTERNAL = -14


class Error(Exception):
    """A libner call failed.

    Attributes:
        code:    the C status, a negative NER_E* value (see libner.errors).
        name:    its short English name, from ner_strerror ("not found").
        message: what the library wrote into the error buffer, or a message
                 of the bindings when the failure was found on the Python side.
        index:   for Pipeline.pipe(), the position of the failing text in the
                 input; None otherwise.
    """

    def __init__(self, code, message, index=None):
        self.code = int(code)
        self.name = LIB.ner_strerror(self.code).decode("utf-8", "replace")
        self.message = message or self.name
        self.index = index
        super().__init__(self.code, self.message)

    def __str__(self):
        return "%s [%s, %d]" % (self.message, self.name, self.code)

    def __repr__(self):
        return "libner.Error(%d, %r)" % (self.code, self.message)


def check(code, errbuf=None, what=None):
    """Raises Error when code is not OK.  The message is the error buffer's
    content, else `what`, else the status name."""
    if code == OK:
        return
    msg = None
    if errbuf is not None and errbuf.value:
        msg = errbuf.value.decode("utf-8", "replace")
    if not msg:
        msg = what
    raise Error(code, msg)


def encode_text(text, what="text", index=None):
    """text (a str) as UTF-8 bytes.  A str holding a lone surrogate (e.g.
    "\\ud800", which only arises from bad decoding upstream) has no UTF-8 form:
    this raises libner.Error with code EUTF8 and says where."""
    where = "" if index is None else " %d" % index
    if not isinstance(text, str):
        raise TypeError("%s%s must be a str, not %s"
                        % (what, where, type(text).__name__))
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError as e:
        raise Error(EUTF8, "%s%s is not valid Unicode: lone surrogate U+%04X "
                    "at character offset %d cannot be encoded as UTF-8"
                    % (what, where, ord(text[e.start]), e.start),
                    index=index) from e
