"""Tests of lstmlab.data.text: the corpus and its provenance, the vocabulary, the split (no
overlap), and stateful windows (shapes, the order that carrying the state relies on)."""

import hashlib

import numpy as np
import pytest

from lstmlab.data import (
    CharVocab,
    Corpus,
    batchify,
    load_char_data,
    load_corpus,
    split_corpus,
    stream_windows,
)


@pytest.fixture(scope="module")
def data():
    return load_char_data()


def test_corpus_is_the_python_documentation_with_its_provenance():
    from pydoc_data.topics import topics

    corpus = load_corpus()
    assert [name for name, _ in corpus.documents] == sorted(topics)
    assert corpus.text == "\n".join(topics[k] for k in sorted(topics))
    assert corpus.sha256 == hashlib.sha256(corpus.text.encode("utf-8")).hexdigest()
    import platform

    assert corpus.python_version == platform.python_version()
    assert "Python Software Foundation License" in corpus.licence
    assert len(corpus.text) > 300_000  # hundreds of kB of real prose, not a toy


def test_vocabulary_round_trip_and_sorted_ids():
    vocab = CharVocab.from_text("hello, world")
    assert vocab.chars == tuple(sorted(set("hello, world")))
    ids = vocab.encode("world")
    assert ids.dtype == np.int64 and ids.shape == (5,)
    assert list(ids) == [vocab.chars.index(c) for c in "world"]
    assert vocab.decode(ids) == "world"
    batch = np.stack([vocab.encode("hel"), vocab.encode("wor")], axis=1)  # (T, N) = (3, 2)
    assert vocab.decode(batch) == ["hel", "wor"]


def test_vocabulary_errors_name_the_argument():
    vocab = CharVocab.from_text("abc")
    with pytest.raises(ValueError, match=r"CharVocab.encode: argument 'text' .*'z'"):
        vocab.encode("az")
    with pytest.raises(ValueError, match=r"CharVocab.decode: argument 'ids' must lie in \[0, V\) = \[0, 3\)"):
        vocab.decode(np.array([0, 3]))
    with pytest.raises(ValueError, match="CharVocab.decode: argument 'ids'.*shape"):
        vocab.decode(np.zeros((2, 2, 2), dtype=np.int64))


def test_split_is_by_whole_documents_disjoint_and_complete(data):
    split, corpus = data.split, data.corpus
    names = [split.train_names, split.validation_names, split.test_names]
    flat = [n for group in names for n in group]
    assert sorted(flat) == sorted(n for n, _ in corpus.documents)  # every topic exactly once
    assert len(set(flat)) == len(flat)
    docs = dict(corpus.documents)
    for text, group in zip(split[:3], names):
        assert text == "\n".join(docs[n] for n in group)
    total = len(corpus.text)
    for text in (split.validation, split.test):
        assert 0.05 * total <= len(text) <= 0.075 * total  # at least the fraction, at most one doc more
    # No document of one split is contained in another split's text.
    for mine, others in ((split.validation_names, split.train + split.test),
                         (split.test_names, split.train + split.validation)):
        assert not any(docs[n] in others for n in mine)


def test_split_is_seeded_and_the_seed_matters():
    corpus = load_corpus()
    assert split_corpus(corpus, seed=0) == split_corpus(corpus, seed=0)
    assert split_corpus(corpus, seed=1).test_names != split_corpus(corpus, seed=0).test_names


def test_split_keeps_long_documents_in_training():
    docs = (("big", "x" * 50 + "\n"), *((f"d{i}", "ab\n") for i in range(40)))
    split = split_corpus(Corpus(docs, "test"), seed=0, fraction=0.05, max_document=0.1)
    assert "big" in split.train_names


def test_encoded_splits_match_the_texts(data):
    assert data.vocab.decode(data.test) == data.split.test
    assert len(data.vocab) == len(set(data.corpus.text))


def test_batchify_columns_are_contiguous_text():
    ids = np.arange(23)
    cols = batchify(ids, 4)  # S = 5, last 3 dropped
    assert cols.shape == (5, 4)
    for i in range(4):
        assert list(cols[:, i]) == list(range(5 * i, 5 * i + 5))


def test_windows_shapes_targets_and_state_carry_order():
    ids = np.arange(1000)
    N, T = 4, 30
    cols = batchify(ids, N)  # (250, 4)
    windows = list(stream_windows(ids, N, T))
    assert [w.x.shape for w in windows[:-1]] == [(T, N)] * (len(windows) - 1)
    assert windows[-1].x.shape == (249 - T * (len(windows) - 1), N)  # the shorter last window
    for w in windows:
        assert w.x.dtype == np.int64 and w.y.shape == w.x.shape
        np.testing.assert_array_equal(w.y, w.x + 1)  # y is the next character of x
    for prev, nxt in zip(windows, windows[1:]):
        # Column i of the next window continues column i of this one: carry the state.
        np.testing.assert_array_equal(nxt.x[0], prev.x[-1] + 1)
        assert nxt.start == prev.start + T
    # Every id except each column's first is a target exactly once.
    targets = np.concatenate([w.y for w in windows])  # (S - 1, N)
    np.testing.assert_array_equal(targets, cols[1:])
    assert len(list(stream_windows(ids, N, T, drop_last=True))) == len(windows) - 1


def test_window_errors_name_the_argument():
    with pytest.raises(ValueError, match="stream_windows: argument 'window' must be an int >= 1, got 0"):
        stream_windows(np.arange(10), 2, 0)
    with pytest.raises(ValueError, match="batchify: argument 'batch_size' leaves 1 id"):
        stream_windows(np.arange(10), 10, 3)
    with pytest.raises(ValueError, match=r"batchify: argument 'ids' must be \(L,\) integer ids"):
        batchify(np.zeros((3, 3), dtype=np.int64), 2)
