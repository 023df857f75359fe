"""The character language model in the NumPy reference, forward and backward on one window.

Shapes: T time steps, N columns (the batch), V characters, E embedding size, H hidden size,
G gate blocks (RNN 1, GRU 3, LSTM 4).  Windows are time-major ``(T, N)`` int64 ids.

    x (T, N) ids -> inputs (T, N, E): a row of the embedding ``E_w (V, E)``, or one-hot (E = V)
                 -> recurrent layer (lstmlab.numpy's rnn / gru / lstm), states (T, N, H)
                 -> logits = temporal linear ``W (V, H)``, ``b (V,)``: (T, N, V)
                 -> loss = softmax cross-entropy against y (T, N), mean over all T * N

Parameters are one dict: the cell's ``W_ih (G*H, E)``, ``W_hh (G*H, H)``, ``b_ih``, ``b_hh``
``(G*H,)`` (torch.nn layout), the head's ``W``, ``b``, and ``E_w`` when there is an embedding.
The cell is read off the shapes (``W_hh`` is ``(G*H, H)``), so no argument names it.

The state is a tuple: ``(h,)`` for RNN and GRU, ``(h, c)`` for the LSTM, each ``(N, H)``;
``None`` means zeros.  The state a window ends with starts the next one; the backward pass
stops at the window's first step (the gradient into the incoming state is dropped), which is
what truncated BPTT on a stream does.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from lstmlab.data.synthetic import one_hot
from lstmlab.numpy import (
    gru_backward,
    gru_forward,
    lstm_backward,
    lstm_forward,
    rnn_backward,
    rnn_forward,
    softmax_cross_entropy,
    temporal_linear_backward,
    temporal_linear_forward,
)
from lstmlab.errors import ShapeChecker, argument_error
from lstmlab.numpy.params import GATES, as_generator, init_params

__all__ = ["CELLS", "CharLMCache", "cell_of", "charlm_backward", "charlm_forward", "charlm_loss_and_grads",
           "charlm_step", "init_charlm"]

CELLS = ("rnn", "gru", "lstm")
_CELL_KEYS = ("W_ih", "W_hh", "b_ih", "b_hh")


def init_charlm(cell: str, vocab_size: int, hidden_size: int, embed_size: int | None = None,
                seed=0, forget_bias: float = 0.0) -> dict:
    """Initial parameters, drawn as torch.nn draws them (so the torch model can start equal).

    cell : "rnn", "gru" or "lstm";  vocab_size : V;  hidden_size : H
    embed_size : E for an embedding ``E_w (V, E)`` drawn from N(0, 1) like ``nn.Embedding``;
        None feeds one-hot vectors (E = V, no ``E_w``)
    seed : int or ``np.random.Generator``;  forget_bias : LSTM only, see ``init_params``

    Returns a dict of float64 arrays: ``W_ih (G*H, E)``, ``W_hh (G*H, H)``, ``b_ih``, ``b_hh``
    ``(G*H,)``, ``W (V, H)`` and ``b (V,)`` from ``U(-1/sqrt(H), 1/sqrt(H))`` like
    ``nn.Linear``, and ``E_w (V, E)`` with an embedding.
    """
    where = "init_charlm"
    if cell not in CELLS:
        raise argument_error(where, "cell", f"must be one of {list(CELLS)}, got {cell!r}",
                                        "'lstm' is the chapter's model; 'rnn' and 'gru' compare")
    for name, value in (("vocab_size", vocab_size), ("hidden_size", hidden_size)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise argument_error(where, name, f"must be an int >= 1, got {value!r}", "e.g. len(vocab) and 128")
    if embed_size is not None and (isinstance(embed_size, bool) or not isinstance(embed_size, (int, np.integer))
                                   or embed_size < 1):
        raise argument_error(where, "embed_size", f"must be None (one-hot) or an int >= 1, got {embed_size!r}",
                                        "e.g. 32")
    rng = as_generator(seed, where)
    params = {}
    if embed_size is not None:
        params["E_w"] = rng.standard_normal((vocab_size, embed_size))
    D = vocab_size if embed_size is None else embed_size
    params.update(init_params(cell, D, hidden_size, rng=rng, forget_bias=forget_bias))
    bound = 1.0 / np.sqrt(hidden_size)
    params["W"] = rng.uniform(-bound, bound, (vocab_size, hidden_size))
    params["b"] = rng.uniform(-bound, bound, vocab_size)
    return params


def cell_of(params: dict, where: str = "cell_of") -> str:
    """The cell of a parameter dict, "rnn", "gru" or "lstm", read off ``W_hh (G*H, H)``
    (``where``: the public function a bad dict is reported as)."""
    W_hh = params.get("W_hh") if isinstance(params, dict) else None
    if not isinstance(W_hh, np.ndarray) or W_hh.ndim != 2 or W_hh.shape[1] < 1:
        raise argument_error(where, "params", "must be a dict holding 'W_hh' of shape (G*H, H)",
                             "make the parameters with init_charlm")
    G, rem = divmod(W_hh.shape[0], W_hh.shape[1])
    cells = {g: c for c, g in GATES.items()}
    if rem or G not in cells:
        raise argument_error(where, "params", f"has W_hh of shape {W_hh.shape}, which is not "
                                            "(G*H, H) for G = 1 (rnn), 3 (gru) or 4 (lstm)",
                                            "make the parameters with init_charlm")
    return cells[G]


class CharLMCache(NamedTuple):
    """What :func:`charlm_backward` needs from the forward."""

    cell: str
    x: np.ndarray  # (T, N) ids
    inputs: np.ndarray  # (T, N, E)
    rnn_cache: tuple  # the cell's cache
    head_cache: tuple  # TemporalLinearCache
    embedded: bool


def _ids(where: str, name: str, ids, V: int, shape=None) -> np.ndarray:
    ids = np.asarray(ids)
    if ids.ndim != 2 or ids.dtype.kind not in "iu" or (shape is not None and ids.shape != shape):
        want = "(T, N)" if shape is None else f"(T, N) = {shape}"
        raise argument_error(where, name, f"must be integer ids of shape {want}, got dtype {ids.dtype} and "
                                        f"shape {ids.shape}", "windows are time-major: window.x and window.y")
    if ids.size and (ids.min() < 0 or ids.max() >= V):
        raise argument_error(where, name, f"must lie in [0, V) = [0, {V}), got values from {ids.min()} to "
                                        f"{ids.max()}", "encode with the vocabulary the model was built for")
    return ids.astype(np.int64, copy=False)


def _state(where: str, cell: str, state, N: int, H: int):
    n = 2 if cell == "lstm" else 1
    if state is None:
        return (None,) * n
    if not isinstance(state, tuple) or len(state) != n:
        raise argument_error(where, "state", f"must be None or a tuple of {n} (N, H) arrays for a {cell}, "
                                        f"got {type(state).__name__}" + (f" of length {len(state)}"
                                                                           if isinstance(state, tuple) else ""),
                                        "(h, c) for an LSTM, (h,) for RNN and GRU: pass the state the "
                                        "previous window returned")
    checker = ShapeChecker(where, N=N, H=H)
    for k, s in enumerate(state):
        checker.array(f"state[{k}]", s, ("N", "H"), hint="one row per column of the window")
    return state


def charlm_forward(params: dict, x, state=None):
    """Logits for every position of a window, and the state it ends with.

    params : from :func:`init_charlm`;  x : ``(T, N)`` int64 ids
    state : ``None`` (zeros) or the tuple the previous window returned

    Returns ``(logits (T, N, V), state, cache)``; ``state`` is ``(h_T,)`` or ``(h_T, c_T)``,
    copies that do not alias the cache.
    """
    where = "charlm_forward"
    cell = cell_of(params, where)
    V, H = params["W"].shape
    x = _ids(where, "x", x, V)
    T, N = x.shape
    h0, *c0 = _state(where, cell, state, N, H)
    embedded = "E_w" in params
    inputs = params["E_w"][x] if embedded else one_hot(x, V)  # (T, N, E)
    w = [params[k] for k in _CELL_KEYS]
    if cell == "lstm":
        hs, cs, rnn_cache = lstm_forward(inputs, h0, c0[0], *w)
        final = (hs[-1].copy(), cs[-1].copy())
    elif cell == "gru":
        hs, rnn_cache = gru_forward(inputs, h0, *w)
        final = (hs[-1].copy(),)
    else:
        hs, rnn_cache = rnn_forward(inputs, h0, *w)
        final = (hs[-1].copy(),)
    logits, head_cache = temporal_linear_forward(hs, params["W"], params["b"])  # (T, N, V)
    return logits, final, CharLMCache(cell, x, inputs, rnn_cache, head_cache, embedded)


def charlm_backward(dlogits, cache: CharLMCache) -> dict:
    """Gradients of every parameter from ``dlogits (T, N, V)``; keys as in the params dict.

    The gradient reaching the window's initial state is dropped: truncated BPTT stops at the
    window boundary.
    """
    T, N = cache.x.shape
    ShapeChecker("charlm_backward", T=T, N=N, V=cache.head_cache.W.shape[0]).array(
        "dlogits", dlogits, ("T", "N", "V"), hint="the gradient of the loss at the logits, shaped like them")
    dhs, dW, db = temporal_linear_backward(dlogits, cache.head_cache)  # (T, N, H)
    backward = {"lstm": lstm_backward, "gru": gru_backward, "rnn": rnn_backward}[cache.cell]
    out = backward(dhs, cache.rnn_cache)
    dinputs, dweights = out[0], out[-4:]  # dh0 (and dc0) in between: dropped at the boundary
    grads = dict(zip(_CELL_KEYS, dweights))
    grads.update(W=dW, b=db)
    if cache.embedded:
        dE = np.zeros((dW.shape[0], dinputs.shape[-1]))  # (V, E)
        # A character used at several positions gets the sum of their gradients.
        np.add.at(dE, cache.x.reshape(-1), dinputs.reshape(-1, dinputs.shape[-1]))
        grads["E_w"] = dE
    return grads


def charlm_loss_and_grads(params: dict, x, y, state=None):
    """One window of truncated BPTT: ``(loss, grads, state)``.

    x, y : ``(T, N)`` int64 ids, y the next characters of x;  state : as in :func:`charlm_forward`
    loss : mean cross-entropy in nats over all ``T * N`` positions;  grads : keyed like params
    state : the state to start the next window with (plain arrays: nothing flows back through
    them, the "detach" of truncated BPTT)
    """
    logits, final, cache = charlm_forward(params, x, state)
    y = _ids("charlm_loss_and_grads", "y", y, logits.shape[-1], shape=logits.shape[:2])
    loss, dlogits = softmax_cross_entropy(logits, y)
    return loss, charlm_backward(dlogits, cache), final


def charlm_step(params: dict):
    """A one-character step function for :func:`lstmlab.lm.sampling.generate`:
    ``step(ids (N,), state) -> (logits (N, V), state)``."""
    cell_of(params, "charlm_step")

    def step(ids, state):
        logits, final, _ = charlm_forward(params, np.asarray(ids)[None, :], state)
        return logits[0], final

    return step
