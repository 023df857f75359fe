"""How well a model predicts text: cross-entropy, bits per character, perplexity.

All three are the same number in different units.  The cross-entropy is the mean negative
log-probability (natural log, nats) a model gives to each next character; bits per character
is the same mean in base 2 (``nats / ln 2``): the length of the code the model would need per
character; the perplexity ``exp(nats)`` is the size of a uniform choice that is equally
surprised (a uniform guess over V characters has perplexity V and ``log2 V`` bits).
"""

from __future__ import annotations

import math

import numpy as np

from lstmlab.errors import argument_error
from lstmlab.numpy.layers import softmax_cross_entropy

__all__ = ["LN2", "bits_per_char", "cross_entropy", "perplexity"]

LN2 = math.log(2.0)


def _nats(where: str, nats) -> float:
    try:
        value = float(nats)
    except (TypeError, ValueError):
        raise argument_error(where, "nats", f"must be a number (a mean cross-entropy in nats), got {nats!r}",
                                        "pass the float that cross_entropy returned") from None
    if not value >= 0.0:  # also refuses nan
        raise argument_error(where, "nats", f"must be >= 0, got {value!r}",
                                        "a cross-entropy is a mean of -log p with p <= 1")
    return value


def cross_entropy(logits, targets) -> float:
    """Mean cross-entropy in nats of ``targets`` under ``softmax(logits)``.

    logits : ``(..., V)`` scores, e.g. ``(T, N, V)`` for a window
    targets : ``(...)`` int ids, e.g. ``(T, N)``

    The mean is over every position (all time steps and columns alike); it equals
    ``torch.nn.functional.cross_entropy(logits.reshape(-1, V), targets.reshape(-1))``.
    """
    logits, targets = np.asarray(logits), np.asarray(targets)
    if logits.ndim < 1 or targets.shape != logits.shape[:-1]:
        raise argument_error("cross_entropy", "targets", f"must have the shape of logits {logits.shape} without "
                             f"its last axis, {logits.shape[:-1]}, got {targets.shape}",
                             "logits (T, N, V) go with targets (T, N) of ids")
    loss, _ = softmax_cross_entropy(logits, targets)
    return loss


def bits_per_char(nats) -> float:
    """A mean cross-entropy in nats -> bits per character, ``nats / ln 2``."""
    return _nats("bits_per_char", nats) / LN2


def perplexity(nats) -> float:
    """A mean cross-entropy in nats -> perplexity, ``exp(nats)``."""
    return float(np.exp(_nats("perplexity", nats)))
