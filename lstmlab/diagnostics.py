"""Gradient-flow measurements: how much of a loss's gradient reaches each earlier time step.

Shapes: T time steps, N batch, D input size, H hidden size, S state size (H for the RNN and
the GRU; 2H for the LSTM, whose state is ``[h, c]``).  Sequences are time-major ``(T, N, D)``;
``params`` is a dict ``{"W_ih", "W_hh", "b_ih", "b_hh"}`` in torch.nn's layout, as made by
:func:`lstmlab.numpy.init_params`; ``kind`` is ``"rnn"``, ``"lstm"`` or ``"gru"``.

Everything here is measured with the reference step functions of :mod:`lstmlab.numpy`, run
forward step by step and then backward step by step, so every intermediate gradient can be
recorded.  Two views of the same phenomenon:

* :func:`hidden_gradient_norms` (and :func:`cell_gradient_norms`, :func:`state_gradients`):
  put a gradient on the last hidden state and record ``||dL/dh_t||`` at every step as BPTT
  carries it back -- what the weight update actually receives from each step.
* :func:`step_jacobians` and :func:`jacobian_product_norms`: the matrices
  ``J_t = d s_t / d s_{t-1}`` and the norms of their products, whose growth or decay over
  ``k`` steps makes gradients explode or vanish (for the tanh RNN,
  ``J_t = diag(1 - h_t^2) W_hh``).  :func:`spectral_radius` and
  :func:`scale_to_spectral_radius` set up the classic experiment.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from lstmlab.numpy import (
    gru_step_backward,
    gru_step_forward,
    lstm_step_backward,
    lstm_step_forward,
    rnn_step_backward,
    rnn_step_forward,
)
from lstmlab.errors import ShapeChecker, argument_error, check_layer
from lstmlab.numpy.activations import tanh_grad_from_output
from lstmlab.numpy.params import GATES

__all__ = [
    "StateGradients",
    "cell_gradient_norms",
    "hidden_gradient_norms",
    "jacobian_product_norms",
    "scale_to_spectral_radius",
    "spectral_radius",
    "state_gradients",
    "step_jacobians",
]

_PARAM_NAMES = ("W_ih", "W_hh", "b_ih", "b_hh")


def _layer(where: str, kind, params, x, h0, c0):
    """Validate ``kind``, ``params``, ``x`` and the initial states; return them ready to use."""
    if kind not in GATES:
        raise argument_error(
            where,
            "kind",
            f"must be one of {sorted(GATES)}, got {kind!r}",
            "'rnn' is the tanh RNN; 'lstm' and 'gru' are the gated cells",
        )
    if not isinstance(params, dict) or set(_PARAM_NAMES) - set(params):
        got = sorted(params) if isinstance(params, dict) else type(params).__name__
        raise argument_error(
            where,
            "params",
            f"must be a dict with keys {list(_PARAM_NAMES)}, got {got}",
            f"make one with lstmlab.numpy.init_params({kind!r}, D, H, seed)",
        )
    W_ih, W_hh, b_ih, b_hh = (params[k] for k in _PARAM_NAMES)
    checker = check_layer(where, GATES[kind], x, ("T", "N", "D"), W_ih, W_hh, b_ih, b_hh)
    h0 = checker.optional_state("h0", h0, ("N", "H"), np.float64)
    if kind == "lstm":
        c0 = checker.optional_state("c0", c0, ("N", "H"), np.float64)
    elif c0 is not None:
        raise argument_error(
            where,
            "c0",
            f"is only for the LSTM, got an array for kind={kind!r}",
            "the RNN and the GRU have no cell state; drop c0",
        )
    return (W_ih, W_hh, b_ih, b_hh), checker, h0, c0


def _forward_steps(kind, weights, x, h0, c0):
    """Run the step forward over the sequence; return the step caches (a list of T)."""
    caches = []
    h, c = h0, c0
    for t in range(x.shape[0]):
        if kind == "rnn":
            h, cache = rnn_step_forward(x[t], h, *weights)
        elif kind == "gru":
            h, cache = gru_step_forward(x[t], h, *weights)
        else:
            h, c, cache = lstm_step_forward(x[t], h, c, *weights)
        caches.append(cache)
    return caches


class StateGradients(NamedTuple):
    """Gradients of the loss at every state, as BPTT computes them.

    dh : (T, N, H) total ``dL/dh_t``: the upstream gradient at step t plus what flows back
        from step t+1.
    dc : (T, N, H) total ``dL/dc_t`` for the LSTM (including the path through
        ``h_t = o_t * tanh(c_t)``), else None.
    dh0 : (N, H) ``dL/dh_0`` for the initial state (equals ``*_backward``'s ``dh0``).
    dc0 : (N, H) ``dL/dc_0`` for the LSTM, else None.
    """

    dh: np.ndarray
    dc: np.ndarray | None
    dh0: np.ndarray
    dc0: np.ndarray | None


def _upstream(where, checker, loss_at, upstream, T, N, H):
    """The (T, N, H) upstream gradient ``dhs`` for the chosen loss position."""
    if isinstance(loss_at, (int, np.integer)) and not isinstance(loss_at, bool):
        if not -T <= loss_at < T:
            raise argument_error(
                where,
                "loss_at",
                f"must be a step in [-T, T) = [{-T}, {T}), got {loss_at}",
                "use 'last', 'all' or a step index",
            )
        steps = [int(loss_at) % T]
    elif loss_at == "last":
        steps = [T - 1]
    elif loss_at == "all":
        steps = list(range(T))
    else:
        raise argument_error(
            where,
            "loss_at",
            f"must be 'last', 'all' or a step index, got {loss_at!r}",
            "'last' puts the gradient on h at the final step only (a loss read at the end)",
        )
    dhs = np.zeros((T, N, H))
    if upstream is None:
        # A fixed unit vector per sequence: the recorded norms are then pure gains.
        dhs[steps] = 1.0 / np.sqrt(H)
    elif loss_at == "all":
        dhs[:] = checker.array("upstream", upstream, ("T", "N", "H"),
                               hint="with loss_at='all', one (N, H) gradient per step")
    else:
        dhs[steps] = checker.array("upstream", upstream, ("N", "H"),
                                   hint="the gradient of the loss with respect to h at that step")
    return dhs


def state_gradients(kind, params, x, h0=None, c0=None, *, loss_at="last", upstream=None):
    """``dL/dh_t`` (and ``dL/dc_t`` for the LSTM) at every step, by step-by-step BPTT.

    Parameters
    ----------
    kind : "rnn", "lstm" or "gru"
    params : dict with W_ih, W_hh, b_ih, b_hh (torch.nn layout)
    x : (T, N, D) inputs
    h0, c0 : (N, H) initial states, or None for zeros (c0: LSTM only)
    loss_at : "last" (the loss reads ``h`` at the final step only, the default), "all" (at
        every step), or an int step index
    upstream : the gradient the loss puts on ``h``: ``(N, H)`` (``(T, N, H)`` with
        ``loss_at="all"``); None puts the unit vector ``ones(H) / sqrt(H)`` on every sequence

    Returns
    -------
    :class:`StateGradients`
    """
    return _state_gradients("state_gradients", kind, params, x, h0, c0, loss_at, upstream)


def _state_gradients(where, kind, params, x, h0, c0, loss_at, upstream) -> StateGradients:
    """:func:`state_gradients`, its errors naming ``where`` (the public function called)."""
    weights, checker, h0, c0 = _layer(where, kind, params, x, h0, c0)
    T, N, _ = x.shape
    H = weights[1].shape[1]
    dhs = _upstream(where, checker, loss_at, upstream, T, N, H)
    caches = _forward_steps(kind, weights, x, h0, c0)

    dh_all = np.empty((T, N, H))
    dc_all = np.empty((T, N, H)) if kind == "lstm" else None
    dh_carry = np.zeros((N, H))  # arriving at h_t from step t+1
    dc_carry = np.zeros((N, H))  # arriving at c_t from step t+1 (LSTM)
    for t in reversed(range(T)):
        dh = dhs[t] + dh_carry
        dh_all[t] = dh
        cache = caches[t]
        if kind == "rnn":
            _, dh_carry, *_ = rnn_step_backward(dh, cache)
        elif kind == "gru":
            _, dh_carry, *_ = gru_step_backward(dh, cache)
        else:
            gates = cache.gates
            # total gradient at c_t: carried along c, plus the path through h_t = o tanh(c_t)
            dc_all[t] = dc_carry + dh * gates.o * tanh_grad_from_output(gates.tanh_c)
            _, dh_carry, dc_carry, *_ = lstm_step_backward(dh, dc_carry, cache)
    return StateGradients(dh_all, dc_all, dh_carry, dc_carry if kind == "lstm" else None)


def _check_reduce(where, reduce) -> None:
    # Checked before the (possibly long) computation, not after it.
    if reduce not in ("mean", "geometric"):
        raise argument_error(
            where,
            "reduce",
            f"must be 'mean' or 'geometric', got {reduce!r}",
            "'geometric' averages log-norms, which suits values spanning many decades",
        )


def _reduce(norms, reduce):
    """(T, N) per-sequence norms -> (T,): arithmetic or geometric mean over the batch."""
    if reduce == "mean":
        return norms.mean(axis=1)
    # Norms span many decades, so the geometric mean is the fair average; an exact zero
    # (no path at all) stays zero instead of raising a log(0) warning.
    with np.errstate(divide="ignore"):
        return np.exp(np.log(norms).mean(axis=1))


def hidden_gradient_norms(kind, params, x, h0=None, loss_at="last", *, c0=None, upstream=None,
                          reduce="mean"):
    """``||dL/dh_t||`` for t = 0..T-1, averaged over the batch: shape ``(T,)``.

    With the default ``loss_at="last"`` and unit upstream gradient, entry ``t`` is how much of
    a unit gradient placed on the final hidden state survives ``T - 1 - t`` steps of BPTT:
    geometric decay is a vanishing gradient, growth an exploding one.  See
    :func:`state_gradients` for the arguments; ``reduce`` is ``"mean"`` (arithmetic mean of
    the per-sequence norms) or ``"geometric"``.
    """
    where = "hidden_gradient_norms"
    _check_reduce(where, reduce)
    grads = _state_gradients(where, kind, params, x, h0, c0, loss_at, upstream)
    return _reduce(np.linalg.norm(grads.dh, axis=-1), reduce)


def cell_gradient_norms(params, x, h0=None, c0=None, loss_at="last", *, upstream=None,
                        reduce="mean"):
    """LSTM only: ``||dL/dc_t||`` for t = 0..T-1, averaged over the batch: shape ``(T,)``.

    Along the cell state the gradient is multiplied by the forget gate at each step
    (``dc_{t-1} = f_t * dc_t`` plus what enters through ``h``): with forget gates near 1 it
    stays nearly constant over many steps -- the "constant error carousel".
    """
    where = "cell_gradient_norms"
    _check_reduce(where, reduce)
    grads = _state_gradients(where, "lstm", params, x, h0, c0, loss_at, upstream)
    return _reduce(np.linalg.norm(grads.dc, axis=-1), reduce)


def step_jacobians(kind, params, x, h0=None, c0=None, *, progress=False):
    """The Jacobian ``J_t = d s_t / d s_{t-1}`` of every step, for every sequence.

    ``s`` is ``h`` for the RNN and the GRU and ``[h, c]`` (size 2H, h first) for the LSTM.
    ``J_t`` is obtained from the reference step backward: a backward pass with the unit
    gradient ``e_i`` on the new state returns row ``i`` of ``J_t`` (``dh_prev = J_t^T e_i``);
    all S rows are computed at once by running the step on S copies of the batch.

    Returns
    -------
    (T, N, S, S) array, ``J[t, n] = d s_t / d s_{t-1}`` for sequence ``n`` (``s_{-1}`` is the
    initial state).  Memory: ``T * N * S^2`` float64 values (T=100, N=16, S=64: 52 MB).
    """
    return _step_jacobians("step_jacobians", kind, params, x, h0, c0, progress)


def _step_jacobians(where, kind, params, x, h0, c0, progress) -> np.ndarray:
    """:func:`step_jacobians`, its errors naming ``where`` (the public function called)."""
    weights, _, h0, c0 = _layer(where, kind, params, x, h0, c0)
    T, N, _ = x.shape
    H = weights[1].shape[1]
    S = 2 * H if kind == "lstm" else H
    eye = np.repeat(np.eye(S), N, axis=0)  # (S*N, S): row i*N + n is e_i
    J = np.empty((T, N, S, S))
    h, c = h0, c0
    steps = range(T)
    if progress:
        from tqdm.auto import tqdm

        steps = tqdm(steps, desc="step Jacobians", leave=False)
    for t in steps:
        # S copies of the batch, each to receive one unit cotangent.
        x_rep, h_rep = np.tile(x[t], (S, 1)), np.tile(h, (S, 1))
        if kind == "rnn":
            _, cache = rnn_step_forward(x_rep, h_rep, *weights)
            rows = rnn_step_backward(eye, cache)[1]  # (S*N, H)
            h, _ = rnn_step_forward(x[t], h, *weights)
        elif kind == "gru":
            _, cache = gru_step_forward(x_rep, h_rep, *weights)
            rows = gru_step_backward(eye, cache)[1]
            h, _ = gru_step_forward(x[t], h, *weights)
        else:
            _, _, cache = lstm_step_forward(x_rep, h_rep, np.tile(c, (S, 1)), *weights)
            out = lstm_step_backward(eye[:, :H].copy(), eye[:, H:].copy(), cache)
            rows = np.concatenate([out[1], out[2]], axis=1)  # (S*N, 2H): [dh_prev, dc_prev]
            h, c, _ = lstm_step_forward(x[t], h, c, *weights)
        J[t] = rows.reshape(S, N, S).transpose(1, 0, 2)  # J[t, n, i, :] = row i
    return J


def jacobian_product_norms(kind, params, x, h0=None, c0=None, *, reduce="mean", progress=False):
    """Spectral norms of ``d s_{T-1} / d s_{T-1-k}`` for ``k = 0..T``: shape ``(T + 1,)``.

    Entry ``k`` is ``||J_{T-1} J_{T-2} ... J_{T-k}||_2`` (entry 0 is the identity, norm 1;
    entry T reaches the initial state), averaged over the batch with ``reduce`` ("mean" or
    "geometric").  It bounds how much a gradient at the last step can grow or shrink on its
    way back ``k`` steps: :func:`hidden_gradient_norms` follows one particular vector, this
    takes the worst direction.  For the tanh RNN each factor is ``diag(1 - h_t^2) W_hh``.
    """
    where = "jacobian_product_norms"
    _check_reduce(where, reduce)
    J = _step_jacobians(where, kind, params, x, h0, c0, progress)
    T, N, S, _ = J.shape
    norms = np.empty((T + 1, N))
    P = np.broadcast_to(np.eye(S), (N, S, S)).copy()
    norms[0] = 1.0
    for k in range(1, T + 1):
        P = P @ J[T - k]  # (N, S, S): d s_{T-1} / d s_{T-1-k}
        norms[k] = np.linalg.norm(P, ord=2, axis=(-2, -1))
    return _reduce(norms, reduce)


def _square(where: str, W) -> np.ndarray:
    checker = ShapeChecker(where)
    checker.array("W", W, ("H", "H"), hint="a recurrent matrix is square; for a gated cell take "
                  "one gate's block, e.g. W_hh[H:2*H] for the LSTM forget gate")
    return W


def spectral_radius(W) -> float:
    """``max_i |lambda_i(W)|`` of a square matrix ``W (H, H)``.

    The norm of ``W^k`` grows or shrinks like ``rho^k`` for large k (Gelfand's formula), which
    is why the spectral radius of ``W_hh`` decides whether a linear recurrence explodes.
    """
    W = _square("spectral_radius", W)
    return float(np.max(np.abs(np.linalg.eigvals(W))))


def scale_to_spectral_radius(W, rho: float) -> np.ndarray:
    """Return ``W (H, H)`` rescaled so that its spectral radius is ``rho`` (a new array).

    The eigenvectors are kept; every eigenvalue is multiplied by ``rho / spectral_radius(W)``.
    """
    W = _square("scale_to_spectral_radius", W)
    if isinstance(rho, bool) or not isinstance(rho, (int, float, np.floating, np.integer)) \
            or not (np.isfinite(rho) and rho >= 0):
        raise argument_error(
            "scale_to_spectral_radius",
            "rho",
            f"must be a finite number >= 0, got {rho!r}",
            "rho < 1 makes a linear recurrence decay, rho > 1 makes it grow",
        )
    current = spectral_radius(W)
    if current == 0.0:
        raise argument_error(
            "scale_to_spectral_radius",
            "W",
            "has spectral radius 0 (it is nilpotent, e.g. all zeros), so no rescaling "
            "reaches another radius",
            "start from a random matrix, e.g. rng.normal(size=(H, H))",
        )
    return W * (float(rho) / current)
