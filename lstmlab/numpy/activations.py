"""Numerically stable activations and the local derivatives BPTT needs.

The derivatives are written in terms of the activation's *output*, because that is
what the forward caches: ``sigmoid'(a) = s (1 - s)`` and ``tanh'(a) = 1 - t**2``.
"""

from __future__ import annotations

import numpy as np


def sigmoid(a: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """Logistic function, any shape; never overflows.

    ``exp`` is only ever taken of ``-|a|`` (at most 1), so inputs of +-1000 give exactly
    0 or 1 with no warning: ``1 / (1 + e)`` for ``a >= 0`` and ``e / (1 + e)`` below.
    ``out`` (optional, may be ``a`` itself) receives the result.
    """
    e = np.exp(-np.abs(a))
    return np.divide(np.where(a >= 0, 1.0, e), 1.0 + e, out=out)


def tanh(a: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """Hyperbolic tangent, any shape (NumPy's ``tanh`` saturates cleanly at +-1)."""
    return np.tanh(a, out=out)


def sigmoid_grad_from_output(s: np.ndarray) -> np.ndarray:
    """d sigmoid / da expressed through ``s = sigmoid(a)``."""
    return s * (1.0 - s)


def tanh_grad_from_output(t: np.ndarray) -> np.ndarray:
    """d tanh / da expressed through ``t = tanh(a)``."""
    return 1.0 - t * t
