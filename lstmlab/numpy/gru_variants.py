"""The GRU of Cho et al. (2014): the reset gate acts *before* the hidden projection.

Shapes: T time steps, N batch, D input size, H hidden size; sequences are time-major
``(T, N, D)``.  The parameters have exactly the layout of :mod:`lstmlab.numpy.gru`
(torch.nn.GRU's, gate order r, z, n): ``W_ih (3H, D)``, ``W_hh (3H, H)``, ``b_ih (3H,)``,
``b_hh (3H,)``.  Only the candidate differs:

    r = sigmoid(W_ir x + b_ir + W_hr h + b_hr)          reset gate   (as torch.nn)
    z = sigmoid(W_iz x + b_iz + W_hz h + b_hz)          update gate  (as torch.nn)
    n = tanh(W_in x + b_in + W_hn (r * h) + b_hn)       candidate: r scales h *before* W_hn
    h_t = (1 - z) * n + z * h_{t-1}                     (as torch.nn)

torch.nn (and cuDNN) instead compute ``n = tanh(W_in x + b_in + r * (W_hn h + b_hn))``: the
reset gate scales the *projected* state, which lets the hidden products of all three gates
be done in one matrix product before r is known.  (The first arXiv version of the paper,
1406.1078v1, wrote that form; the published version, v3, the one here.)  Here ``W_hn`` must wait for ``r``, so a
step needs two dependent products.  Both are valid GRUs; they are different functions of
the same parameters.  In this form ``b_in`` and ``b_hn`` only ever appear as a sum, so (as in
the LSTM) they are interchangeable and receive equal gradients.

The functions mirror :mod:`lstmlab.numpy.gru` (same arguments, same gradient order).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .validate import ShapeChecker, check_layer, result_dtype
from .activations import sigmoid, sigmoid_grad_from_output, tanh, tanh_grad_from_output

__all__ = [
    "ChoGRUCache",
    "ChoGRUGates",
    "ChoGRUStepCache",
    "gru_cho_backward",
    "gru_cho_forward",
    "gru_cho_step_backward",
    "gru_cho_step_forward",
]


class ChoGRUGates(NamedTuple):
    """Activations of one step, each (N, H)."""

    r: np.ndarray  # reset gate
    z: np.ndarray  # update gate
    n: np.ndarray  # candidate state
    rh: np.ndarray  # r * h_prev, the vector W_hn multiplies


class ChoGRUStepCache(NamedTuple):
    x: np.ndarray  # (N, D)
    h_prev: np.ndarray  # (N, H)
    gates: ChoGRUGates
    W_ih: np.ndarray  # (3H, D)
    W_hh: np.ndarray  # (3H, H)


class ChoGRUCache(NamedTuple):
    x: np.ndarray  # (T, N, D)
    h0: np.ndarray  # (N, H)
    hs: np.ndarray  # (T, N, H)
    gates: ChoGRUGates  # each field (T, N, H)
    W_ih: np.ndarray  # (3H, D)
    W_hh: np.ndarray  # (3H, H)


def _step(xw: np.ndarray, h_prev: np.ndarray, W_hh: np.ndarray, b_hh: np.ndarray):
    """New state from the input projection ``xw = x @ W_ih.T + b_ih`` (N, 3H) and ``h_prev`` (N, H)."""
    H = h_prev.shape[1]
    x_r, x_z, x_n = np.split(xw, 3, axis=-1)
    # r and z read the hidden state through the first 2H rows of W_hh, as in torch.nn ...
    h_rz = h_prev @ W_hh[: 2 * H].T + b_hh[: 2 * H]  # (N, 2H)
    r = sigmoid(x_r + h_rz[:, :H])
    z = sigmoid(x_z + h_rz[:, H:])
    # ... but the candidate's product has to wait for r: it multiplies the reset state.
    rh = r * h_prev  # (N, H)
    n = tanh(x_n + rh @ W_hh[2 * H :].T + b_hh[2 * H :])
    return (1.0 - z) * n + z * h_prev, ChoGRUGates(r, z, n, rh)


def _step_backward(dh: np.ndarray, h_prev: np.ndarray, gates: ChoGRUGates, W_hh: np.ndarray):
    """Gradients at the three pre-activations (N, 3H) and at ``h_prev`` (N, H), all paths summed.

    The pre-activation gradient is the same for the input and the hidden side of every gate
    (both are summed into one pre-activation); what differs from torch.nn's GRU is what
    ``W_hn`` multiplied, ``r * h_prev``, and the path from ``h_prev`` through it.
    """
    r, z, n, rh = gates
    H = h_prev.shape[1]
    da_n = dh * (1.0 - z) * tanh_grad_from_output(n)  # (N, H)
    da_z = dh * (h_prev - n) * sigmoid_grad_from_output(z)
    drh = da_n @ W_hh[2 * H :]  # (N, H): back through W_hn to r * h_prev
    da_r = drh * h_prev * sigmoid_grad_from_output(r)
    da = np.concatenate([da_r, da_z, da_n], axis=-1)  # (N, 3H)
    dh_prev = dh * z + drh * r + da[:, : 2 * H] @ W_hh[: 2 * H]
    return da, dh_prev


def _hidden_weight_grads(da: np.ndarray, h_prev: np.ndarray, rh: np.ndarray) -> np.ndarray:
    """dW_hh (3H, H) from pre-activation gradients (M, 3H), states (M, H) and r*h (M, H)."""
    H = h_prev.shape[1]
    return np.concatenate([da[:, : 2 * H].T @ h_prev, da[:, 2 * H :].T @ rh], axis=0)


def gru_cho_step_forward(x, h_prev, W_ih, W_hh, b_ih, b_hh):
    """One step of Cho et al.'s GRU (reset before the hidden projection).

    Args:
        x: (N, D) input; h_prev: (N, H) previous hidden state.
        W_ih: (3H, D), W_hh: (3H, H), b_ih: (3H,), b_hh: (3H,), gate order r, z, n.

    Returns:
        h: (N, H) and a :class:`ChoGRUStepCache`.
    """
    checker = check_layer("gru_cho_step_forward", 3, x, ("N", "D"), W_ih, W_hh, b_ih, b_hh)
    checker.array("h_prev", h_prev, ("N", "H"))
    h, gates = _step(x @ W_ih.T + b_ih, h_prev, W_hh, b_hh)
    return h, ChoGRUStepCache(x, h_prev, gates, W_ih, W_hh)


def gru_cho_step_backward(dh, cache: ChoGRUStepCache):
    """Backward of :func:`gru_cho_step_forward`.

    Args:
        dh: (N, H) gradient at this step's ``h``; cache: from the forward.

    Returns:
        dx (N, D), dh_prev (N, H), dW_ih (3H, D), dW_hh (3H, H), db_ih (3H,), db_hh (3H,).
    """
    N, H = cache.h_prev.shape
    ShapeChecker("gru_cho_step_backward", N=N, H=H).array("dh", dh, ("N", "H"))
    da, dh_prev = _step_backward(dh, cache.h_prev, cache.gates, cache.W_hh)
    db = da.sum(axis=0)
    return (
        da @ cache.W_ih,
        dh_prev,
        da.T @ cache.x,
        _hidden_weight_grads(da, cache.h_prev, cache.gates.rh),
        db,
        db.copy(),  # both biases add to the same pre-activations
    )


def gru_cho_forward(x, h0, W_ih, W_hh, b_ih, b_hh):
    """Run Cho et al.'s GRU over a whole sequence.

    Args:
        x: (T, N, D) inputs, time-major; h0: (N, H) initial state or None for zeros.
        W_ih: (3H, D), W_hh: (3H, H), b_ih: (3H,), b_hh: (3H,), gate order r, z, n.

    Returns:
        hs: (T, N, H) hidden states and a :class:`ChoGRUCache`.
    """
    checker = check_layer("gru_cho_forward", 3, x, ("T", "N", "D"), W_ih, W_hh, b_ih, b_hh)
    h0 = checker.optional_state("h0", h0, ("N", "H"), result_dtype(x, W_hh))
    T, N, D = x.shape
    H = W_hh.shape[1]
    xw = (x.reshape(T * N, D) @ W_ih.T).reshape(T, N, 3 * H) + b_ih  # (T, N, 3H), all steps at once
    hs = np.empty((T, N, H), dtype=xw.dtype)
    gates = ChoGRUGates(*(np.empty_like(hs) for _ in ChoGRUGates._fields))
    h = h0
    for t in range(T):
        h, step = _step(xw[t], h, W_hh, b_hh)
        hs[t] = h
        for store, value in zip(gates, step):
            store[t] = value
    return hs, ChoGRUCache(x, h0, hs, gates, W_ih, W_hh)


def gru_cho_backward(dhs, cache: ChoGRUCache):
    """Backpropagation through time for :func:`gru_cho_forward`.

    Args:
        dhs: (T, N, H) upstream gradient at every hidden state; cache: from the forward.

    Returns:
        dx (T, N, D), dh0 (N, H), dW_ih (3H, D), dW_hh (3H, H), db_ih (3H,), db_hh (3H,).
    """
    T, N, H = cache.hs.shape
    ShapeChecker("gru_cho_backward", T=T, N=N, H=H).array("dhs", dhs, ("T", "N", "H"))
    h_prevs = np.concatenate([cache.h0[None], cache.hs[:-1]])  # (T, N, H)
    das = np.empty((T, N, 3 * H), dtype=cache.hs.dtype)
    dh = np.zeros_like(cache.h0)  # carried from step t+1
    for t in reversed(range(T)):
        step_gates = ChoGRUGates(*(field[t] for field in cache.gates))
        das[t], dh = _step_backward(dhs[t] + dh, h_prevs[t], step_gates, cache.W_hh)
    da = das.reshape(T * N, 3 * H)
    db = da.sum(axis=0)
    return (
        (da @ cache.W_ih).reshape(cache.x.shape),
        dh,
        da.T @ cache.x.reshape(T * N, -1),
        _hidden_weight_grads(da, h_prevs.reshape(T * N, H), cache.gates.rh.reshape(T * N, H)),
        db,
        db.copy(),
    )
