"""Optimisers and gradient clipping for dicts of NumPy arrays.

Parameters and gradients are dicts with the same keys, e.g. ``{"W_ih", "W_hh", "b_ih",
"b_hh", "W", "b"}`` (the names of the parameters, not ``dW_ih``), each gradient shaped like its
parameter.  The optimisers update the parameter arrays **in place**, so models that hold
references to them see the new values; the clipping functions return **new** dicts and leave
their input alone.  The maths follows ``torch.optim`` and ``torch.nn.utils`` exactly so that a
NumPy training run and a PyTorch one stay in step.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np

from .validate import argument_error

__all__ = ["sgd", "Adam", "clip_grad_norm", "clip_grad_value"]


def _positive(where: str, name: str, value, hint: str, allow_zero: bool = False) -> float:
    need = "a finite number >= 0" if allow_zero else "a finite number > 0"
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise argument_error(where, name, f"must be {need}, got {value!r}", hint) from None
    ok = v >= 0 if allow_zero else v > 0
    if not (math.isfinite(v) and ok):
        raise argument_error(where, name, f"must be {need}, got {value!r}", hint)
    return v


def _check_grads(where: str, params: Mapping, grads: Mapping) -> None:
    """Same keys, same shapes: a silent mismatch would train the wrong weights."""
    if set(params) != set(grads):
        missing = sorted(set(params) - set(grads))
        extra = sorted(set(grads) - set(params))
        raise argument_error(
            where,
            "grads",
            f"must have the keys of params {sorted(params)}, got {sorted(grads)} "
            f"(missing {missing}, unexpected {extra})",
            "name gradients after their parameters ('W_hh', not 'dW_hh'), "
            "e.g. dict(zip(names, backward_outputs))",
        )
    for k in params:
        p, g = params[k], np.asarray(grads[k])
        if np.shape(p) != g.shape:
            raise argument_error(
                where,
                "grads",
                f"entry {k!r} must have the shape of params[{k!r}], {np.shape(p)}, got {g.shape}",
                "a gradient summed over the batch keeps the parameter's shape",
            )


def _check_params(where: str, params: Mapping) -> None:
    for k, p in params.items():
        if not isinstance(p, np.ndarray) or p.dtype.kind != "f":
            got = f"dtype {p.dtype}" if isinstance(p, np.ndarray) else type(p).__name__
            raise argument_error(
                where,
                "params",
                f"entry {k!r} must be a floating-point NumPy array (it is updated in place), "
                f"got {got}",
                "np.asarray(value, dtype=np.float64)",
            )


def sgd(params: dict, grads: Mapping[str, np.ndarray], lr: float) -> None:
    """Plain gradient descent, in place: ``params[k] -= lr * grads[k]`` for every key.

    Parameters
    ----------
    params : dict of float arrays, modified in place
    grads : dict with the same keys, each array shaped like its parameter
    lr : learning rate, > 0
    """
    lr = _positive("sgd", "lr", lr, "a learning rate such as 0.1")
    _check_params("sgd", params)
    _check_grads("sgd", params, grads)
    for k, p in params.items():
        p -= lr * np.asarray(grads[k])


class Adam:
    """Adam (Kingma & Ba, 2015) with the same arithmetic as ``torch.optim.Adam`` defaults.

    For each parameter ``p`` with gradient ``g``, at step ``t = 1, 2, ...``::

        m = beta1 * m + (1 - beta1) * g            # first moment
        v = beta2 * v + (1 - beta2) * g * g        # second moment
        p -= lr / (1 - beta1**t) * m / (sqrt(v) / sqrt(1 - beta2**t) + eps)

    The bias corrections ``1 - beta**t`` undo the start of ``m`` and ``v`` at zero.  Note where
    ``eps`` sits: added after the second-moment correction, as torch does.

    Parameters
    ----------
    params : dict of float arrays, updated in place by :meth:`step`
    lr : learning rate (> 0)
    betas : (beta1, beta2), each in [0, 1)
    eps : added to the denominator (>= 0)
    """

    def __init__(self, params: dict, lr: float = 1e-3, betas=(0.9, 0.999), eps: float = 1e-8):
        self.lr = _positive("Adam", "lr", lr, "Adam's usual learning rates are 1e-3 to 1e-2")
        try:
            beta1, beta2 = (float(b) for b in betas)
        except (TypeError, ValueError):
            raise argument_error(
                "Adam",
                "betas", f"must be a pair (beta1, beta2), got {betas!r}", "(0.9, 0.999)"
            ) from None
        for i, b in enumerate((beta1, beta2)):
            if not 0.0 <= b < 1.0:
                raise argument_error(
                    "Adam",
                    "betas",
                    f"must have betas[{i}] in [0, 1), got {b!r}",
                    "(0.9, 0.999); beta = 1 would never forget the first gradient and divide by zero",
                )
        self.betas = (beta1, beta2)
        self.eps = _positive("Adam", "eps", eps, "1e-8 is the usual value", allow_zero=True)
        _check_params("Adam", params)
        self.params = params
        self.t = 0
        self.m = {k: np.zeros_like(p) for k, p in params.items()}
        self.v = {k: np.zeros_like(p) for k, p in params.items()}

    def step(self, grads: Mapping[str, np.ndarray]) -> None:
        """Apply one update to every parameter, in place, from ``grads`` (same keys/shapes)."""
        _check_grads("Adam.step", self.params, grads)
        beta1, beta2 = self.betas
        self.t += 1
        bias1 = 1.0 - beta1**self.t
        bias2_sqrt = math.sqrt(1.0 - beta2**self.t)
        step_size = self.lr / bias1
        for k, p in self.params.items():
            g = np.asarray(grads[k])
            m, v = self.m[k], self.v[k]
            m *= beta1
            m += (1.0 - beta1) * g
            v *= beta2
            v += (1.0 - beta2) * g * g
            p -= step_size * m / (np.sqrt(v) / bias2_sqrt + self.eps)


def _global_norm(grads: Mapping[str, np.ndarray]) -> float:
    # Norm of the per-array norms: what torch.nn.utils.clip_grad_norm_ computes for norm 2.
    norms = [np.linalg.norm(np.asarray(g, dtype=np.float64).ravel()) for g in grads.values()]
    return float(np.linalg.norm(np.asarray(norms))) if norms else 0.0


def clip_grad_norm(grads: Mapping[str, np.ndarray], max_norm: float):
    """Scale all gradients together so that their global L2 norm is at most ``max_norm``.

    The global norm is ``sqrt(sum_k ||grads[k]||^2)`` over every array.  When it exceeds
    ``max_norm``, every array is multiplied by the same factor ``max_norm / (norm + 1e-6)``, so
    the direction of the full gradient is kept and only its length changes -- the remedy for
    exploding gradients.  The 1e-6 is torch's (``torch.nn.utils.clip_grad_norm_``), kept for
    parity; it makes the clipped norm a hair below ``max_norm``.

    Parameters
    ----------
    grads : dict of arrays (not modified)
    max_norm : float > 0

    Returns
    -------
    clipped : a new dict with the same keys (copies, scaled or not)
    total_norm : float, the global norm **before** clipping (worth logging: it is how one sees
        gradients explode)
    """
    max_norm = _positive("clip_grad_norm", "max_norm", max_norm, "a threshold such as 1.0 or 5.0")
    total = _global_norm(grads)
    # Like torch: always multiply by the clamped coefficient (1.0 when no clipping is needed).
    coef = min(max_norm / (total + 1e-6), 1.0)
    clipped = {k: np.asarray(g, dtype=np.float64) * coef for k, g in grads.items()}
    return clipped, total


def clip_grad_value(grads: Mapping[str, np.ndarray], clip: float):
    """Clip every gradient entry to ``[-clip, clip]`` (``torch.nn.utils.clip_grad_value_``).

    Unlike :func:`clip_grad_norm` this changes the gradient's direction.  Returns a new dict;
    ``grads`` is not modified.  ``clip`` must be > 0.
    """
    clip = _positive("clip_grad_value", "clip", clip, "a bound such as 1.0")
    return {k: np.clip(np.asarray(g, dtype=np.float64), -clip, clip) for k, g in grads.items()}
