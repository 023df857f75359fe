"""Real text for character language models: the corpus, its vocabulary, a fixed split, and
stateful batches of a long stream.

Shapes: L characters in a stream, T time steps per window, N parallel streams (the batch),
V characters in the vocabulary.  Windows are time-major ``(T, N)`` int64 ids, like the rest
of lstmlab.

The corpus is Python's own documentation of its language (``pydoc_data.topics``, the text
behind ``help("assert")``): 79 topics, about 465,000 characters of English prose, grammar
rules and indented code, 103 distinct characters.  It ships with CPython, so no download is
needed.  Its text changes between Python releases; :class:`Corpus` carries the Python
version and the sha256 of the text, so a number measured on one can be matched to its text.

Typical use::

    data = load_char_data()                       # corpus, vocabulary, split, encoded
    for window in stream_windows(data.train, batch_size=32, window=100):
        window.x, window.y                        # (T, N) ids; y is x shifted by one character
"""

from __future__ import annotations

import hashlib
import platform
from dataclasses import dataclass, field
from typing import NamedTuple
from collections.abc import Iterator

import numpy as np

from lstmlab.errors import argument_error
from lstmlab.numpy.params import as_generator

__all__ = [
    "CORPUS_LICENCE",
    "CORPUS_SOURCE",
    "CharData",
    "CharVocab",
    "Corpus",
    "CorpusSplit",
    "Window",
    "batchify",
    "load_char_data",
    "load_corpus",
    "split_corpus",
    "stream_windows",
]

CORPUS_SOURCE = ("pydoc_data.topics: the topic texts of Python's documentation that "
                 "help() shows (Doc/reference and Doc/library), generated when CPython is built")
CORPUS_LICENCE = ("Python Software Foundation License Version 2 (the licence of Python's "
                  "documentation; since Python 3.8.6 its code examples are also under the "
                  "Zero-Clause BSD license). Copyright (c) 2001 onwards Python Software "
                  "Foundation; see LICENSE.txt of the Python installation.")


@dataclass(frozen=True)
class Corpus:
    """A text and where it came from.

    documents : ``((name, text), ...)`` in sorted name order (the topics)
    text : the documents joined with one blank line between them (a str of L characters)
    python_version : the CPython that shipped it, e.g. ``"3.11.7"``
    sha256 : hex digest of ``text`` encoded as UTF-8
    """

    documents: tuple[tuple[str, str], ...]
    python_version: str
    source: str = CORPUS_SOURCE
    licence: str = CORPUS_LICENCE
    text: str = field(init=False)
    sha256: str = field(init=False)

    def __post_init__(self) -> None:
        text = "\n".join(doc for _, doc in self.documents)
        object.__setattr__(self, "text", text)
        object.__setattr__(self, "sha256", hashlib.sha256(text.encode("utf-8")).hexdigest())


def load_corpus() -> Corpus:
    """The documentation topics of the running Python (``pydoc_data.topics``), as a Corpus.

    Every topic text ends with a newline, so joining them with ``"\\n"`` leaves one blank line
    between topics.  No download: the module is part of the standard library.
    """
    from pydoc_data.topics import topics

    documents = tuple((name, topics[name]) for name in sorted(topics))
    return Corpus(documents=documents, python_version=platform.python_version())


@dataclass(frozen=True)
class CharVocab:
    """The characters of a text and their ids (id = position in ``chars``, sorted by code point).

    Build it with :meth:`from_text`.  ``encode`` maps a str of L characters to ``(L,)`` int64
    ids, ``decode`` maps ids back: ``(L,)`` -> one str, ``(T, N)`` -> N strs, one per column.
    """

    chars: tuple[str, ...]
    _index: dict = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if len(set(self.chars)) != len(self.chars) or any(len(c) != 1 for c in self.chars):
            raise argument_error("CharVocab", "chars", "must hold distinct single characters",
                                 "build it with CharVocab.from_text(text)")
        object.__setattr__(self, "_index", {c: i for i, c in enumerate(self.chars)})

    @classmethod
    def from_text(cls, text: str) -> CharVocab:
        """Every distinct character of ``text``, sorted by code point."""
        if not isinstance(text, str) or not text:
            got = f"{type(text).__name__} of length {len(text) if hasattr(text, '__len__') else '?'}"
            raise argument_error("CharVocab.from_text", "text", f"must be a non-empty str, got {got}",
                                 "pass corpus.text")
        return cls(tuple(sorted(set(text))))

    def __len__(self) -> int:
        return len(self.chars)

    @property
    def size(self) -> int:
        """V, the number of characters."""
        return len(self.chars)

    def encode(self, text: str) -> np.ndarray:
        """``text`` (L characters) -> ``(L,)`` int64 ids."""
        try:
            return np.fromiter((self._index[c] for c in text), dtype=np.int64, count=len(text))
        except KeyError as err:
            raise argument_error("CharVocab.encode", "text", f"holds the character {err.args[0]!r}, which is not "
                                 f"among the vocabulary's {len(self)} characters",
                                 "build the vocabulary from the whole corpus") from None

    def decode(self, ids) -> str | list[str]:
        """``(L,)`` ids -> a str; a time-major ``(T, N)`` batch -> a list of N strs (columns)."""
        ids = np.asarray(ids)
        if ids.dtype.kind not in "iu" or ids.ndim not in (1, 2):
            raise argument_error("CharVocab.decode", "ids", f"must be integer ids of shape (L,) or (T, N), got "
                                 f"dtype {ids.dtype} and shape {ids.shape}", "pass window.x or window.x[:, i]")
        if ids.size and (ids.min() < 0 or ids.max() >= len(self)):
            raise argument_error("CharVocab.decode", "ids", f"must lie in [0, V) = [0, {len(self)}), got values "
                                 f"from {ids.min()} to {ids.max()}", "were they made with another vocabulary?")
        if ids.ndim == 2:
            return [self.decode(ids[:, i]) for i in range(ids.shape[1])]
        return "".join(self.chars[i] for i in ids)


class CorpusSplit(NamedTuple):
    """Train, validation and test text (strs) and the document names in each (tuples)."""

    train: str
    validation: str
    test: str
    train_names: tuple[str, ...]
    validation_names: tuple[str, ...]
    test_names: tuple[str, ...]


def split_corpus(corpus: Corpus, seed: int = 0, fraction: float = 0.05,
                 max_document: float = 0.025) -> CorpusSplit:
    """A fixed train/validation/test split by whole documents (topics), seeded.

    The procedure: shuffle the documents with ``np.random.default_rng(seed).permutation``
    (in the corpus's sorted order); walk through them in that order, putting each into the
    validation set while it holds fewer than ``fraction`` of all characters, then into the
    test set likewise, and everything left into training.  Documents longer than
    ``max_document`` of all characters always go to training (one of them would make a small
    split mostly one topic).  Each split joins its documents, in shuffled order, with one blank
    line between them.  No document is in two splits, so no text is shared except what the
    documents themselves repeat.
    """
    where = "split_corpus"
    if not isinstance(corpus, Corpus):
        raise argument_error(where, "corpus", f"must be a Corpus, got {type(corpus).__name__}",
                                        "load one with load_corpus()")
    for name, value in (("fraction", fraction), ("max_document", max_document)):
        if not isinstance(value, (int, float)) or not 0.0 < value < 1.0 / 3.0:
            raise argument_error(where, name, f"must be a number in (0, 1/3), got {value!r}",
                                            "e.g. fraction=0.05 for 5% validation and 5% test")
    total = len(corpus.text)
    order = as_generator(seed, where).permutation(len(corpus.documents))
    parts: dict[str, list[tuple[str, str]]] = {"validation": [], "test": [], "train": []}
    sizes = {"validation": 0, "test": 0}
    for k in order:
        name, doc = corpus.documents[k]
        target = "train"
        if len(doc) <= max_document * total:
            for split in ("validation", "test"):
                if sizes[split] < fraction * total:
                    target = split
                    sizes[split] += len(doc)
                    break
        parts[target].append((name, doc))

    def join(split):
        return "\n".join(doc for _, doc in parts[split])

    def names(split):
        return tuple(name for name, _ in parts[split])

    return CorpusSplit(join("train"), join("validation"), join("test"),
                       names("train"), names("validation"), names("test"))


@dataclass(frozen=True)
class CharData:
    """Everything a character language model needs, from :func:`load_char_data`.

    corpus : the :class:`Corpus` (provenance: ``python_version``, ``sha256``, ``licence``)
    vocab : the :class:`CharVocab` of the whole corpus (V characters)
    split : the :class:`CorpusSplit` (texts and topic names)
    train, validation, test : ``(L,)`` int64 ids of each split's text
    """

    corpus: Corpus
    vocab: CharVocab
    split: CorpusSplit
    train: np.ndarray
    validation: np.ndarray
    test: np.ndarray


def load_char_data(seed: int = 0) -> CharData:
    """The corpus, its vocabulary, the split of :func:`split_corpus` (``seed``) and the three
    splits encoded as ``(L,)`` int64 ids.

    The vocabulary is the character set of the whole corpus, so no split meets an unknown
    character; it carries no statistics (the n-gram counts and the models see training text
    only).
    """
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise argument_error("load_char_data", "seed", f"must be an int, got {seed!r}",
                             "seed=0 gives the split the book and the assignment use")
    corpus = load_corpus()
    vocab = CharVocab.from_text(corpus.text)
    split = split_corpus(corpus, seed=seed)
    return CharData(corpus, vocab, split, vocab.encode(split.train),
                    vocab.encode(split.validation), vocab.encode(split.test))


class Window(NamedTuple):
    """One window of a stateful batch.

    x : ``(T, N)`` int64 input ids; column ``i`` continues column ``i`` of the previous window
    y : ``(T, N)`` int64 targets, the next character: ``y[t, i]`` follows ``x[t, i]``
    start : index (into each column of :func:`batchify`'s array) of ``x[0]``
    """

    x: np.ndarray
    y: np.ndarray
    start: int


def _ids(where: str, ids) -> np.ndarray:
    ids = np.asarray(ids)
    if ids.ndim != 1 or ids.dtype.kind not in "iu":
        raise argument_error(where, "ids", f"must be (L,) integer ids, got dtype {ids.dtype} and "
                                        f"shape {ids.shape}", "encode a text with CharVocab.encode")
    return ids.astype(np.int64, copy=False)


def _positive_int(where: str, name: str, value, hint: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise argument_error(where, name, f"must be an int >= 1, got {value!r}", hint)
    return int(value)


def batchify(ids, batch_size: int) -> np.ndarray:
    """Cut a stream of ``(L,)`` ids into ``N = batch_size`` contiguous columns: ``(L // N, N)``.

    Column ``i`` is ``ids[i*S : (i+1)*S]`` with ``S = L // N``, so reading down a column reads
    the text in order; the last ``L % N`` ids are dropped.
    """
    where = "batchify"
    ids = _ids(where, ids)
    n = _positive_int(where, "batch_size", batch_size, "the number of parallel streams N, e.g. 32")
    S = len(ids) // n
    if S < 2:
        raise argument_error(
            where, "batch_size", f"leaves {S} id(s) per column of a stream of L = {len(ids)}; need >= 2",
            "use fewer columns, or a longer stream")
    return ids[: S * n].reshape(n, S).T  # (S, N): column i is a contiguous piece of text


def stream_windows(ids, batch_size: int, window: int, drop_last: bool = False) -> Iterator[Window]:
    """Stateful batches: consecutive ``(T, N)`` windows of :func:`batchify`'s columns.

    Window ``k`` holds rows ``k*T .. k*T + T - 1`` as inputs and the rows one further down as
    targets, so window ``k + 1`` starts exactly where window ``k`` ended in every column: carry
    the recurrent state from one window to the next (detached: gradients stop at the
    boundary) and the model reads each column as one long text.  Every id but the first of each
    column is a target exactly once.  The last window is shorter when ``T`` does not divide
    ``S - 1`` (skip it with ``drop_last=True``, e.g. for training on equal-length windows).

    Parameters
    ----------
    ids : (L,) int ids of a stream
    batch_size : N, the number of parallel columns
    window : T, time steps per window (the truncation length of truncated BPTT)
    """
    where = "stream_windows"
    T = _positive_int(where, "window", window, "the truncation length, e.g. 100")
    cols = batchify(ids, batch_size)  # (S, N); checked here, not at the first next()
    return _windows(cols, T, drop_last)


def _windows(cols: np.ndarray, T: int, drop_last: bool) -> Iterator[Window]:
    S = cols.shape[0]
    for start in range(0, S - 1, T):
        stop = min(start + T, S - 1)
        if drop_last and stop - start < T:
            return
        yield Window(cols[start:stop], cols[start + 1 : stop + 1], start)
