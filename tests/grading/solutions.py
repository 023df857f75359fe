"""Learner-style code for the grading tests: the notebooks' own solutions, and typical mistakes.

The correct functions are taken from the instructor notebooks (their solution cells are
executed here), so these tests also pin the notebooks' solutions to the checks.  The wrong
ones are written the way a learner would write them, each with one mistake.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
import numpy as np

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"

_CELLS = {
    "rnn": ("setup", "rnn_step_forward", "rnn_step_backward", "rnn_forward", "rnn_backward"),
    "lstm": ("lstm_step_forward", "lstm_step_backward", "lstm_forward", "lstm_backward"),
    "gradients": ("hidden_grad_norms", "clip_grad_norm", "clip_grad_value"),
    "pytorch": ("lstm_module",),
}


def solutions(assignment: str, replace=None) -> dict:
    """Namespace after running the setup-free solution cells of an instructor notebook
    (``replace``: grade_id -> a learner's source for that cell instead)."""
    nb = nbformat.read(NOTEBOOKS / assignment / f"{assignment}.ipynb", as_version=4)
    by_id = {c.metadata.get("nbgrader", {}).get("grade_id"): c for c in nb.cells}
    namespace = {"np": np}
    if assignment == "pytorch":
        import math

        import torch
        from torch import nn

        namespace.update(torch=torch, nn=nn, math=math)
    for grade_id in _CELLS[assignment]:
        source = (replace or {}).get(grade_id, by_id[grade_id].source)
        exec(compile(source, f"<{assignment}:{grade_id}>", "exec"), namespace)
    return namespace


RNN = solutions("rnn")
LSTM = solutions("lstm")
GRADIENTS = solutions("gradients")


# ----------------------------------------------------------------- typical mistakes

def sigmoid_naive(a):
    return 1.0 / (1.0 + np.exp(-a))  # overflows (with a warning) for a < -709


def lstm_step_forward_ifog(x, h_prev, c_prev, W_ih, W_hh, b_ih, b_hh):
    """Gate order i, f, o, g (as in some other courses)."""
    H = h_prev.shape[1]
    a = x @ W_ih.T + b_ih + h_prev @ W_hh.T + b_hh
    i, f, o = sigmoid_naive(a[:, :H]), sigmoid_naive(a[:, H:2 * H]), sigmoid_naive(a[:, 2 * H:3 * H])
    g = np.tanh(a[:, 3 * H:])
    c = f * c_prev + i * g
    return o * np.tanh(c), c, None


def lstm_forward_no_tanh(x, h0, c0, W_ih, W_hh, b_ih, b_hh):
    """h = o * c: the tanh on the cell state is missing."""
    H = h0.shape[1]
    hs, cs = np.zeros((x.shape[0],) + h0.shape), np.zeros((x.shape[0],) + h0.shape)
    h, c = h0, c0
    for t in range(x.shape[0]):
        a = x[t] @ W_ih.T + b_ih + h @ W_hh.T + b_hh
        i, f, o = LSTM["sigmoid"](a[:, :H]), LSTM["sigmoid"](a[:, H:2 * H]), LSTM["sigmoid"](a[:, 3 * H:])
        c = f * c + i * np.tanh(a[:, 2 * H:3 * H])
        h = o * c
        hs[t], cs[t] = h, c
    return hs, cs, None


def lstm_backward_no_dc_carry(dhs, cache):
    """The gradient along the cell state is not carried from step t+1 to step t."""
    T = dhs.shape[0]
    W_ih, W_hh = cache[0][8], cache[0][9]
    dx = np.zeros((T,) + cache[0][0].shape)
    dW_ih, dW_hh, db = np.zeros_like(W_ih), np.zeros_like(W_hh), np.zeros(W_hh.shape[0])
    dh = np.zeros_like(dhs[0])
    dc = np.zeros_like(dhs[0])
    for t in reversed(range(T)):
        dx[t], dh, dc, dWi, dWh, dbi, _ = LSTM["lstm_step_backward"](dhs[t] + dh, np.zeros_like(dh), cache[t])
        dW_ih, dW_hh, db = dW_ih + dWi, dW_hh + dWh, db + dbi
    return dx, dh, dc, dW_ih, dW_hh, db, db.copy()


def rnn_forward_batch_major(x, h0, W_ih, W_hh, b_ih, b_hh):
    """Loops over axis 1, as if x were (N, T, D)."""
    N, T = x.shape[0], x.shape[1]
    hs = np.zeros((N, T, W_hh.shape[0]))
    h = h0
    for t in range(T):
        h = np.tanh(x[:, t] @ W_ih.T + b_ih + h @ W_hh.T + b_hh)
        hs[:, t] = h
    return hs, None


def rnn_step_backward_no_whh(dh, cache):
    """dh_prev = da: the W_hh factor is missing."""
    dx, dh_prev, dW_ih, dW_hh, db_ih, db_hh = RNN["rnn_step_backward"](dh, cache)
    x, h_prev, h, W_ih, W_hh = cache
    return dx, dh * (1 - h * h), dW_ih, dW_hh, db_ih, db_hh


def rnn_backward_no_sum(dhs, cache):
    """Weight gradients assigned, not accumulated, at every step."""
    T = dhs.shape[0]
    dx = np.zeros((T,) + cache[0][0].shape)
    dh = np.zeros_like(dhs[0])
    for t in reversed(range(T)):
        dx[t], dh, dW_ih, dW_hh, db_ih, db_hh = RNN["rnn_step_backward"](dhs[t] + dh, cache[t])
    return dx, dh, dW_ih, dW_hh, db_ih, db_hh
