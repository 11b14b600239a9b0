"""Pipeline.pipe(): input order, equality with __call__, failures."""

import concurrent.futures
import random

import pytest

import libner
from libner import errors
from support import UNICODE_TEXTS, check_doc_offsets, doc_key


def make_texts(n, seed=1234):
    rng = random.Random(seed)
    words = []
    for t in UNICODE_TEXTS:
        words.extend(t.split())
    words += ["Apple", "Bob", "New", "York", "the", "a", ".", ",", "🇯🇵", "e\u0301"]
    texts = []
    for i in range(n):
        k = rng.randrange(0, 40)
        sep = rng.choice([" ", "  ", "\n", " \t"])
        texts.append("%d: " % i + sep.join(rng.choice(words) for _ in range(k)))
    texts[7] = ""
    texts[8] = "   "
    return texts


TEXTS = make_texts(500)


def test_pipe_matches_call_with_threads(ents_nlp):
    expected = [doc_key(ents_nlp(t)) for t in TEXTS]
    docs = list(ents_nlp.pipe(TEXTS, n_threads=4))
    assert len(docs) == len(TEXTS)
    for i, (text, doc) in enumerate(zip(TEXTS, docs)):
        assert doc.text == text, i
        assert doc_key(doc) == expected[i], i
    for text, doc in zip(TEXTS[:50], docs):
        check_doc_offsets(doc, text)
    assert sum(len(d.ents) for d in docs) > 100


@pytest.mark.parametrize("batch_size,n_threads", [(1, 1), (7, 2), (64, 4),
                                                  (1000, 3), (3, 8)])
def test_pipe_order_any_batching(blank_nlp, batch_size, n_threads):
    docs = list(blank_nlp.pipe(iter(TEXTS), batch_size=batch_size,
                               n_threads=n_threads))
    assert [d.text for d in docs] == TEXTS
    assert [d.tokens for d in docs] == [blank_nlp(t).tokens for t in TEXTS]


def test_pipe_is_lazy(blank_nlp):
    seen = []

    def gen():
        for t in TEXTS:
            seen.append(t)
            yield t

    it = blank_nlp.pipe(gen(), batch_size=10, n_threads=1)
    first = next(it)
    assert first.text == TEXTS[0]
    assert len(seen) < len(TEXTS)


def test_pipe_empty_and_tuples(blank_nlp):
    assert list(blank_nlp.pipe([])) == []
    out = list(blank_nlp.pipe([("a b", 1), ("c", {"id": 2})], as_tuples=True))
    assert [(d.text, c) for d, c in out] == [("a b", 1), ("c", {"id": 2})]


def test_pipe_bad_arguments(blank_nlp):
    with pytest.raises(ValueError):
        blank_nlp.pipe(["x"], batch_size=0)
    with pytest.raises(ValueError):
        blank_nlp.pipe(["x"], n_threads=0)


def test_pipe_failing_text_names_its_index(plugin):
    nlp = libner.blank("en")
    nlp.add_pipe("pytest_fail")
    texts = ["ok %d" % i for i in range(300)]
    texts[137] = "this will FAIL"
    got = []
    with pytest.raises(libner.Error) as ei:
        for doc in nlp.pipe(texts, batch_size=16, n_threads=4):
            got.append(doc.text)
    e = ei.value
    assert e.index == 137
    assert e.code == errors.EINVAL
    assert e.message.startswith("text 137:")
    assert "FAIL at byte 10" in e.message
    assert got == texts[:137]


def test_pipe_surrogate_names_its_index(blank_nlp):
    texts = ["fine"] * 10 + ["bad \udfff"] + ["fine"] * 5
    got = []
    with pytest.raises(libner.Error) as ei:
        for doc in blank_nlp.pipe(texts, batch_size=4):
            got.append(doc)
    assert ei.value.index == 10
    assert ei.value.code == errors.EUTF8
    assert len(got) == 10


def test_call_from_python_threads(ents_nlp):
    expected = [doc_key(ents_nlp(t)) for t in TEXTS[:200]]
    with concurrent.futures.ThreadPoolExecutor(max_workers=4) as ex:
        got = list(ex.map(lambda t: doc_key(ents_nlp(t)), TEXTS[:200]))
    assert got == expected
