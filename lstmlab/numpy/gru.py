"""The GRU in torch.nn's form: one step and a whole sequence, forward and BPTT.

Shapes: T time steps, N batch, D input size, H hidden size; sequences are
time-major ``(T, N, D)``.  Parameters follow torch.nn.GRU, gate order r, z, n:
``W_ih (3H, D)``, ``W_hh (3H, H)``, ``b_ih (3H,)``, ``b_hh (3H,)``, and

    r = sigmoid(W_ir x + b_ir + W_hr h + b_hr)          reset gate
    z = sigmoid(W_iz x + b_iz + W_hz h + b_hz)          update gate
    n = tanh(W_in x + b_in + r * (W_hn h + b_hn))       candidate: r acts *inside* the projection
    h_t = (1 - z) * n + z * h_{t-1}

Because r multiplies ``W_hn h + b_hn``, the input and hidden projections must be kept
apart: ``b_in`` and ``b_hn`` are not interchangeable and get different gradients.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .validate import ShapeChecker, check_layer, result_dtype
from .activations import sigmoid, sigmoid_grad_from_output, tanh, tanh_grad_from_output


class GRUGates(NamedTuple):
    """Activations of one step, each (N, H)."""

    r: np.ndarray  # reset gate
    z: np.ndarray  # update gate
    n: np.ndarray  # candidate state
    hn: np.ndarray  # W_hn h + b_hn, the hidden part of the candidate's pre-activation


class GRUStepCache(NamedTuple):
    x: np.ndarray  # (N, D)
    h_prev: np.ndarray  # (N, H)
    gates: GRUGates
    W_ih: np.ndarray  # (3H, D)
    W_hh: np.ndarray  # (3H, H)


class GRUCache(NamedTuple):
    x: np.ndarray  # (T, N, D)
    h0: np.ndarray  # (N, H)
    hs: np.ndarray  # (T, N, H)
    gates: GRUGates  # each field (T, N, H)
    W_ih: np.ndarray  # (3H, D)
    W_hh: np.ndarray  # (3H, H)


def _pointwise_forward(xw: np.ndarray, hw: np.ndarray, h_prev: np.ndarray):
    """New state from the input projection ``xw`` (N, 3H) and hidden projection ``hw`` (N, 3H)."""
    x_r, x_z, x_n = np.split(xw, 3, axis=-1)
    h_r, h_z, h_n = np.split(hw, 3, axis=-1)
    r = sigmoid(x_r + h_r)
    z = sigmoid(x_z + h_z)
    n = tanh(x_n + r * h_n)
    return (1.0 - z) * n + z * h_prev, GRUGates(r, z, n, h_n)


def _pointwise_backward(dh, h_prev, gates: GRUGates):
    """Gradients at the input projection (N, 3H), the hidden projection (N, 3H), and the
    direct path to ``h_prev`` (N, H) (the part that does not go through ``W_hh``)."""
    r, z, n, h_n = gates
    da_n = dh * (1.0 - z) * tanh_grad_from_output(n)  # at W_in x + b_in + r * h_n
    da_z = dh * (h_prev - n) * sigmoid_grad_from_output(z)
    da_r = da_n * h_n * sigmoid_grad_from_output(r)
    dxw = np.concatenate([da_r, da_z, da_n], axis=-1)
    dhw = np.concatenate([da_r, da_z, da_n * r], axis=-1)  # r scales the hidden candidate part
    return dxw, dhw, dh * z


def gru_step_forward(x, h_prev, W_ih, W_hh, b_ih, b_hh):
    """One GRU step.

    Args:
        x: (N, D) input at this step; h_prev: (N, H) previous hidden state.
        W_ih: (3H, D), W_hh: (3H, H), b_ih: (3H,), b_hh: (3H,), gate order r, z, n.

    Returns:
        h: (N, H) and a :class:`GRUStepCache`.
    """
    checker = check_layer("gru_step_forward", 3, x, ("N", "D"), W_ih, W_hh, b_ih, b_hh)
    checker.array("h_prev", h_prev, ("N", "H"))
    h, gates = _pointwise_forward(x @ W_ih.T + b_ih, h_prev @ W_hh.T + b_hh, h_prev)
    return h, GRUStepCache(x, h_prev, gates, W_ih, W_hh)


def gru_step_backward(dh, cache: GRUStepCache):
    """Backward of :func:`gru_step_forward`.

    Args:
        dh: (N, H) gradient at this step's ``h``; cache: from the forward.

    Returns:
        dx (N, D), dh_prev (N, H), dW_ih (3H, D), dW_hh (3H, H), db_ih (3H,), db_hh (3H,).
    """
    N, H = cache.h_prev.shape
    ShapeChecker("gru_step_backward", N=N, H=H).array("dh", dh, ("N", "H"))
    dxw, dhw, dh_direct = _pointwise_backward(dh, cache.h_prev, cache.gates)
    return (
        dxw @ cache.W_ih,
        dh_direct + dhw @ cache.W_hh,
        dxw.T @ cache.x,
        dhw.T @ cache.h_prev,
        dxw.sum(axis=0),
        dhw.sum(axis=0),
    )


def gru_forward(x, h0, W_ih, W_hh, b_ih, b_hh):
    """Run the GRU over a whole sequence.

    Args:
        x: (T, N, D) inputs, time-major; h0: (N, H) initial state or None for zeros.
        W_ih: (3H, D), W_hh: (3H, H), b_ih: (3H,), b_hh: (3H,), gate order r, z, n.

    Returns:
        hs: (T, N, H) hidden states and a :class:`GRUCache`.
    """
    checker = check_layer("gru_forward", 3, x, ("T", "N", "D"), W_ih, W_hh, b_ih, b_hh)
    h0 = checker.optional_state("h0", h0, ("N", "H"), result_dtype(x, W_hh))
    T, N, D = x.shape
    H = W_hh.shape[1]
    xw = (x.reshape(T * N, D) @ W_ih.T).reshape(T, N, 3 * H) + b_ih  # (T, N, 3H), all steps at once
    hs = np.empty((T, N, H), dtype=xw.dtype)
    gates = GRUGates(*(np.empty_like(hs) for _ in GRUGates._fields))
    h = h0
    for t in range(T):
        h, step = _pointwise_forward(xw[t], h @ W_hh.T + b_hh, h)
        hs[t] = h
        for store, value in zip(gates, step):
            store[t] = value
    return hs, GRUCache(x, h0, hs, gates, W_ih, W_hh)


def gru_backward(dhs, cache: GRUCache):
    """Backpropagation through time for :func:`gru_forward`.

    Args:
        dhs: (T, N, H) upstream gradient at every hidden state; cache: from the forward.

    Returns:
        dx (T, N, D), dh0 (N, H), dW_ih (3H, D), dW_hh (3H, H), db_ih (3H,), db_hh (3H,).
    """
    T, N, H = cache.hs.shape
    ShapeChecker("gru_backward", T=T, N=N, H=H).array("dhs", dhs, ("T", "N", "H"))
    h_prevs = np.concatenate([cache.h0[None], cache.hs[:-1]])  # (T, N, H)
    dxws = np.empty((T, N, 3 * H), dtype=cache.hs.dtype)
    dhws = np.empty_like(dxws)
    dh = np.zeros_like(cache.h0)  # carried from step t+1
    for t in reversed(range(T)):
        step_gates = GRUGates(*(field[t] for field in cache.gates))
        dxw, dhw, dh_direct = _pointwise_backward(dhs[t] + dh, h_prevs[t], step_gates)
        dxws[t], dhws[t] = dxw, dhw
        dh = dh_direct + dhw @ cache.W_hh
    dxw_flat = dxws.reshape(T * N, 3 * H)
    dhw_flat = dhws.reshape(T * N, 3 * H)
    dx = (dxw_flat @ cache.W_ih).reshape(cache.x.shape)
    dW_ih = dxw_flat.T @ cache.x.reshape(T * N, -1)
    dW_hh = dhw_flat.T @ h_prevs.reshape(T * N, H)
    return dx, dh, dW_ih, dW_hh, dxw_flat.sum(axis=0), dhw_flat.sum(axis=0)
