"""Count-based baselines for character language models: uniform, unigram, bigram, trigram.

Shapes: L ids in a stream, V characters.  A model of order ``n`` predicts each character
from the ``n - 1`` before it with additive (Lidstone) smoothing::

    P(c | context) = (count(context, c) + alpha) / (count(context) + alpha * V)

counted on training text.  ``alpha = 1`` is Laplace's add-one; smaller values trust the counts
more.  Order 1 is the unigram (no context), and an unseen context gives the uniform 1/V.
Every model scores a stream the way the recurrent models do: each of ``ids[1:]`` from what
precedes it, so the first ``n - 1`` targets of a stream see a shorter context (the model's
own lower orders, with the same ``alpha``).
"""

from __future__ import annotations

import math

import numpy as np

from lstmlab.errors import argument_error

__all__ = ["ALPHA_GRID", "NGramModel", "tune_alpha", "uniform_cross_entropy"]

_MAX_TABLE = 5_000_000  # V ** order counts in one dense table: 103 ** 3 ~ 1.1 million


def uniform_cross_entropy(vocab_size: int) -> float:
    """The cross-entropy of a uniform guess over ``vocab_size`` characters: ``log V`` nats."""
    if isinstance(vocab_size, bool) or not isinstance(vocab_size, (int, np.integer)) or vocab_size < 1:
        raise argument_error("uniform_cross_entropy", "vocab_size", f"must be an int >= 1, got {vocab_size!r}",
                             "len(vocab)")
    return math.log(int(vocab_size))


class NGramModel:
    """An additively smoothed character n-gram model (dense count tables).

    Parameters
    ----------
    order : n >= 1 (1 unigram, 2 bigram, 3 trigram)
    vocab_size : V
    alpha : smoothing pseudo-count > 0 added to every count

    ``fit(ids)`` counts the ``(L,)`` training ids; ``log_probs(ids)`` gives the ``(L - 1,)``
    natural-log probabilities of ``ids[1:]``; ``cross_entropy(ids)`` their negative mean
    (nats per character); ``next_probs(context)`` the ``(V,)`` distribution after a context.
    """

    def __init__(self, order: int, vocab_size: int, alpha: float = 1.0):
        where = "NGramModel"
        if isinstance(order, bool) or not isinstance(order, (int, np.integer)) or order < 1:
            raise argument_error(where, "order", f"must be an int >= 1, got {order!r}",
                                            "1 for a unigram, 2 for a bigram, 3 for a trigram")
        if isinstance(vocab_size, bool) or not isinstance(vocab_size, (int, np.integer)) or vocab_size < 1:
            raise argument_error(where, "vocab_size", f"must be an int >= 1, got {vocab_size!r}", "len(vocab)")
        if int(vocab_size) ** int(order) > _MAX_TABLE:
            raise argument_error(where, "order", f"{order} with V = {vocab_size} needs a table of V**order = "
                f"{int(vocab_size) ** int(order):,} counts (more than {_MAX_TABLE:,})",
                "dense tables suit orders up to 3 for ~100 characters")
        if not isinstance(alpha, (int, float)) or not math.isfinite(alpha) or alpha <= 0:
            raise argument_error(where, "alpha", f"must be a number > 0, got {alpha!r}",
                                            "1.0 is add-one smoothing; tune it on validation text")
        self.order, self.vocab_size, self.alpha = int(order), int(vocab_size), float(alpha)
        self.counts: list[np.ndarray] = []  # counts[k]: (V,) * (k + 1), context of k characters

    def _check_ids(self, where: str, ids, minimum: int) -> np.ndarray:
        ids = np.asarray(ids)
        if ids.ndim != 1 or ids.dtype.kind not in "iu" or len(ids) < minimum:
            raise argument_error(
                where, "ids",
                f"must be (L,) integer ids with L >= {minimum}, got dtype {ids.dtype} and shape {ids.shape}",
                "encode a text with CharVocab.encode")
        if ids.size and (ids.min() < 0 or ids.max() >= self.vocab_size):
            raise argument_error(
                where, "ids",
                f"must lie in [0, V) = [0, {self.vocab_size}), got values from {ids.min()} to {ids.max()}",
                "the model's vocab_size must be len(vocab) of the vocabulary that encoded the ids")
        return ids.astype(np.int64, copy=False)

    def fit(self, ids) -> NGramModel:
        """Count every k-gram (k = 1 .. order) of the ``(L,)`` ids; returns self."""
        ids = self._check_ids("NGramModel.fit", ids, self.order)
        V = self.vocab_size
        self.counts = []
        for k in range(1, self.order + 1):
            flat = np.zeros(len(ids) - k + 1, dtype=np.int64)  # k-gram as one base-V number
            for j in range(k):
                flat = flat * V + ids[j : len(ids) - k + 1 + j]
            self.counts.append(np.bincount(flat, minlength=V**k).astype(np.float64).reshape((V,) * k))
        return self

    def _fitted(self, where: str) -> None:
        if not self.counts:
            raise ValueError(f"{where}: the model has no counts yet. Hint: call fit(train_ids) first")

    def next_probs(self, context) -> np.ndarray:
        """``(V,)`` probabilities of the next character after ``context`` (ids; its last
        ``order - 1`` are used, fewer if it is shorter)."""
        self._fitted("NGramModel.next_probs")
        context = np.asarray(context, dtype=np.int64).reshape(-1)
        k = min(len(context), self.order - 1)
        row = self.counts[k][tuple(context[len(context) - k :])] if k else self.counts[0]
        return (row + self.alpha) / (row.sum() + self.alpha * self.vocab_size)

    def log_probs(self, ids) -> np.ndarray:
        """``(L - 1,)`` log-probabilities of ``ids[1:]``, each given the characters before it."""
        self._fitted("NGramModel.log_probs")
        ids = self._check_ids("NGramModel.log_probs", ids, 2)
        V, a = self.vocab_size, self.alpha
        out = np.empty(len(ids) - 1)
        for t in range(1, len(ids)):  # targets with a context shorter than order - 1
            if t >= self.order - 1:
                break
            out[t - 1] = math.log(self.next_probs(ids[:t])[ids[t]])
        k = self.order - 1  # full contexts from here on, vectorised
        first = max(k, 1)
        if first < len(ids):
            table = self.counts[k]
            totals = table.sum(axis=-1)  # (V,) * k
            index = tuple(ids[first - k + j : len(ids) - k + j] for j in range(k + 1))
            ctx = index[:-1]
            num = table[index] + a
            den = (totals[ctx] if k else totals) + a * V
            out[first - 1 :] = np.log(num / den)
        return out

    def cross_entropy(self, ids) -> float:
        """Mean negative log-probability of ``ids[1:]`` in nats per character."""
        return float(-self.log_probs(ids).mean())


ALPHA_GRID = (1.0, 0.3, 0.1, 0.03, 0.01)


def tune_alpha(order: int, vocab_size: int, train, validation, grid=ALPHA_GRID) -> tuple[float, NGramModel]:
    """The ``alpha`` of ``grid`` whose model (fitted on ``train`` ids) has the lowest
    cross-entropy on ``validation`` ids; returns ``(alpha, fitted model)``.

    Tuning on validation text, never on test text, keeps the test number honest.
    """
    best = None
    for alpha in grid:
        model = NGramModel(order, vocab_size, alpha).fit(train)
        loss = model.cross_entropy(validation)
        if best is None or loss < best[0]:
            best = (loss, float(alpha), model)
    if best is None:
        raise argument_error("tune_alpha", "grid", "is empty", "e.g. grid=(1.0, 0.1, 0.01)")
    return best[1], best[2]
