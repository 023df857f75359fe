"""Seeded synthetic tasks that need memory across time, time-major like the rest of lstmlab.

Shapes: T time steps, N sequences (``n``), D input size.  Every generator takes ``seed``, an
int or a ``np.random.Generator``: the same int always gives the same data; a Generator is
advanced, so successive calls give fresh batches.  Each returns a :class:`Batch`.

==================  =========================  =====================  ===========================
task                inputs ``x``               targets ``y``          what a memoryless model gets
==================  =========================  =====================  ===========================
adding (two-mark)   ``(T, N, 2)`` float64      ``(N, 1)`` float64     MSE ``ADDING_BASELINE_MSE``
adding (Hochreiter) ``(T', N, 2)`` + lengths   ``(N, 1)`` float64     MSE ~0.039 (T=100) [#]_
copy                ``(T+20, N, 10)`` one-hot  ``(T+20, N)`` int64    :func:`copy_baseline_cross_entropy`
temporal order      ``(T, N, 8)`` one-hot      ``(N,)`` int64         accuracy 1/4
agreement           ``(gap+2, N)`` int64 ids   ``(N,)`` int64         accuracy 1/2
==================  =========================  =====================  ===========================

.. [#] Predicting 0.5: ``Var(X1 + X2) / 16`` = 1/24 ~ 0.042 for two U[-1, 1] values, a little
   less because a marked first step carries 0 (one sequence in ten at T >= 20); measured
   0.0393 on 100,000 sequences at T = 100.

References: Hochreiter & Schmidhuber (1997), *Long short-term memory* (adding problem,
experiment 4; temporal order, experiment 6a); Le, Jaitly & Hinton (2015) and Arjovsky, Shah &
Bengio (2016) (two-marker adding problem, copy task); Linzen, Dupoux & Goldberg (2016)
(subject-verb agreement as a probe of long-range syntax).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import NamedTuple
from collections.abc import Sequence

import numpy as np

from lstmlab.errors import argument_error
from lstmlab.numpy.params import as_generator

__all__ = [
    "ADDING_BASELINE_MSE",
    "AGREEMENT_VERBS",
    "AGREEMENT_VOCAB",
    "TEMPORAL_ORDER_CLASSES",
    "TEMPORAL_ORDER_SYMBOLS",
    "Batch",
    "Vocabulary",
    "adding_problem",
    "agreement",
    "copy_baseline_cross_entropy",
    "copy_task",
    "one_hot",
    "temporal_order",
]

#: MSE of always predicting 1 on the two-marker adding problem: the target X1 + X2 is a sum of
#: two independent U[0, 1] values, mean 1 and variance 2 * (1/12) = 1/6.  A model has learnt
#: something only when its MSE falls clearly below this.
ADDING_BASELINE_MSE = 1.0 / 6.0


class Batch(NamedTuple):
    """One batch of a task.

    x : inputs, time-major: ``(T, N, D)`` float64, or ``(T, N)`` int64 token ids (agreement)
    y : targets, shape depends on the task (see the module table)
    lengths : ``(N,)`` int64 true lengths when sequences are padded to a common ``T``, else
        None.  Read the prediction of sequence ``i`` at step ``lengths[i] - 1``.
    vocab : the :class:`Vocabulary` of token ids (agreement task), else None
    """

    x: np.ndarray
    y: np.ndarray
    lengths: np.ndarray | None = None
    vocab: Vocabulary | None = None


# ---------------------------------------------------------------- argument checks


def _int_at_least(where: str, name: str, value, minimum: int, hint: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise argument_error(where, name, f"must be an int >= {minimum}, got {value!r}", hint)
    return int(value)


def _probability(where: str, name: str, value, hint: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.floating, np.integer)) \
            or not 0.0 <= float(value) <= 1.0:
        raise argument_error(
            where,
            name,
            f"must be a probability in [0, 1], got {value!r}",
            hint,
        )
    return float(value)


def one_hot(ids, size: int) -> np.ndarray:
    """One-hot encode integer ids: ``(...)`` ints in ``[0, size)`` -> ``(..., size)`` float64."""
    size = _int_at_least("one_hot", "size", size, 1, "the number of categories, e.g. 10")
    ids = np.asarray(ids)
    if ids.dtype.kind not in "iu":
        raise argument_error(
            "one_hot",
            "ids",
            f"must hold integers, got dtype {ids.dtype}",
            "convert with ids.astype(np.int64)",
        )
    if ids.size and (ids.min() < 0 or ids.max() >= size):
        bad = ids.min() if ids.min() < 0 else ids.max()
        raise argument_error(
            "one_hot",
            "ids",
            f"must lie in [0, size) = [0, {size}), got {bad}",
            "size is the number of categories, one more than the largest id",
        )
    out = np.zeros(ids.shape + (size,), dtype=np.float64)
    np.put_along_axis(out, ids[..., None].astype(np.intp), 1.0, axis=-1)
    return out


# ---------------------------------------------------------------- adding problem


def adding_problem(n: int, T: int, seed, variant: str = "two_marker") -> Batch:
    """The adding problem: remember two marked numbers across a sequence and add them.

    Each step carries a pair ``[value, marker]``; the answer is read after the last step.

    ``variant="two_marker"`` (Le et al. 2015; Arjovsky et al. 2016; used by most recent
    papers): values ``U[0, 1]``; markers are 0 except exactly two 1s, one at a uniformly drawn
    step of the first half ``[0, T//2)`` and one in the second half ``[T//2, T)``.  Target
    ``X1 + X2``.  Predicting the constant 1 scores :data:`ADDING_BASELINE_MSE` = 1/6.

    ``variant="hochreiter"`` (Hochreiter & Schmidhuber 1997, experiment 4): values
    ``U[-1, 1]``; each sequence has its own length, uniform in ``[T, T + T//10]``.  The first
    marker sits at a uniformly drawn step among the first ten (the first ``min(10, T//2)``
    here, so that short sequences work), the second at a uniform step of the first half
    ``[0, T//2)`` other than the first marker's -- the paper's "one of the first T/2 - 1 still
    unmarked pairs", read as the first half minus the already marked step.  All other markers
    are 0, except the first and the last step of the sequence, which carry -1 where they are
    not marked.  When the first step is marked, its value is set to 0 (the paper does this
    for X1; here it applies whichever marker lands there).  Target ``0.5 + (X1 + X2) / 4``,
    in ``[0, 1]``; the paper counts a sequence as solved when the absolute error is < 0.04.
    Sequences are zero-padded to ``T + T//10`` steps and ``lengths`` says where each ends.

    Parameters
    ----------
    n : int >= 1, number of sequences N
    T : int, sequence length (two-marker, >= 2) or minimal length (Hochreiter, >= 4)
    seed : int or np.random.Generator
    variant : "two_marker" or "hochreiter"

    Returns
    -------
    Batch with x ``(T, N, 2)`` (``(T + T//10, N, 2)`` for Hochreiter's form) float64, y ``(N, 1)``
    float64 and, for Hochreiter's form, lengths ``(N,)`` int64.
    """
    where = "adding_problem"
    n = _int_at_least(where, "n", n, 1, "the number of sequences, e.g. n=64")
    if variant not in ("two_marker", "hochreiter"):
        raise argument_error(
            where,
            "variant",
            f"must be 'two_marker' or 'hochreiter', got {variant!r}",
            "'two_marker' is the form of most recent papers, 'hochreiter' the 1997 one",
        )
    rng = as_generator(seed, where)
    cols = np.arange(n)
    if variant == "two_marker":
        T = _int_at_least(where, "T", T, 2, "each half of the sequence holds one marker, so T >= 2")
        values = rng.random((T, n))  # (T, N) in [0, 1)
        p1 = rng.integers(0, T // 2, size=n)  # first half
        p2 = rng.integers(T // 2, T, size=n)  # second half
        x = np.zeros((T, n, 2))
        x[:, :, 0] = values
        x[p1, cols, 1] = 1.0
        x[p2, cols, 1] = 1.0
        y = (values[p1, cols] + values[p2, cols])[:, None]  # (N, 1)
        return Batch(x=x, y=y)

    T = _int_at_least(where, "T", T, 4, "the first half must hold two markers, so T >= 4 "
                      "(the paper used T >= 100)")
    T_max = T + T // 10
    lengths = rng.integers(T, T_max + 1, size=n)  # (N,) each in [T, T + T//10]
    values = rng.uniform(-1.0, 1.0, size=(T_max, n))
    p1 = rng.integers(0, min(10, T // 2), size=n)
    # Uniform over the first half without p1: draw among T//2 - 1 slots, skip over p1.
    r = rng.integers(0, T // 2 - 1, size=n)
    p2 = r + (r >= p1)
    steps = np.arange(T_max)[:, None]  # (T', 1)
    inside = steps < lengths[None, :]  # (T', N) False on padding
    markers = np.zeros((T_max, n))
    markers[0, :] = -1.0
    markers[lengths - 1, cols] = -1.0
    markers[p1, cols] = 1.0
    markers[p2, cols] = 1.0
    values[0, markers[0] == 1.0] = 0.0  # a marked first step carries the value 0
    values[~inside] = 0.0
    x = np.stack([values, markers], axis=-1)  # (T', N, 2)
    y = (0.5 + (values[p1, cols] + values[p2, cols]) / 4.0)[:, None]
    return Batch(x=x, y=y, lengths=lengths.astype(np.int64))


# ---------------------------------------------------------------- copy task


def copy_task(n: int, T: int, seed, n_symbols: int = 8, seq_len: int = 10) -> Batch:
    """The copy task (Arjovsky et al. 2016): reproduce a sequence after a delay of ``T`` steps.

    Categories: ``0 .. n_symbols-1`` are data symbols, ``n_symbols`` is the blank and
    ``n_symbols + 1`` the delimiter.  Each input sequence has ``T + 2*seq_len`` steps:
    ``seq_len`` symbols drawn uniformly (with replacement), ``T - 1`` blanks, the delimiter
    (the cue to start recalling), then ``seq_len`` blanks.  The target is blank for the first
    ``T + seq_len`` steps and the original symbols, in order, for the last ``seq_len``.  With the
    paper's defaults (8 symbols, length 10) that is ``T + 20`` steps and 10 categories.

    Returns
    -------
    Batch with x ``(T + 2*seq_len, N, n_symbols + 2)`` one-hot float64 and y
    ``(T + 2*seq_len, N)`` int64 class indices (train with a per-step softmax cross-entropy;
    compare with :func:`copy_baseline_cross_entropy`).
    """
    where = "copy_task"
    n = _int_at_least(where, "n", n, 1, "the number of sequences, e.g. n=64")
    T = _int_at_least(where, "T", T, 1, "the delay between the symbols and their recall, e.g. T=100")
    n_symbols = _int_at_least(where, "n_symbols", n_symbols, 2,
                              "the paper copies symbols from 8 categories")
    seq_len = _int_at_least(where, "seq_len", seq_len, 1, "the paper copies 10 symbols")
    rng = as_generator(seed, where)
    blank, delimiter = n_symbols, n_symbols + 1
    L = T + 2 * seq_len
    symbols = rng.integers(0, n_symbols, size=(seq_len, n))  # (seq_len, N)
    ids = np.full((L, n), blank, dtype=np.int64)
    ids[:seq_len] = symbols
    ids[seq_len + T - 1] = delimiter
    y = np.full((L, n), blank, dtype=np.int64)
    y[L - seq_len:] = symbols
    return Batch(x=one_hot(ids, n_symbols + 2), y=y)


def copy_baseline_cross_entropy(T: int, n_symbols: int = 8, seq_len: int = 10) -> float:
    """Mean per-step cross-entropy of the best memoryless strategy on :func:`copy_task`.

    Predict the blank with certainty for the first ``T + seq_len`` steps (cost 0) and a uniform
    guess over the symbols for the last ``seq_len`` (cost ``log n_symbols`` each), averaged over
    all ``T + 2*seq_len`` steps: ``seq_len * log(n_symbols) / (T + 2*seq_len)``.  For the
    paper's setting that is ``10 log 8 / (T + 20)``.
    """
    where = "copy_baseline_cross_entropy"
    T = _int_at_least(where, "T", T, 1, "the copy task's delay, e.g. T=100")
    n_symbols = _int_at_least(where, "n_symbols", n_symbols, 2, "the paper uses 8")
    seq_len = _int_at_least(where, "seq_len", seq_len, 1, "the paper uses 10")
    return seq_len * math.log(n_symbols) / (T + 2 * seq_len)


# ---------------------------------------------------------------- temporal order

#: Input symbols of :func:`temporal_order`, in one-hot order: distractors a-d, the two relevant
#: symbols X and Y, the start symbol E and the end ("trigger") symbol B.
TEMPORAL_ORDER_SYMBOLS = ("a", "b", "c", "d", "X", "Y", "E", "B")
#: Class names of :func:`temporal_order`: the two relevant symbols in order of appearance.
TEMPORAL_ORDER_CLASSES = ("XX", "XY", "YX", "YY")


def temporal_order(n: int, T: int, seed, variable_length: bool = False) -> Batch:
    """Temporal order (Hochreiter & Schmidhuber 1997, experiment 6a): classify by the order of
    two widely separated symbols.

    A sequence starts with ``E``, ends with ``B`` and is otherwise made of distractors drawn
    uniformly from ``a, b, c, d``, except at two steps ``t1`` and ``t2`` that hold ``X`` or
    ``Y`` (each uniformly).  The class says which: ``XX=0, XY=1, YX=2, YY=3``
    (:data:`TEMPORAL_ORDER_CLASSES`).

    The paper uses lengths 100-110 with ``t1`` in [10, 20] and ``t2`` in [50, 60].  Here the
    positions scale with ``T`` (0-based, ``E`` at step 0): ``t1`` uniform in
    ``[T//10, T//5]`` and ``t2`` in ``[T//2, 3*T//5]``, which gives the paper's ranges at
    ``T = 100``.  By default every sequence has length ``T`` (one batch, no padding; the paper's
    small length jitter only keeps the end from being predictable by counting).  With
    ``variable_length=True`` lengths are uniform in ``[T, T + T//10]`` as in the paper, the
    batch is zero-padded (all-zero input vectors) and ``lengths`` is returned.

    Returns
    -------
    Batch with x ``(T, N, 8)`` one-hot float64 (``(T + T//10, N, 8)`` when variable), y ``(N,)``
    int64 classes and lengths ``(N,)`` int64 or None.
    """
    where = "temporal_order"
    n = _int_at_least(where, "n", n, 1, "the number of sequences, e.g. n=64")
    T = _int_at_least(where, "T", T, 10, "the relevant symbols sit near 10-20% and 50-60% of "
                      "the sequence, so T >= 10 (the paper used 100)")
    rng = as_generator(seed, where)
    cols = np.arange(n)
    T_max = T + T // 10 if variable_length else T
    lengths = rng.integers(T, T_max + 1, size=n) if variable_length else np.full(n, T)
    sym = {s: i for i, s in enumerate(TEMPORAL_ORDER_SYMBOLS)}
    ids = rng.integers(0, 4, size=(T_max, n))  # distractors a-d, (T', N)
    t1 = rng.integers(T // 10, T // 5 + 1, size=n)
    t2 = rng.integers(T // 2, 3 * T // 5 + 1, size=n)
    is_y1 = rng.integers(0, 2, size=n)  # 0 -> X, 1 -> Y
    is_y2 = rng.integers(0, 2, size=n)
    ids[0, :] = sym["E"]
    ids[t1, cols] = sym["X"] + is_y1
    ids[t2, cols] = sym["X"] + is_y2
    ids[lengths - 1, cols] = sym["B"]
    x = one_hot(ids, len(TEMPORAL_ORDER_SYMBOLS))  # (T', N, 8)
    x[np.arange(T_max)[:, None] >= lengths[None, :]] = 0.0  # padding carries no symbol
    y = (2 * is_y1 + is_y2).astype(np.int64)
    return Batch(x=x, y=y, lengths=lengths.astype(np.int64) if variable_length else None)


# ---------------------------------------------------------------- agreement


@dataclass(frozen=True)
class Vocabulary:
    """Token strings and their ids (id = position in ``tokens``; id 0 is ``"<pad>"``)."""

    tokens: tuple[str, ...]
    _index: dict = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if len(set(self.tokens)) != len(self.tokens):
            repeated = sorted({t for t in self.tokens if self.tokens.count(t) > 1})
            raise argument_error("Vocabulary", "tokens", f"has duplicates {repeated}",
                                 "one id per word")
        object.__setattr__(self, "_index", {t: i for i, t in enumerate(self.tokens)})

    def __len__(self) -> int:
        return len(self.tokens)

    def __contains__(self, token: str) -> bool:
        return token in self._index

    def index(self, token: str) -> int:
        """The id of ``token``."""
        if token not in self._index:
            raise argument_error("Vocabulary.index", "token", f"{token!r} is not in the vocabulary",
                                 f"the words are {', '.join(self.tokens[1:])}")
        return self._index[token]

    def encode(self, sentence: str | Sequence[str]) -> np.ndarray:
        """Space-separated words (or a list of words) -> ``(T,)`` int64 ids."""
        words = sentence.split() if isinstance(sentence, str) else list(sentence)
        return np.array([self.index(w) for w in words], dtype=np.int64)

    def decode(self, ids) -> str | list[str]:
        """Ids -> text, padding dropped.

        ``(T,)`` gives one string; a time-major batch ``(T, N)`` gives a list of N strings, one
        per column (sequence).
        """
        ids = np.asarray(ids)
        if ids.dtype.kind not in "iu" or ids.ndim not in (1, 2):
            raise argument_error(
                "Vocabulary.decode", "ids",
                f"must be integer ids of shape (T,) or (T, N), got dtype {ids.dtype} and shape {ids.shape}",
                "pass batch.x or batch.x[:, i]",
            )
        if ids.size and (ids.min() < 0 or ids.max() >= len(self.tokens)):
            raise argument_error(
                "Vocabulary.decode", "ids",
                f"must lie in [0, {len(self.tokens)}), got values from {ids.min()} to {ids.max()}",
                "were they made with another vocabulary?",
            )
        if ids.ndim == 2:
            return [self.decode(ids[:, i]) for i in range(ids.shape[1])]
        return " ".join(self.tokens[i] for i in ids if i != 0)


# Singular/plural noun pairs: the number is all that matters for the label.
_NOUNS = (("cat", "cats"), ("dog", "dogs"), ("bird", "birds"), ("key", "keys"),
          ("box", "boxes"), ("fox", "foxes"), ("mouse", "mice"), ("hat", "hats"))
_VERBS = ("ate", "saw", "chased", "found", "liked", "watched", "followed")  # no number marking
_ADVERBS = ("already", "often", "never", "once", "quietly")
_ADJECTIVES = ("old", "small", "black", "happy", "lazy", "big")
_PREPOSITIONS = ("near", "with", "behind", "under", "beside")
_LOC1_WORDS = ("here", "there", "outside", "upstairs")  # one-word modifiers: "the cat outside was"
_LOC2_WORDS = (("over", "there"), ("in", "here"), ("out", "there"), ("right", "here"))

#: The verb a label stands for: 0 -> "was" (singular subject), 1 -> "were" (plural).
AGREEMENT_VERBS = ("was", "were")

# The words of the two-word modifiers that the one-word ones do not already hold.
_loc2_new_words = tuple(dict.fromkeys(w for pair in _LOC2_WORDS for w in pair if w not in _LOC1_WORDS))
#: The vocabulary of :func:`agreement` (the verbs are included so a sentence can be completed).
AGREEMENT_VOCAB = Vocabulary(
    ("<pad>", "the", ",", "which")
    + tuple(w for pair in _NOUNS for w in pair)
    + _VERBS + _ADVERBS + _ADJECTIVES + _PREPOSITIONS + _LOC1_WORDS + _loc2_new_words + AGREEMENT_VERBS
)

# Slot kinds of a sentence template.
_THE, _COMMA, _WHICH, _SUBJ, _NOUN, _VERB, _ADV, _ADJ, _PREP, _LOC1_SLOT, _LOC2A, _LOC2B = range(12)


def _template(gap: int, extras: frozenset) -> list[int]:
    """Slot kinds for one sentence: ``the SUBJ`` and ``gap`` more tokens (see :func:`agreement`)."""
    head = [_THE, _SUBJ]
    if gap == 0:
        return head
    if gap == 1:
        return head + [_LOC1_SLOT]
    if gap == 2:
        return head + [_LOC2A, _LOC2B]
    if gap < 6:
        return head + [_PREP, _THE] + [_ADJ] * (gap - 3) + [_NOUN]
    k = (gap - 6) // 3  # extra prepositional phrases, 3 tokens each
    body = [_COMMA, _WHICH] + ([_ADV] if "adv" in extras else []) + [_VERB, _THE]
    body += ([_ADJ] if 0 in extras else []) + [_NOUN]
    for j in range(1, k + 1):
        body += [_PREP, _THE] + ([_ADJ] if j in extras else []) + [_NOUN]
    return head + body + [_COMMA]


def agreement(n: int, gap: int, seed, attractor: float = 0.5) -> Batch:
    """Subject-verb agreement in a tiny synthetic English: is the next verb "was" or "were"?

    Every sentence is ``the SUBJECT`` followed by exactly ``gap`` tokens that separate the
    subject from the verb's position; the model reads the ``gap + 2`` tokens and predicts the
    number of the verb that comes next (label 0 = "was", singular; 1 = "were", plural).
    Depending on ``gap`` the separator is:

    * 0: nothing ("the cat [was]");  1: a place word ("the cats outside [were]");
    * 2: a two-word place ("the dog over there [was]");
    * 3-5: a prepositional phrase with 0-2 adjectives ("the keys near the old box [were]");
    * 6 and more: a relative clause, ``, which [adverb] VERB the [adj] NOUN (PREP the [adj]
      NOUN)* ,`` -- e.g. "the cat , which already ate the mice , [was]" -- with as many
      prepositional phrases as fit and the remaining one or two tokens placed at random as an
      adverb or adjectives.

    Every noun after the subject is a potential *attractor*: with probability ``attractor`` it
    has the opposite number to the subject (independently per noun).  A model that copies the
    number of the most recent noun is then right only ``1 - attractor`` of the time (for
    ``gap >= 3``), while the subject's number always decides the label.

    Parameters
    ----------
    n : int >= 1, number of sentences N
    gap : int >= 0, tokens between the subject and the verb
    seed : int or np.random.Generator
    attractor : probability in [0, 1] that each later noun disagrees with the subject

    Returns
    -------
    Batch with x ``(gap + 2, N)`` int64 token ids, y ``(N,)`` int64 labels and
    vocab = :data:`AGREEMENT_VOCAB` (``vocab.decode(batch.x)`` gives the N sentences).
    """
    where = "agreement"
    n = _int_at_least(where, "n", n, 1, "the number of sentences, e.g. n=64")
    gap = _int_at_least(where, "gap", gap, 0, "the number of tokens between subject and verb")
    attractor = _probability(where, "attractor", attractor,
                             "0.5 makes each later noun's number a coin flip; 1.0 always disagrees")
    rng = as_generator(seed, where)
    L = gap + 2
    vocab = AGREEMENT_VOCAB

    # Where the one or two leftover tokens of a long clause go (adverb or an adjective slot).
    extras_per_sentence = [frozenset()] * n
    if gap >= 6 and (gap - 6) % 3:
        k = (gap - 6) // 3
        slots = ["adv"] + list(range(k + 1))
        order = np.argsort(rng.random((n, len(slots))), axis=1)[:, : (gap - 6) % 3]
        extras_per_sentence = [frozenset(slots[j] for j in row) for row in order]
    cache: dict[frozenset, list[int]] = {}
    kinds = np.empty((L, n), dtype=np.int64)
    for i, extras in enumerate(extras_per_sentence):
        if extras not in cache:
            cache[extras] = _template(gap, extras)
        kinds[:, i] = cache[extras]

    # Draw every kind of word for every slot at once; each slot keeps the one of its kind.
    number = rng.integers(0, 2, size=n)  # 0 singular, 1 plural: the label
    subject = rng.integers(0, len(_NOUNS), size=n)
    nouns = rng.integers(0, len(_NOUNS), size=(L, n))
    flips = rng.random((L, n)) < attractor
    words = {
        _VERB: rng.integers(0, len(_VERBS), size=(L, n)),
        _ADV: rng.integers(0, len(_ADVERBS), size=(L, n)),
        _ADJ: rng.integers(0, len(_ADJECTIVES), size=(L, n)),
        _PREP: rng.integers(0, len(_PREPOSITIONS), size=(L, n)),
    }
    loc1 = rng.integers(0, len(_LOC1_WORDS), size=n)
    loc2 = rng.integers(0, len(_LOC2_WORDS), size=n)

    noun_ids = np.array([[vocab.index(s), vocab.index(p)] for s, p in _NOUNS])  # (P, 2)
    lookup = {
        _VERB: np.array([vocab.index(w) for w in _VERBS]),
        _ADV: np.array([vocab.index(w) for w in _ADVERBS]),
        _ADJ: np.array([vocab.index(w) for w in _ADJECTIVES]),
        _PREP: np.array([vocab.index(w) for w in _PREPOSITIONS]),
    }
    ids = np.zeros((L, n), dtype=np.int64)
    ids[kinds == _THE] = vocab.index("the")
    ids[kinds == _COMMA] = vocab.index(",")
    ids[kinds == _WHICH] = vocab.index("which")
    for kind, table in lookup.items():
        sel = kinds == kind
        ids[sel] = table[words[kind][sel]]
    # Two adjacent adjectives ("the big old box", gap 5) must differ: move a repeat to the next.
    repeat = (kinds[1:] == _ADJ) & (kinds[:-1] == _ADJ) & (ids[1:] == ids[:-1])
    rows, cols = np.nonzero(repeat)
    nxt = (words[_ADJ][rows + 1, cols] + 1) % len(_ADJECTIVES)
    ids[rows + 1, cols] = lookup[_ADJ][nxt]
    sel = kinds == _NOUN
    ids[sel] = noun_ids[nouns[sel], (number[None, :] ^ flips)[sel]]
    ids[1] = noun_ids[subject, number]  # the subject is always token 1
    loc1_ids = np.array([vocab.index(w) for w in _LOC1_WORDS])
    loc2_ids = np.array([[vocab.index(a), vocab.index(b)] for a, b in _LOC2_WORDS])
    for kind, values in ((_LOC1_SLOT, loc1_ids[loc1]), (_LOC2A, loc2_ids[loc2, 0]),
                         (_LOC2B, loc2_ids[loc2, 1])):
        rows, cols = np.nonzero(kinds == kind)
        ids[rows, cols] = values[cols]
    return Batch(x=ids, y=number.astype(np.int64), vocab=vocab)
