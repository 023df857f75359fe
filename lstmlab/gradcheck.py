"""Centred-difference numerical gradients and the relative error used to compare them.

A gradient check compares an analytic gradient (a hand-written ``*_backward``) with a
numerical one.  For a function ``y = f(x)`` with an upstream gradient ``dy`` (same shape as
``y``), the quantity whose gradient a backward pass computes is the scalar
``L(x) = sum(f(x) * dy)``; its derivative with respect to ``x[i]`` is estimated with
centred differences::

    dL/dx[i] ~= (L(x + h e_i) - L(x - h e_i)) / (2 h)

The truncation error is O(h^2) and the rounding error about ``eps * |L| / h``; with
``h = 1e-5`` in float64 (``eps ~ 2e-16``) both are around 1e-10 relative to the gradient,
which is why correct backward passes reach relative errors of 1e-8 or better.  In float32
(``eps ~ 1e-7``) the rounding term alone is ~1e-2: the check would say nothing, so float32
inputs are rejected.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from lstmlab.errors import argument_error

__all__ = ["numerical_gradient", "numerical_gradient_scalar", "rel_error"]

_FLOAT32_HINT = (
    "centred differences need float64: in float32 the rounding error eps*|f|/h is about "
    "1e-2 at h=1e-5, so the check would be meaningless. Convert with x.astype(np.float64) "
    "(and build the function's other arrays in float64 too)"
)


def _check_x(where: str, x) -> None:
    if not isinstance(x, np.ndarray):
        raise argument_error(
            where,
            "x",
            f"must be a NumPy float64 array (it is perturbed in place), got {type(x).__name__}",
            "pass np.asarray(x, dtype=np.float64) and keep a reference to it inside f",
        )
    if x.dtype != np.float64:
        raise argument_error(where, "x", f"must have dtype float64, got {x.dtype}", _FLOAT32_HINT)
    if not x.flags.writeable:
        raise argument_error(
            where,
            "x",
            "is read-only, but the check perturbs it in place",
            "pass a writeable copy, x = x.copy()",
        )


def _check_h(where: str, h) -> float:
    h = float(h)
    if not (np.isfinite(h) and h > 0):
        raise argument_error(
            where, "h", f"must be a positive finite step, got {h!r}", "h=1e-5 suits float64"
        )
    return h


def _evaluate(where: str, f: Callable, x: np.ndarray) -> np.ndarray:
    """Call ``f(x)`` and return its output as a float array, refusing tuples."""
    out = f(x)
    if isinstance(out, tuple):
        raise argument_error(
            where,
            "f",
            f"must return one array, but returned a tuple of {len(out)} items",
            "forward functions return (output, cache); wrap them: "
            "lambda x: layer_forward(x, ...)[0]",
        )
    # Copy: f may return a view of a buffer it reuses, and we subtract two calls' outputs.
    return np.array(out, dtype=np.float64, copy=True)


def _progress(total: int, enabled: bool):
    if not enabled:
        return None
    from tqdm.auto import tqdm

    return tqdm(total=total, desc="numerical gradient", leave=False)


def numerical_gradient(
    f: Callable[[np.ndarray], np.ndarray],
    x: np.ndarray,
    df: np.ndarray,
    h: float = 1e-5,
    *,
    progress: bool = False,
) -> np.ndarray:
    """Numerical gradient of ``sum(f(x) * df)`` with respect to ``x``, by centred differences.

    Parameters
    ----------
    f : callable
        ``f(x) -> y``, any array-valued function of ``x`` (it may read other arrays through a
        closure).  Return the output only, not ``(output, cache)``.
    x : ndarray, float64, any shape
        The input.  Each element is perturbed **in place** by ``+h`` and ``-h`` and then set
        back to its stored original value, so ``x`` is bit-for-bit unchanged afterwards.
        ``f`` must therefore read ``x`` itself (not a copy made before the call).
    df : array, same shape as ``f(x)``
        The upstream gradient ``dL/dy``.
    h : float
        The step, 1e-5 by default (float64 only).
    progress : bool
        Show a tqdm progress bar over the elements of ``x`` (off by default).

    Returns
    -------
    ndarray, float64, same shape as ``x``: the estimate of ``dL/dx`` for ``L = sum(f(x) * df)``.
    """
    where = "numerical_gradient"
    _check_x(where, x)
    h = _check_h(where, h)
    df = np.asarray(df, dtype=np.float64)
    y = _evaluate(where, f, x)
    if y.shape != df.shape:
        raise argument_error(
            where,
            "df",
            f"must have the shape of f(x), {y.shape}, got {df.shape}",
            "df is the upstream gradient dL/dy, one entry per output element",
        )
    grad = np.zeros_like(x)
    bar = _progress(x.size, progress)
    ix, old = None, None
    try:
        for ix in np.ndindex(x.shape):
            old = x[ix].copy()  # a 0-d copy of the original value: restoring it is exact
            x[ix] = old + h
            pos = _evaluate(where, f, x)
            x[ix] = old - h
            neg = _evaluate(where, f, x)
            x[ix] = old
            old = None
            # Subtract the outputs before weighting and summing: each difference is small and
            # exact to ~eps * |f|, whereas subtracting two large sums loses eps * |L|.
            grad[ix] = np.sum((pos - neg) * df) / (2.0 * h)
            if bar is not None:
                bar.update(1)
    finally:
        # If f raised between the perturbation and the restore, still hand x back intact.
        if old is not None:
            x[ix] = old
        if bar is not None:
            bar.close()
    return grad


def numerical_gradient_scalar(
    f: Callable[[np.ndarray], float],
    x: np.ndarray,
    h: float = 1e-5,
    *,
    progress: bool = False,
) -> np.ndarray:
    """Numerical gradient of a scalar function ``f(x)`` (a loss), by centred differences.

    Same contract as :func:`numerical_gradient` with ``df = 1``: ``x`` (float64, any shape) is
    perturbed in place and restored exactly.  Returns an array shaped like ``x``.
    """
    where = "numerical_gradient_scalar"
    _check_x(where, x)
    y = _evaluate(where, f, x)
    if y.shape != ():
        raise argument_error(
            where,
            "f",
            f"must return a scalar, got an array of shape {y.shape}",
            "use numerical_gradient(f, x, df) with df the upstream gradient of that output",
        )
    return numerical_gradient(f, x, np.ones(()), h, progress=progress)


def rel_error(a, b, *, elementwise: bool = False, floor: float = 1e-8) -> float:
    """Relative error between two arrays of the same shape (a gradient and its check).

    By default the error is measured against the arrays' scale::

        max_i |a_i - b_i| / max(floor, max_i (|a_i| + |b_i|))

    i.e. the largest disagreement relative to the largest entry.  It does not blow up on
    entries whose true value is tiny: a saturated gate or a softmax probability of 1e-7 gives
    a gradient entry near 1e-7, and the numerical estimate's rounding noise (~1e-11 at h=1e-5)
    would otherwise read as a relative error of 1e-4 on a correct backward pass.

    ``elementwise=True`` gives the cs231n definition instead,
    ``max_i |a_i - b_i| / max(floor, |a_i| + |b_i|)``, which is never smaller and flags
    disagreements on tiny entries too -- use it with inputs of moderate size.

    Reading the number: below about 1e-7 the two gradients agree to the precision centred
    differences reach in float64; around 1e-2 or above, something is wrong.  ``floor`` keeps
    all-zero comparisons (a masked position, an unused weight) from dividing by zero; entries
    far below it count as agreeing.

    Returns a Python float (0.0 for two empty arrays).
    """
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise argument_error(
            "rel_error",
            "b",
            f"must have the shape of a, {a.shape}, got {b.shape}",
            "compare a gradient with the gradient of the same array (no broadcasting, it "
            "would hide a bug)",
        )
    floor = float(floor)
    if not floor > 0:
        raise argument_error(
            "rel_error",
            "floor", f"must be a positive number, got {floor!r}", "the default 1e-8 suits float64"
        )
    if a.size == 0:
        return 0.0
    diff = np.abs(a - b)
    scale = np.abs(a) + np.abs(b)
    if elementwise:
        return float(np.max(diff / np.maximum(floor, scale)))
    return float(np.max(diff) / max(floor, float(np.max(scale))))
