"""The layers around a recurrent cell: a linear read-out applied at every time step, and losses.

Shapes: T time steps, N batch, H hidden size, M output size, C classes.  Sequences are
time-major, ``(T, N, H)``.  Weights follow ``torch.nn.Linear``: ``W (M, H)``, ``b (M,)``,
``y = h @ W.T + b``.

Every ``*_forward`` returns ``(output, cache)`` and the matching ``*_backward(doutput, cache)``
returns the gradients named after the forward's inputs, in the same order.  The losses return
``(loss, dpred)`` directly: the gradient of a scalar loss needs no upstream gradient.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .validate import ShapeChecker, argument_error

__all__ = [
    "TemporalLinearCache",
    "temporal_linear_forward",
    "temporal_linear_backward",
    "softmax",
    "log_softmax",
    "mse_loss",
    "softmax_cross_entropy",
]


def _float_array(where: str, name: str, value, spec: str) -> np.ndarray:
    """Return ``value`` as a float64 array; refuse non-numeric or non-finite input."""
    arr = np.asarray(value)
    if arr.dtype.kind not in "fiu":
        raise argument_error(
            where,
            name,
            f"must be a float array of shape {spec}, got dtype {arr.dtype}",
            f"convert it with np.asarray({name}, dtype=np.float64)",
        )
    arr = arr.astype(np.float64, copy=False)
    if not np.all(np.isfinite(arr)):
        raise argument_error(
            where,
            name,
            f"(shape {arr.shape}) contains NaN or inf values",
            "a NaN usually comes from an earlier step that diverged; lower the learning rate "
            "or clip gradients",
        )
    return arr


class TemporalLinearCache(NamedTuple):
    """What :func:`temporal_linear_backward` needs: the input and the weight."""

    h: np.ndarray  # (T, N, H) or (N, H)
    W: np.ndarray  # (M, H)


def temporal_linear_forward(h, W, b):
    """Apply the same affine map ``y = h @ W.T + b`` at every time step.

    Parameters
    ----------
    h : (T, N, H) hidden states (a single step ``(N, H)`` is accepted too)
    W : (M, H) weight, torch.nn.Linear layout
    b : (M,) bias

    Returns
    -------
    y : (T, N, M) (or ``(N, M)`` for a single step)
    cache : TemporalLinearCache
    """
    check = ShapeChecker("temporal_linear_forward")
    h_dims = ("N", "H") if isinstance(h, np.ndarray) and h.ndim == 2 else ("T", "N", "H")
    check.array("h", h, h_dims, hint="sequences are time-major (T, N, H); a single step (N, H) works too")
    check.array(
        "W", W, ("M", "H"),
        hint="torch.nn.Linear stores (out_features, in_features) = (M, H); if you built W as (H, M), pass W.T",
    )
    check.array("b", b, ("M",), hint="one bias per output; flatten a (1, M) row with b.ravel()")
    y = h @ W.T + b  # (T, N, M)
    return y, TemporalLinearCache(h=h, W=W)


def temporal_linear_backward(dy, cache: TemporalLinearCache):
    """Backward of :func:`temporal_linear_forward`.

    Parameters
    ----------
    dy : (T, N, M) upstream gradient (``(N, M)`` for a single step)
    cache : TemporalLinearCache from the forward

    Returns
    -------
    dh : (T, N, H), dW : (M, H), db : (M,)
    """
    h, W = cache.h, cache.W
    dims = ("T", "N", "M")[3 - h.ndim :]
    known = dict(zip(dims, h.shape[:-1] + (W.shape[0],)))
    ShapeChecker("temporal_linear_backward", **known).array(
        "dy", dy, dims, hint="dy is the gradient of the loss with respect to y, shaped like y"
    )
    dh = dy @ W  # (T, N, H)
    H, M = W.shape[1], W.shape[0]
    # The same W is used at every step, so its gradient sums over time and batch alike.
    dW = dy.reshape(-1, M).T @ h.reshape(-1, H)  # (M, H)
    db = dy.reshape(-1, M).sum(axis=0)  # (M,)
    return dh, dW, db


def log_softmax(logits, axis: int = -1) -> np.ndarray:
    """``log(softmax(logits))`` computed as ``z - max z - log(sum(exp(z - max z)))``.

    Subtracting the maximum first keeps every exponent <= 0, so nothing overflows even for
    logits of +-1000; the largest term is exp(0) = 1, so the log never sees 0.
    """
    z = _float_array("log_softmax", "logits", logits, "(..., C)")
    shifted = z - np.max(z, axis=axis, keepdims=True)
    return shifted - np.log(np.sum(np.exp(shifted), axis=axis, keepdims=True))


def softmax(logits, axis: int = -1) -> np.ndarray:
    """Numerically stable softmax along ``axis`` (shape unchanged)."""
    z = _float_array("softmax", "logits", logits, "(..., C)")
    e = np.exp(z - np.max(z, axis=axis, keepdims=True))  # every exponent <= 0: no overflow
    return e / np.sum(e, axis=axis, keepdims=True)


def mse_loss(pred, target):
    """Mean squared error over all elements, and its gradient.

    Parameters
    ----------
    pred, target : arrays of the same shape, e.g. ``(N, 1)`` for the adding problem

    Returns
    -------
    loss : float, ``mean((pred - target) ** 2)`` (like ``torch.nn.MSELoss()``)
    dpred : same shape as pred, ``2 (pred - target) / pred.size``
    """
    pred = _float_array("mse_loss", "pred", pred, "(...)")
    target = _float_array("mse_loss", "target", target, "(...)")
    if pred.shape != target.shape:
        raise argument_error(
            "mse_loss",
            "target",
            f"should have the shape of pred, {pred.shape}, but has shape {target.shape}",
            "no broadcasting here, since (N,) against (N, 1) would silently give an (N, N) "
            "difference; reshape one of them, e.g. target.reshape(pred.shape)",
        )
    if pred.size == 0:
        raise argument_error(
            "mse_loss",
            "pred",
            f"is empty (shape {pred.shape})",
            "the mean of no elements is undefined; check the batch size",
        )
    diff = pred - target
    loss = float(np.mean(diff * diff))
    dpred = (2.0 / pred.size) * diff
    return loss, dpred


def softmax_cross_entropy(logits, labels, mask=None):
    """Mean cross-entropy of integer labels under a softmax, and its gradient.

    Parameters
    ----------
    logits : (..., C) unnormalised scores, e.g. ``(T, N, C)`` for a per-step task or
        ``(N, C)`` for one label per sequence
    labels : (...) integers in ``[0, C)``, the shape of ``logits`` without its last axis
    mask : (...) booleans (or 0/1), optional.  Only positions where it is true count; the loss
        is the mean over those positions, and labels at masked-out positions are ignored (they
        may hold anything, e.g. -1 for padding).

    Returns
    -------
    loss : float, ``-mean(log softmax(logits)[label])`` over the counted positions (like
        ``torch.nn.functional.cross_entropy`` with the mean reduction)
    dlogits : (..., C), ``(softmax(logits) - one_hot(labels)) / count`` at counted positions and
        0 elsewhere
    """
    where = "softmax_cross_entropy"
    logits = _float_array(where, "logits", logits, "(..., C)")
    if logits.ndim < 1 or logits.shape[-1] < 1:
        raise argument_error(
            where,
            "logits",
            f"should have shape (..., C) with C >= 1 classes, got {logits.shape}",
            "the last axis holds one score per class",
        )
    lead, C = logits.shape[:-1], logits.shape[-1]
    labels = np.asarray(labels)
    if labels.shape != lead:
        raise argument_error(
            where,
            "labels",
            f"should have shape (...) = {lead} (the shape of logits {logits.shape} without the "
            f"class axis) but has shape {labels.shape}",
            "labels are class indices, not one-hot vectors; use labels.argmax(-1) if you have "
            "one-hot targets",
        )
    if labels.dtype.kind not in "iu":
        raise argument_error(
            where,
            "labels",
            f"must hold integer class indices, got dtype {labels.dtype}",
            "convert with labels.astype(np.int64)",
        )
    if mask is None:
        keep = np.ones(lead, dtype=bool)
    else:
        mask = np.asarray(mask)
        if mask.shape != lead:
            raise argument_error(
                where,
                "mask",
                f"should have shape (...) = {lead}, the shape of labels, but has shape {mask.shape}",
                "True where the position counts in the loss",
            )
        if mask.dtype == bool:
            keep = mask
        else:
            if not np.all((mask == 0) | (mask == 1)):
                raise argument_error(
                    where,
                    "mask",
                    "must hold booleans or 0/1 values, got other numbers",
                    "the mask selects positions; it is not a weight",
                )
            keep = mask.astype(bool)
    count = int(np.count_nonzero(keep))
    if count == 0:
        raise argument_error(
            where,
            "mask",
            f"selects no position (all {keep.size} entries are false), so the mean is undefined",
            "check the sequence lengths the mask was built from",
        )
    kept = labels[keep]
    if np.any((kept < 0) | (kept >= C)):
        bad = kept[(kept < 0) | (kept >= C)][0]
        raise argument_error(
            where,
            "labels",
            f"must be class indices in [0, C) = [0, {C}), got {bad}",
            "mask out padding positions instead of giving them an out-of-range label",
        )
    # Masked-out labels may be anything: replace them by 0 so the gather below stays in range.
    safe = np.where(keep, labels, 0)
    logp = log_softmax(logits)  # (..., C), stable for any logits
    picked = np.take_along_axis(logp, safe[..., None], axis=-1)[..., 0]  # (...)
    loss = float(-np.sum(picked[keep]) / count)

    dlogits = np.exp(logp)  # softmax, (..., C)
    np.put_along_axis(
        dlogits, safe[..., None], np.take_along_axis(dlogits, safe[..., None], -1) - 1.0, -1
    )
    dlogits *= keep[..., None] / count
    return loss, dlogits
