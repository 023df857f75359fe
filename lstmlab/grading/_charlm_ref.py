"""The reference answers of the character language model assignment (``notebooks/charlm``).

What the checks in :mod:`._charlm` compare with: the vocabulary and encoding, stateful
batches, the cross-entropy, temperature probabilities, one window of truncated BPTT through a
one-hot LSTM language model, and one epoch of such windows.  The LSTM itself is the checks'
private copy of ``lstmlab.numpy`` (:mod:`._reference`).  Learner code must not call this
module (the checks forbid it), except the window step a check hands to ``train_epoch``.

Shapes: L characters, V vocabulary, T steps per window, N columns (batch), H hidden units,
K windows.  Ids are int64; windows are time-major ``(T, N)``.

Model parameters (a dict, float64): ``W_ih (4H, V)``, ``W_hh (4H, H)``, ``b_ih``, ``b_hh``
``(4H,)`` (the LSTM, gates i, f, g, o), ``W_out (V, H)``, ``b_out (V,)`` (the read-out).
"""

from __future__ import annotations

import numpy as np

from ._reference import ref

PARAM_NAMES = ("W_ih", "W_hh", "b_ih", "b_hh", "W_out", "b_out")


def build_vocab(text: str) -> list[str]:
    """Every distinct character of ``text``, sorted by code point."""
    return sorted(set(text))


def encode(text: str, chars) -> np.ndarray:
    """``text`` -> ``(L,)`` int64 ids, id = position in ``chars``."""
    index = {c: i for i, c in enumerate(chars)}
    return np.array([index[c] for c in text], dtype=np.int64)


def make_batches(ids: np.ndarray, N: int, T: int) -> tuple[np.ndarray, np.ndarray]:
    """``(L,)`` ids -> ``X, Y`` both ``(K, T, N)``: N contiguous columns of S = L // N ids,
    cut into K = (S - 1) // T full windows; ``Y`` is ``X`` one character further on."""
    S = len(ids) // N
    cols = ids[: S * N].reshape(N, S).T  # (S, N): column i is ids[i*S:(i+1)*S]
    K = (S - 1) // T
    X = np.stack([cols[k * T:(k + 1) * T] for k in range(K)]) if K else np.zeros((0, T, N), np.int64)
    Y = np.stack([cols[k * T + 1:(k + 1) * T + 1] for k in range(K)]) if K else np.zeros((0, T, N), np.int64)
    return X, Y


def log_softmax(logits: np.ndarray) -> np.ndarray:
    shifted = logits - logits.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def cross_entropy(logits: np.ndarray, targets: np.ndarray) -> tuple[float, np.ndarray]:
    """``logits (T, N, V)``, ``targets (T, N)`` -> mean over the T*N positions of
    ``-log softmax(logits)[target]`` (nats), and its gradient ``(T, N, V)``."""
    logp = log_softmax(logits)
    picked = np.take_along_axis(logp, targets[..., None], axis=-1)[..., 0]
    count = targets.size
    dlogits = np.exp(logp)
    np.put_along_axis(dlogits, targets[..., None], np.take_along_axis(dlogits, targets[..., None], -1) - 1.0, -1)
    return float(-picked.sum() / count), dlogits / count


def temperature_probs(logits: np.ndarray, temperature: float) -> np.ndarray:
    """``softmax(logits / temperature)`` along the last axis."""
    return np.exp(log_softmax(logits / temperature))


def forward(params: dict, x: np.ndarray, h0: np.ndarray, c0: np.ndarray):
    """``x (T, N)`` ids -> logits ``(T, N, V)``, the final ``h, c (N, H)`` and what backward needs."""
    V = params["W_out"].shape[0]
    onehot = np.eye(V)[x]  # (T, N, V)
    hs, cs, cache = ref.lstm_forward(onehot, h0, c0, params["W_ih"], params["W_hh"], params["b_ih"], params["b_hh"])
    logits = hs @ params["W_out"].T + params["b_out"]
    return logits, hs[-1], cs[-1], (hs, cache)


def backward(params: dict, dlogits: np.ndarray, saved) -> dict:
    """Gradients of every parameter from ``dlogits (T, N, V)``; the gradient stops at h0, c0
    (the carried state is a plain array: that is the truncation)."""
    hs, cache = saved
    dhs = dlogits @ params["W_out"]
    _, _, _, dW_ih, dW_hh, db_ih, db_hh = ref.lstm_backward(dhs, cache)
    return {"W_ih": dW_ih, "W_hh": dW_hh, "b_ih": db_ih, "b_hh": db_hh,
            "W_out": np.einsum("tnv,tnh->vh", dlogits, hs), "b_out": dlogits.sum(axis=(0, 1))}


def window_step(params, x, y, h0, c0):
    """One window of truncated BPTT -> ``(loss, grads, h, c)``: the mean cross-entropy of
    ``y`` given ``x`` from state ``(h0, c0)``, the gradients, and the state to carry."""
    logits, h, c, saved = forward(params, x, h0, c0)
    loss, dlogits = cross_entropy(logits, y)
    return loss, backward(params, dlogits, saved), h, c


def clip_grad_norm(grads: dict, max_norm: float):
    return ref.optim.clip_grad_norm(grads, max_norm)


def train_epoch(params, X, Y, step, max_norm, carry=True):
    """The losses, pre-clipping norms and clipped gradients of every window, in order, with
    the state carried (or, ``carry=False``, reset to zeros: a typical mistake)."""
    N, H = X.shape[2], params["W_hh"].shape[1]
    h, c = np.zeros((N, H)), np.zeros((N, H))
    losses, norms, sent = [], [], []
    for k in range(X.shape[0]):
        if not carry:
            h, c = np.zeros((N, H)), np.zeros((N, H))
        loss, grads, h, c = step(params, X[k], Y[k], h, c)
        clipped, norm = clip_grad_norm(grads, max_norm)
        losses.append(loss)
        norms.append(norm)
        sent.append(clipped)
    return losses, norms, sent
