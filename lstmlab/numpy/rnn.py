"""The vanilla (Elman) tanh RNN: one step and a whole sequence, forward and BPTT.

Shapes: T time steps, N batch, D input size, H hidden size; sequences are
time-major ``(T, N, D)``.  Parameters follow torch.nn.RNN: ``W_ih (H, D)``,
``W_hh (H, H)``, ``b_ih (H,)``, ``b_hh (H,)``, and

    h_t = tanh(x_t @ W_ih.T + b_ih + h_{t-1} @ W_hh.T + b_hh)
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .validate import ShapeChecker, check_layer, result_dtype
from .activations import tanh, tanh_grad_from_output


class RNNStepCache(NamedTuple):
    x: np.ndarray  # (N, D)
    h_prev: np.ndarray  # (N, H)
    h: np.ndarray  # (N, H) the output, which also gives tanh' = 1 - h^2
    W_ih: np.ndarray  # (H, D)
    W_hh: np.ndarray  # (H, H)


class RNNCache(NamedTuple):
    x: np.ndarray  # (T, N, D)
    h0: np.ndarray  # (N, H)
    hs: np.ndarray  # (T, N, H)
    W_ih: np.ndarray  # (H, D)
    W_hh: np.ndarray  # (H, H)


def rnn_step_forward(x, h_prev, W_ih, W_hh, b_ih, b_hh):
    """One RNN step.

    Args:
        x: (N, D) input at this step.
        h_prev: (N, H) previous hidden state.
        W_ih: (H, D), W_hh: (H, H), b_ih: (H,), b_hh: (H,).

    Returns:
        h: (N, H) the new hidden state, and a :class:`RNNStepCache`.
    """
    checker = check_layer("rnn_step_forward", 1, x, ("N", "D"), W_ih, W_hh, b_ih, b_hh)
    checker.array("h_prev", h_prev, ("N", "H"))
    h = tanh(x @ W_ih.T + b_ih + h_prev @ W_hh.T + b_hh)  # (N, H)
    return h, RNNStepCache(x, h_prev, h, W_ih, W_hh)


def rnn_step_backward(dh, cache: RNNStepCache):
    """Backward of :func:`rnn_step_forward`.

    Args:
        dh: (N, H) gradient of the loss with respect to this step's output ``h``.
        cache: from the forward.

    Returns:
        dx (N, D), dh_prev (N, H), dW_ih (H, D), dW_hh (H, H), db_ih (H,), db_hh (H,).
    """
    ShapeChecker("rnn_step_backward", N=cache.h.shape[0], H=cache.h.shape[1]).array("dh", dh, ("N", "H"))
    da = dh * tanh_grad_from_output(cache.h)  # (N, H) gradient at the pre-activation
    db = da.sum(axis=0)  # b_ih and b_hh enter the sum identically
    return da @ cache.W_ih, da @ cache.W_hh, da.T @ cache.x, da.T @ cache.h_prev, db, db.copy()


def rnn_forward(x, h0, W_ih, W_hh, b_ih, b_hh):
    """Run the RNN over a whole sequence.

    Args:
        x: (T, N, D) inputs, time-major.
        h0: (N, H) initial hidden state, or None for zeros.
        W_ih: (H, D), W_hh: (H, H), b_ih: (H,), b_hh: (H,).

    Returns:
        hs: (T, N, H) the hidden state at every step, and an :class:`RNNCache`.
    """
    checker = check_layer("rnn_forward", 1, x, ("T", "N", "D"), W_ih, W_hh, b_ih, b_hh)
    h0 = checker.optional_state("h0", h0, ("N", "H"), result_dtype(x, W_hh))
    T, N, D = x.shape
    # The input projection does not depend on h: one matrix product for all T steps.
    xw = (x.reshape(T * N, D) @ W_ih.T).reshape(T, N, -1) + (b_ih + b_hh)  # (T, N, H)
    hs = np.empty_like(xw)
    h = h0
    for t in range(T):
        h = tanh(xw[t] + h @ W_hh.T)  # (N, H)
        hs[t] = h
    return hs, RNNCache(x, h0, hs, W_ih, W_hh)


def rnn_backward(dhs, cache: RNNCache):
    """Backpropagation through time for :func:`rnn_forward`.

    Args:
        dhs: (T, N, H) upstream gradient of the loss at every hidden state (zeros where
            the loss does not look at a step).
        cache: from the forward.

    Returns:
        dx (T, N, D), dh0 (N, H), dW_ih (H, D), dW_hh (H, H), db_ih (H,), db_hh (H,).
    """
    T, N, H = cache.hs.shape
    ShapeChecker("rnn_backward", T=T, N=N, H=H).array("dhs", dhs, ("T", "N", "H"))
    das = np.empty_like(cache.hs)  # (T, N, H) gradient at every pre-activation
    dh = np.zeros_like(cache.h0)  # gradient arriving from step t+1
    for t in reversed(range(T)):
        da = (dhs[t] + dh) * tanh_grad_from_output(cache.hs[t])
        das[t] = da
        dh = da @ cache.W_hh  # (N, H) carried to step t-1
    # Weight gradients summed over all steps as single products (the weights are shared).
    h_prevs = np.concatenate([cache.h0[None], cache.hs[:-1]])  # (T, N, H)
    flat = das.reshape(T * N, H)
    dW_ih = flat.T @ cache.x.reshape(T * N, -1)
    dW_hh = flat.T @ h_prevs.reshape(T * N, H)
    dx = (flat @ cache.W_ih).reshape(cache.x.shape)
    db = flat.sum(axis=0)
    return dx, dh, dW_ih, dW_hh, db, db.copy()
