"""The one-unit RNN whose loss has a cliff (after Pascanu, Mikolov and Bengio, 2013).

The network has a single tanh unit, no input, and two parameters, a recurrent weight
``w`` and a bias ``b``::

    h_t = tanh(w * h_{t-1} + b),   t = 1, ..., T,   h_0 given
    L(w, b) = (h_T - y)^2

For ``b < 0`` and ``w`` large enough the map ``h -> tanh(w h + b)`` has two stable fixed
points (one negative, one positive) separated by an unstable one.  Where that unstable
point crosses ``h_0`` the final state ``h_T`` jumps from one branch to the other, so ``L``
jumps too: a wall a few thousandths wide on which ``dL/dw`` is thousands of times larger
than anywhere near it.  The book's chapters 3 and 4 draw this wall and run gradient
descent into it.

Every function broadcasts over arrays of ``w`` and ``b``: one call evaluates a whole
curve or surface.  Nothing here needs matplotlib.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from lstmlab.errors import argument_error

__all__ = [
    "STEPS",
    "H0",
    "BIAS",
    "TARGET",
    "unroll",
    "loss_and_grad",
    "wall_position",
    "Descent",
    "descend",
]

# The defaults of the book's figures.  With h_0 = 0.5 and b = -0.2 the wall sits at
# w = (atanh(0.5) + 0.2) / 0.5 = 1.4986 (see wall_position); the target y = -1 puts the
# lowest loss at the foot of the wall, on its left, as in Pascanu et al.'s figure 6.
STEPS = 50
H0 = 0.5
BIAS = -0.2
TARGET = -1.0


def _float(where: str, name: str, value, hint: str) -> np.ndarray:
    arr = np.asarray(value)
    if arr.dtype.kind not in "fiu":
        raise argument_error(
            where, name,
            f"must be a real number or an array of them (any shape), got {type(value).__name__} "
            f"of dtype {arr.dtype}",
            hint,
        )
    arr = arr.astype(np.float64)
    if not np.all(np.isfinite(arr)):
        raise argument_error(
            where, name,
            f"must hold finite values (any shape), got {arr.size - np.count_nonzero(np.isfinite(arr))} "
            f"NaN or inf of {arr.size}",
            hint,
        )
    return arr


def _check_common(where: str, steps, h0, target=0.0):
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps < 1:
        raise argument_error(where, "steps", f"must be a positive int (the number of time steps T), got {steps!r}",
                             "the book uses steps=50")
    h0 = float(_float(where, "h0", h0, "the initial state is one number in (-1, 1), e.g. 0.5"))
    if not -1.0 < h0 < 1.0:
        raise argument_error(where, "h0", f"must be a number in (-1, 1) (a tanh unit's range), got {h0!r}",
                             "the book uses h0=0.5")
    target = float(_float(where, "target", target, "the target is one number, e.g. -1.0"))
    return int(steps), h0, target


def _check_wb(where: str, w, b, w_name: str = "w"):
    w = _float(where, w_name, w, "pass a float or a grid such as np.linspace(0, 3, 301)")
    b = _float(where, "b", b, "pass a float or a grid that broadcasts against w")
    try:
        np.broadcast_shapes(w.shape, b.shape)
    except ValueError:
        raise argument_error(where, "b", f"must broadcast against w's shape {w.shape}, got shape {b.shape}",
                             "use a number, or a grid of w's shape") from None
    return w, b


def unroll(w, b=BIAS, steps: int = STEPS, h0: float = H0) -> np.ndarray:
    """All states ``h_0, ..., h_T`` of the one-unit RNN.

    Args:
        w, b: recurrent weight and bias, numbers or arrays that broadcast together (shape S).
        steps: T, the number of updates.
        h0: the initial state, a number in (-1, 1).

    Returns:
        hs: (T + 1, *S) with ``hs[0] = h0`` and ``hs[t] = tanh(w hs[t-1] + b)``.
    """
    steps, h0, _ = _check_common("unroll", steps, h0)
    w, b = _check_wb("unroll", w, b)
    return _unroll(w, b, steps, h0)


def _unroll(w: np.ndarray, b: np.ndarray, steps: int, h0: float) -> np.ndarray:
    """:func:`unroll` on checked arguments."""
    shape = np.broadcast_shapes(w.shape, b.shape)
    hs = np.empty((steps + 1, *shape))
    hs[0] = h0
    for t in range(1, steps + 1):
        hs[t] = np.tanh(w * hs[t - 1] + b)
    return hs


def loss_and_grad(w, b=BIAS, steps: int = STEPS, h0: float = H0, target: float = TARGET):
    """The loss ``(h_T - y)^2`` and its exact gradient by backpropagation through time.

    Args:
        w, b: numbers or arrays that broadcast together (shape S).
        steps, h0: as in :func:`unroll`.
        target: y.

    Returns:
        loss, dL_dw, dL_db: three arrays of shape S (0-d arrays for scalar inputs).
    """
    steps, h0, target = _check_common("loss_and_grad", steps, h0, target)
    w, b = _check_wb("loss_and_grad", w, b)
    return _loss_and_grad(w, b, steps, h0, target)


def _loss_and_grad(w: np.ndarray, b: np.ndarray, steps: int, h0: float, target: float):
    """:func:`loss_and_grad` on checked arguments."""
    hs = _unroll(w, b, steps, h0)  # (T + 1, *S)
    loss = (hs[-1] - target) ** 2
    dh = 2.0 * (hs[-1] - target)  # dL/dh_T
    dw = np.zeros_like(loss)
    db = np.zeros_like(loss)
    for t in range(steps, 0, -1):
        da = dh * (1.0 - hs[t] ** 2)  # through tanh: dL/da_t
        dw = dw + da * hs[t - 1]  # w is shared by every step, so its gradient sums
        db = db + da
        dh = da * w  # the one-unit Jacobian dh_t/dh_{t-1} = (1 - h_t^2) w
    return loss, dw, db


def wall_position(b: float = BIAS, h0: float = H0) -> float:
    """The weight at which the unstable fixed point crosses ``h0``: ``(atanh(h0) - b) / h0``.

    At this ``w`` the state stays at ``h0`` forever; a hair to the left it falls to the
    negative branch, a hair to the right it climbs to the positive one.  (For the wall to
    be a jump the fixed point must be unstable, ``w (1 - h0^2) > 1``, which holds for the
    book's defaults: 1.4986 * 0.75 = 1.12.)
    """
    where = "wall_position"
    _, h0, _ = _check_common(where, 1, h0)
    if h0 == 0.0:
        raise argument_error(where, "h0", "must be a non-zero initial state, got 0.0", "the book uses h0=0.5")
    b = float(_float(where, "b", b, "b is one number, e.g. -0.2"))
    return (math.atanh(h0) - b) / h0


class Descent(NamedTuple):
    """The path of :func:`descend`: ``n_steps + 1`` weights and losses, ``n_steps`` gradients."""

    w: np.ndarray  # (n_steps + 1,) the weight before each step and after the last
    loss: np.ndarray  # (n_steps + 1,) the loss at each of those weights
    grad: np.ndarray  # (n_steps,) the raw (unclipped) dL/dw at each step


def descend(
    w0: float,
    lr: float,
    n_steps: int,
    max_norm: float | None = None,
    b: float = BIAS,
    steps: int = STEPS,
    h0: float = H0,
    target: float = TARGET,
) -> Descent:
    """Plain gradient descent on ``w`` alone (``b`` fixed), optionally with norm clipping.

    Each step is ``w <- w - lr * g`` where ``g`` is ``dL/dw`` clipped by
    :func:`lstmlab.numpy.optim.clip_grad_norm` when ``max_norm`` is given (for one number,
    clipping by norm and by value agree: ``|g|`` is capped at ``max_norm``, the sign kept).

    Returns:
        a :class:`Descent` with the weights, losses and raw gradients along the path.
    """
    from lstmlab.numpy.optim import clip_grad_norm

    where = "descend"
    if isinstance(n_steps, bool) or not isinstance(n_steps, (int, np.integer)) or n_steps < 0:
        raise argument_error(where, "n_steps", f"must be an int >= 0, got {n_steps!r}", "e.g. n_steps=100")
    if isinstance(lr, bool) or not (isinstance(lr, (int, float)) and math.isfinite(lr) and lr > 0):
        raise argument_error(where, "lr", f"must be a finite number > 0, got {lr!r}", "e.g. lr=0.1")
    if max_norm is not None and (isinstance(max_norm, bool) or not isinstance(max_norm, (int, float))
                                 or not (math.isfinite(max_norm) and max_norm > 0)):
        raise argument_error(where, "max_norm", f"must be None or a finite number > 0, got {max_norm!r}",
                             "None descends without clipping; e.g. max_norm=1.0 caps |g| at 1")
    steps, h0, target = _check_common(where, steps, h0, target)
    w0, b = _check_wb(where, w0, b, w_name="w0")
    if w0.ndim or b.ndim:
        raise argument_error(where, "w0" if w0.ndim else "b", "must be one number, got an array",
                             "descend follows one weight; use loss_and_grad for a grid")
    w = float(w0)
    ws, losses, grads = [w], [], []
    for _ in range(n_steps):
        loss, g, _ = _loss_and_grad(np.float64(w), b, steps, h0, target)
        losses.append(float(loss))
        grads.append(float(g))
        if max_norm is not None:
            g = clip_grad_norm({"w": g}, max_norm)[0]["w"]
        w = w - lr * float(g)
        ws.append(w)
    losses.append(float(_loss_and_grad(np.float64(w), b, steps, h0, target)[0]))
    return Descent(np.array(ws), np.array(losses), np.array(grads))
