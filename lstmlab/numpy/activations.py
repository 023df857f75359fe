"""Numerically stable activations and the local derivatives BPTT needs.

The derivatives are written in terms of the activation's *output*, because that is
what the forward caches: ``sigmoid'(a) = s (1 - s)`` and ``tanh'(a) = 1 - t**2``.
"""

from __future__ import annotations

import numpy as np


def sigmoid(a: np.ndarray) -> np.ndarray:
    """Logistic function, any shape; never overflows.

    ``exp`` is only ever taken of ``-|a|`` (at most 1), so inputs of +-1000 give exactly
    0 or 1 with no warning.
    """
    e = np.exp(-np.abs(a))
    return np.where(a >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def tanh(a: np.ndarray) -> np.ndarray:
    """Hyperbolic tangent, any shape (NumPy's ``tanh`` saturates cleanly at +-1)."""
    return np.tanh(a)


def sigmoid_grad_from_output(s: np.ndarray) -> np.ndarray:
    """d sigmoid / da expressed through ``s = sigmoid(a)``."""
    return s * (1.0 - s)


def tanh_grad_from_output(t: np.ndarray) -> np.ndarray:
    """d tanh / da expressed through ``t = tanh(a)``."""
    return 1.0 - t * t
