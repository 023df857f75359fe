"""The LSTM: one step and a whole sequence, forward and hand-written BPTT.

Shapes: T time steps, N batch, D input size, H hidden size; sequences are
time-major ``(T, N, D)``.  Parameters follow torch.nn.LSTM, gate order i, f, g, o:
``W_ih (4H, D)``, ``W_hh (4H, H)``, ``b_ih (4H,)``, ``b_hh (4H,)``, and

    a   = x_t @ W_ih.T + b_ih + h_{t-1} @ W_hh.T + b_hh        (N, 4H)
    i, f, o = sigmoid(a_i), sigmoid(a_f), sigmoid(a_o);  g = tanh(a_g)
    c_t = f * c_{t-1} + i * g
    h_t = o * tanh(c_t)
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .validate import ShapeChecker, check_layer, result_dtype
from .activations import sigmoid, sigmoid_grad_from_output, tanh, tanh_grad_from_output


class LSTMGates(NamedTuple):
    """Activations of one step, each (N, H)."""

    i: np.ndarray  # input gate
    f: np.ndarray  # forget gate
    g: np.ndarray  # candidate (cell input)
    o: np.ndarray  # output gate
    tanh_c: np.ndarray  # tanh of the new cell state


class LSTMStepCache(NamedTuple):
    x: np.ndarray  # (N, D)
    h_prev: np.ndarray  # (N, H)
    c_prev: np.ndarray  # (N, H)
    gates: LSTMGates
    W_ih: np.ndarray  # (4H, D)
    W_hh: np.ndarray  # (4H, H)


class LSTMCache(NamedTuple):
    x: np.ndarray  # (T, N, D)
    h0: np.ndarray  # (N, H)
    c0: np.ndarray  # (N, H)
    hs: np.ndarray  # (T, N, H)
    cs: np.ndarray  # (T, N, H)
    gates: LSTMGates  # each field (T, N, H)
    W_ih: np.ndarray  # (4H, D)
    W_hh: np.ndarray  # (4H, H)


def _gate_blocks(a: np.ndarray):
    """The four (..., H) blocks i, f, g, o of a (..., 4H) array, as views (np.split costs more)."""
    H = a.shape[-1] // 4
    return a[..., :H], a[..., H : 2 * H], a[..., 2 * H : 3 * H], a[..., 3 * H :]


def _pointwise_forward(a: np.ndarray, c_prev: np.ndarray, out=None):
    """Gates and new states from the pre-activation ``a`` (N, 4H) and ``c_prev`` (N, H).

    ``out``, optional, is ``(h, c, gates)`` with every array (N, H): where to write the
    results. The sequence forward passes slices of its caches, so nothing is copied per step.
    """
    if out is None:
        h, c, *gates = np.empty((7,) + c_prev.shape, dtype=np.result_type(a, c_prev))
        out = h, c, LSTMGates(*gates)
    h, c, (i, f, g, o, tanh_c) = out
    a_i, a_f, a_g, a_o = _gate_blocks(a)
    sigmoid(a_i, out=i), sigmoid(a_f, out=f), tanh(a_g, out=g), sigmoid(a_o, out=o)
    np.multiply(f, c_prev, out=c)
    c += i * g  # c = f * c_prev + i * g
    tanh(c, out=tanh_c)
    np.multiply(o, tanh_c, out=h)  # h = o * tanh(c)
    return out


def _pointwise_backward(dh, dc, c_prev, gates: LSTMGates, da=None):
    """Gradient at the pre-activation (N, 4H) and at ``c_prev`` (N, H).

    ``dc`` is the gradient carried along the cell state from the next step; the
    gradient arriving at ``h`` reaches ``c`` through ``o * tanh(c)`` and adds to it.
    ``da``, if given, is the (N, 4H) array the gradient is written into.
    """
    i, f, g, o, tanh_c = gates
    dc = dc + dh * o * tanh_grad_from_output(tanh_c)  # total gradient at c_t
    if da is None:
        da = np.empty(dh.shape[:-1] + (4 * dh.shape[-1],), dtype=dc.dtype)
    da_i, da_f, da_g, da_o = _gate_blocks(da)  # views: written in place, in order i, f, g, o
    np.multiply(dc * g, sigmoid_grad_from_output(i), out=da_i)  # dc/di = g
    np.multiply(dc * c_prev, sigmoid_grad_from_output(f), out=da_f)  # dc/df = c_{t-1}
    np.multiply(dc * i, tanh_grad_from_output(g), out=da_g)  # dc/dg = i
    np.multiply(dh * tanh_c, sigmoid_grad_from_output(o), out=da_o)  # dh/do = tanh(c_t)
    return da, dc * f  # the constant error carousel: dc_{t-1} = dc_t * f_t


def lstm_step_forward(x, h_prev, c_prev, W_ih, W_hh, b_ih, b_hh):
    """One LSTM step.

    Args:
        x: (N, D) input at this step.
        h_prev: (N, H) previous hidden state; c_prev: (N, H) previous cell state.
        W_ih: (4H, D), W_hh: (4H, H), b_ih: (4H,), b_hh: (4H,), gate order i, f, g, o.

    Returns:
        h: (N, H), c: (N, H), and an :class:`LSTMStepCache`.
    """
    checker = check_layer("lstm_step_forward", 4, x, ("N", "D"), W_ih, W_hh, b_ih, b_hh)
    checker.array("h_prev", h_prev, ("N", "H"))
    checker.array("c_prev", c_prev, ("N", "H"))
    a = x @ W_ih.T + b_ih + h_prev @ W_hh.T + b_hh  # (N, 4H)
    h, c, gates = _pointwise_forward(a, c_prev)
    return h, c, LSTMStepCache(x, h_prev, c_prev, gates, W_ih, W_hh)


def lstm_step_backward(dh, dc, cache: LSTMStepCache):
    """Backward of :func:`lstm_step_forward`.

    Args:
        dh: (N, H) gradient at this step's ``h``; dc: (N, H) gradient at its ``c``.
        cache: from the forward.

    Returns:
        dx (N, D), dh_prev (N, H), dc_prev (N, H), dW_ih (4H, D), dW_hh (4H, H),
        db_ih (4H,), db_hh (4H,).
    """
    N, H = cache.c_prev.shape
    checker = ShapeChecker("lstm_step_backward", N=N, H=H)
    checker.array("dh", dh, ("N", "H"))
    checker.array("dc", dc, ("N", "H"))
    da, dc_prev = _pointwise_backward(dh, dc, cache.c_prev, cache.gates)  # (N, 4H), (N, H)
    db = da.sum(axis=0)
    return da @ cache.W_ih, da @ cache.W_hh, dc_prev, da.T @ cache.x, da.T @ cache.h_prev, db, db.copy()


def lstm_forward(x, h0, c0, W_ih, W_hh, b_ih, b_hh):
    """Run the LSTM over a whole sequence.

    Args:
        x: (T, N, D) inputs, time-major.
        h0, c0: (N, H) initial hidden and cell states, or None for zeros.
        W_ih: (4H, D), W_hh: (4H, H), b_ih: (4H,), b_hh: (4H,), gate order i, f, g, o.

    Returns:
        hs: (T, N, H) hidden states, cs: (T, N, H) cell states, and an :class:`LSTMCache`.
    """
    checker = check_layer("lstm_forward", 4, x, ("T", "N", "D"), W_ih, W_hh, b_ih, b_hh)
    dtype = result_dtype(x, W_hh)
    h0 = checker.optional_state("h0", h0, ("N", "H"), dtype)
    c0 = checker.optional_state("c0", c0, ("N", "H"), dtype)
    T, N, D = x.shape
    H = W_hh.shape[1]
    # The input projection does not depend on h: one matrix product for all T steps.
    xw = (x.reshape(T * N, D) @ W_ih.T).reshape(T, N, 4 * H)  # (T, N, 4H)
    xw += b_ih + b_hh  # in place: no second (T, N, 4H) array
    hs = np.empty((T, N, H), dtype=xw.dtype)
    cs = np.empty_like(hs)
    gates = LSTMGates(*np.empty((5, T, N, H), dtype=xw.dtype))  # each (T, N, H), contiguous
    h, c = h0, c0
    for t in range(T):
        xw[t] += h @ W_hh.T  # the pre-activation a_t
        step_gates = LSTMGates(*(field[t] for field in gates))
        h, c, _ = _pointwise_forward(xw[t], c, out=(hs[t], cs[t], step_gates))
    return hs, cs, LSTMCache(x, h0, c0, hs, cs, gates, W_ih, W_hh)


def lstm_backward(dhs, cache: LSTMCache):
    """Backpropagation through time for :func:`lstm_forward`.

    Args:
        dhs: (T, N, H) upstream gradient at every hidden state (zeros where the loss
            does not look at a step).
        cache: from the forward.

    Returns:
        dx (T, N, D), dh0 (N, H), dc0 (N, H), dW_ih (4H, D), dW_hh (4H, H),
        db_ih (4H,), db_hh (4H,).
    """
    T, N, H = cache.hs.shape
    ShapeChecker("lstm_backward", T=T, N=N, H=H).array("dhs", dhs, ("T", "N", "H"))
    c_prevs = np.concatenate([cache.c0[None], cache.cs[:-1]])  # (T, N, H)
    das = np.empty((T, N, 4 * H), dtype=cache.hs.dtype)  # gradient at every pre-activation
    dh = np.zeros_like(cache.h0)  # carried along h from step t+1
    dc = np.zeros_like(cache.c0)  # carried along c from step t+1
    for t in reversed(range(T)):
        step_gates = LSTMGates(*(field[t] for field in cache.gates))
        _, dc = _pointwise_backward(dhs[t] + dh, dc, c_prevs[t], step_gates, da=das[t])
        dh = das[t] @ cache.W_hh  # (N, H)
    # The weights are shared across steps: their gradients are sums over t, done as one product.
    h_prevs = np.concatenate([cache.h0[None], cache.hs[:-1]])  # (T, N, H)
    flat = das.reshape(T * N, 4 * H)
    dW_ih = flat.T @ cache.x.reshape(T * N, -1)
    dW_hh = flat.T @ h_prevs.reshape(T * N, H)
    dx = (flat @ cache.W_ih).reshape(cache.x.shape)
    db = flat.sum(axis=0)
    return dx, dh, dc, dW_ih, dW_hh, db, db.copy()
