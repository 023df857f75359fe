"""Truncated backpropagation through time, BPTT(k2; k1) of Williams and Peng (1990).

Shapes: T time steps, N batch, D input size, H hidden size, G gate blocks (RNN 1, GRU 3,
LSTM 4); sequences are time-major ``(T, N, D)`` and parameters follow ``lstmlab.numpy``
(torch.nn's layout).

Full BPTT sends the gradient of every step's loss back to step 1.  Truncated BPTT runs the
forward pass over the whole sequence as usual (the state is carried from step to step),
but every ``k1`` steps it sends the gradients of the losses of those last ``k1`` steps back
through only the last ``k2`` steps, and treats the state ``k2`` steps back as a constant.
Two settings matter in practice:

* ``k1 == k2 == k``: split the sequence into chunks of ``k`` steps and backpropagate within
  each chunk only -- what ``h = h.detach()`` between chunks does in PyTorch code.  A loss at
  the end of a chunk sees ``k`` steps of history, one at the start of a chunk sees only 1.
* ``k1 == 1``: every loss sees exactly ``k2`` steps of history (a sliding window); costs
  ``T * k2`` backward steps instead of ``T``.

A pass whose losses start at step ``s`` reaches back to step ``s + k1 - k2`` (so a short last
block is a short chunk); when every pass reaches step 0 -- ``k1 = k2 = T``, or ``k1 = 1`` and
``k2 = T`` -- the result is the full BPTT gradient exactly, which the tests check.  The
difference for smaller ``k2`` is the *truncation bias*: the part of the gradient carried by
dependencies longer than ``k2`` steps is dropped, not averaged out.
"""

from __future__ import annotations

import numpy as np

from lstmlab.numpy import (
    gru_backward,
    gru_forward,
    lstm_backward,
    lstm_forward,
    rnn_backward,
    rnn_forward,
)
from lstmlab.errors import ShapeChecker, argument_error
from lstmlab.numpy.params import GATES

__all__ = ["PARAM_NAMES", "full_bptt", "truncated_bptt"]

PARAM_NAMES = ("W_ih", "W_hh", "b_ih", "b_hh")


def _check_kind(where: str, kind) -> None:
    if kind not in GATES:
        raise argument_error(where, "kind", f"must be one of {sorted(GATES)}, got {kind!r}",
                             "the kind names the recurrent layer whose parameters you pass")


def _check_window(k2, k1, T: int) -> tuple[int, int]:
    for name, value in (("k2", k2), ("k1", k1)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise argument_error(
                "truncated_bptt", name, f"must be a positive int (a number of time steps), got {value!r}",
                "k2 is how far back each gradient travels, k1 how often a backward pass runs; "
                "k1 = k2 = k splits the sequence into chunks",
            )
    if k1 > k2:
        raise argument_error(
            "truncated_bptt", "k1",
            f"(= {k1}) must not exceed 'k2' (= {k2}): with k1 > k2 the losses of the oldest "
            f"k1 - k2 steps of each block would not reach the step that produced them",
            f"use k1 = k2 for chunks, k1 = 1 for a sliding window; T = {T} here",
        )
    return int(k2), int(k1)


def _run(kind: str, params: dict, x: np.ndarray, state: tuple):
    """Forward over ``x`` (t, N, D) from ``state``; returns (hs, final state, cache)."""
    W = [params[name] for name in PARAM_NAMES]
    if kind == "lstm":
        hs, cs, cache = lstm_forward(x, state[0], state[1], *W)
        return hs, (hs[-1], cs[-1]), cache
    forward = rnn_forward if kind == "rnn" else gru_forward
    hs, cache = forward(x, state[0], *W)
    return hs, (hs[-1],), cache


def _backward(kind: str, dhs: np.ndarray, cache) -> tuple[np.ndarray, ...]:
    """Parameter gradients (W_ih, W_hh, b_ih, b_hh) of one window; its start state is a constant."""
    backward = {"rnn": rnn_backward, "lstm": lstm_backward, "gru": gru_backward}[kind]
    grads = backward(dhs, cache)
    return grads[-4:]  # the last four are always dW_ih, dW_hh, db_ih, db_hh


def _validate(where, kind, params, x, dhs, h0, c0) -> tuple:
    _check_kind(where, kind)
    if not isinstance(params, dict) or set(PARAM_NAMES) - set(params):
        got = sorted(params) if isinstance(params, dict) else type(params).__name__
        raise argument_error(where, "params", f"must be a dict with keys {list(PARAM_NAMES)}, got {got}",
                             "build it with lstmlab.numpy.init_params(kind, D, H, seed)")
    G = GATES[kind]
    gh = f"{G}H" if G > 1 else "H"
    checker = ShapeChecker(where)
    checker.array("x", x, ("T", "N", "D"))
    checker.array("W_hh", params["W_hh"], (gh, "H"), hint=f"a {kind} has G = {G} gate blocks")
    checker.array("W_ih", params["W_ih"], (gh, "D"), hint=f"a {kind} has G = {G} gate blocks")
    checker.array("dhs", dhs, ("T", "N", "H"), hint="dhs is dL/dh_t at every step, zeros where no loss looks")
    dtype = np.result_type(x, params["W_hh"])
    h0 = checker.optional_state("h0", h0, ("N", "H"), dtype)
    if kind == "lstm":
        return (h0, checker.optional_state("c0", c0, ("N", "H"), dtype))
    if c0 is not None:
        raise argument_error(where, "c0", f"is only for kind='lstm', got kind={kind!r} and an array",
                             f"a {kind} has no cell state; leave c0=None")
    return (h0,)


def truncated_bptt(kind: str, params: dict, x, dhs, k2: int, k1: int | None = None, h0=None, c0=None) -> dict:
    """Parameter gradients by BPTT(k2; k1): every ``k1`` steps, backpropagate ``k2`` steps.

    Args:
        kind: "rnn", "lstm" or "gru".
        params: ``{"W_ih" (G*H, D), "W_hh" (G*H, H), "b_ih" (G*H,), "b_hh" (G*H,)}``.
        x: (T, N, D) inputs.
        dhs: (T, N, H) gradient of the loss at each hidden state (zeros where no loss looks).
        k2: how many steps back each loss's gradient travels (the truncation length).
        k1: how many steps between backward passes, 1 <= k1 <= k2; default ``k2`` (chunks).
        h0, c0: (N, H) initial states or None for zeros (``c0`` for an LSTM only).

    Returns:
        dict of gradients with the keys and shapes of ``params``.  With ``k2 >= T`` and ``k1``
        equal to 1 or to ``k2``, this is the full BPTT gradient.
    """
    where = "truncated_bptt"
    state = _validate(where, kind, params, x, dhs, h0, c0)
    T = x.shape[0]
    k2, k1 = _check_window(k2, k1 if k1 is not None else k2, T)
    # One forward over the whole sequence gives the state at every step: a window that starts
    # at step s restarts from it (the same values, but no gradient flows into them).
    hs, _, cache = _run(kind, params, x, state)
    if kind == "lstm":
        cs = cache.cs
        states = [state] + [(hs[t], cs[t]) for t in range(T)]  # states[s] = state before step s
    else:
        states = [state] + [(hs[t],) for t in range(T)]
    grads = {name: np.zeros_like(params[name]) for name in PARAM_NAMES}
    for first_loss in range(0, T, k1):
        end = min(first_loss + k1, T)  # this pass handles the losses at steps first_loss..end-1
        # ...and sends them back to step `start` at most, measured from the block's nominal
        # end, so that a short last block is a short chunk (as with detach between chunks).
        start = max(0, first_loss + k1 - k2)
        if not np.any(dhs[first_loss:end]):
            continue  # no loss in this block: its window would contribute exactly zero
        _, _, window = _run(kind, params, x[start:end], states[start])
        window_dhs = np.zeros_like(dhs[start:end])
        window_dhs[first_loss - start :] = dhs[first_loss:end]
        for name, g in zip(PARAM_NAMES, _backward(kind, window_dhs, window)):
            grads[name] += g
    return grads


def full_bptt(kind: str, params: dict, x, dhs, h0=None, c0=None) -> dict:
    """Parameter gradients by full BPTT (a dict like ``params``); same arguments as :func:`truncated_bptt`."""
    where = "full_bptt"
    state = _validate(where, kind, params, x, dhs, h0, c0)
    _, _, cache = _run(kind, params, x, state)
    return dict(zip(PARAM_NAMES, _backward(kind, dhs, cache)))
