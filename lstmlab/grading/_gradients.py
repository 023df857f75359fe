"""Checks for the gradients assignment: gradient norms through time and clipping.

``clip_grad_norm(grads, max_norm) -> (clipped, total_norm)`` and
``clip_grad_value(grads, clip) -> clipped`` take and return dicts of float64 arrays, like
``lstmlab.numpy.optim``; ``hidden_grad_norms(x, h0, W_ih, W_hh, b_ih, b_hh, dh_last)``
returns the (T,) norms of dL/dh_t for L = sum(h_{T-1} * dh_last).
"""

from __future__ import annotations

import math

import numpy as np

from . import _safe
from ._check import Case, Check
from ._reference import ref

_CLIP_RTOL = 1e-5  # torch's 1e-6 in max_norm / (norm + 1e-6) may or may not be there


def _grad_cases(seed: int):
    rng = np.random.default_rng(seed)

    def grads(scale):
        return {"W_ih": rng.standard_normal((8, 3)) * scale, "W_hh": rng.standard_normal((8, 2)) * scale,
                "b_ih": rng.standard_normal(8) * scale}

    return [
        (Case("exploding gradients, max_norm=1", {}), grads(50.0), 1.0),
        (Case(f"random, seed {seed}, max_norm=5", {}), grads(2.0 + seed % 3), 5.0),
        (Case("already small, max_norm=5", {}), grads(0.01), 5.0),
        (Case("a single array", {}), {"W": rng.standard_normal((4, 4)) * 10}, 2.0),
        (Case("all zeros", {}), {"W": np.zeros((3, 2)), "b": np.zeros(3)}, 1.0),
    ]


def _norm(grads):
    return math.sqrt(sum(v * v for g in grads.values() for v in _safe.floats(g)))


def _check_dict(check: Check, what, out, grads, case):
    if type(out) is not dict:
        check.fail(f"{what} returned clipped gradients as a {type(out).__name__}; expected a dict "
                   "with the same keys as grads.", hint="build it with {k: ... for k, g in grads.items()}.",
                   case=case)
    if set(out) != set(grads):
        check.fail(f"{what} returned keys {sorted(out)}; expected {sorted(grads)}.", case=case,
                   hint="return one entry per entry of grads, under the same name.")
    for k, g in grads.items():
        dims = tuple("ABCD"[: g.ndim])  # letters only to name the shape of grads[k]
        check.array(k, out[k], dims, Case(case.label, dict(zip(dims, g.shape))), what)


def check_clip_grad_norm(fn, seed: int = 0) -> None:
    """Check ``fn(grads, max_norm) -> (clipped, total_norm)`` against lstmlab.numpy.optim."""
    check = Check("check_clip_grad_norm")
    for case, grads, max_norm in _grad_cases(seed):
        result = check.call(fn, (grads, max_norm), case, "clip_grad_norm", ("grads", "max_norm"))
        clipped, total = check.unpack(result, ("clipped", "total_norm"), case, "clip_grad_norm")
        _check_dict(check, "clip_grad_norm", clipped, grads, case)
        exp_clipped, exp_total = ref.optim.clip_grad_norm(grads, max_norm)
        if not isinstance(total, float):
            check.fail(f"clip_grad_norm returned total_norm as a {type(total).__name__}; expected a float.",
                       hint="return float(total_norm).", case=case)
        if not abs(total - exp_total) <= 1e-9 + 1e-9 * exp_total:
            after = _norm(clipped)
            hint = None
            if abs(total - after) <= 1e-6 * max(after, 1.0):
                hint = "return the norm measured before clipping (it is what one logs to see gradients explode)."
            elif (abs(total - sum(math.sqrt(sum(v * v for v in _safe.floats(g))) for g in grads.values()))
                  < 1e-9 * (1 + total)):
                hint = "the global norm is sqrt(sum over arrays of ||g||**2), not the sum of the norms."
            check.fail(f"total_norm: expected {exp_total:.6g}, got {total:.6g}.", case=case,
                       hint=hint or "total_norm = sqrt(sum of the squares of every entry of every array).")

        def variants():
            out = []
            per_array = {k: g * min(1.0, max_norm / (_norm({k: g}) + 1e-6)) for k, g in grads.items()}
            out.append(("all arrays are scaled by one common factor max_norm / global_norm; yours clips each "
                        "array to max_norm separately.", per_array))
            norm = _norm(grads)
            if 0 < norm < max_norm:
                out.append(("scale only when the global norm exceeds max_norm: shorter gradients come back unchanged.",
                            {k: g * (max_norm / norm) for k, g in grads.items()}))
            return out

        for k in grads:
            check.compare(k, clipped[k], exp_clipped[k], case, "clip_grad_norm", variants=variants,
                          rtol=_CLIP_RTOL, atol=1e-9,
                          generic_hint="clipped = g * min(1, max_norm / (total_norm + 1e-6)) for every array g; "
                          "with a zero norm nothing changes.")
    check.finish()


def check_clip_grad_value(fn, seed: int = 0) -> None:
    """Check ``fn(grads, clip) -> clipped`` (every entry limited to [-clip, clip])."""
    check = Check("check_clip_grad_value")
    for case, grads, clip in _grad_cases(seed):
        clip = clip * 0.5
        result = check.call(fn, (grads, clip), case, "clip_grad_value", ("grads", "clip"))
        _check_dict(check, "clip_grad_value", result, grads, case)
        expected = ref.optim.clip_grad_value(grads, clip)

        def variants():
            return [("clip on both sides: entries below -clip become -clip too.",
                     {k: np.minimum(g, clip) for k, g in grads.items()}),
                    ("this is value clipping: every entry separately to [-clip, clip], not a rescaling by the norm.",
                     ref.optim.clip_grad_norm(grads, clip)[0])]

        for k in grads:
            check.compare(k, result[k], expected[k], case, "clip_grad_value", variants=variants,
                          generic_hint="np.clip(g, -clip, clip) for every array.")
    check.finish()


def _grad_norm_cases(seed: int):
    rng = np.random.default_rng(seed)
    cases = []
    for radius in (0.5, 1.0, 3.0):
        T, N, D, H = 12, 2, 3, 6
        W = rng.standard_normal((H, H))
        W *= radius / np.max(np.abs(np.linalg.eigvals(W)))  # spectral radius `radius`
        args = (rng.standard_normal((T, N, D)) * 0.5, np.zeros((N, H)), rng.standard_normal((H, D)) * 0.3,
                W, np.zeros(H), np.zeros(H), rng.standard_normal((N, H)))
        cases.append((Case(f"spectral radius {radius}, seed {seed}", dict(T=T, N=N, D=D, H=H)), args))
    return cases


def _reference_norms(args, *, pre_activation=False, tanh_grad=True):
    x, h0, W_ih, W_hh, b_ih, b_hh, dh_last = args
    hs, _ = ref.rnn_forward(x, h0, W_ih, W_hh, b_ih, b_hh)
    T = x.shape[0]
    norms = np.zeros(T)
    dh = dh_last
    for t in reversed(range(T)):
        da = dh * (1 - hs[t] ** 2) if tanh_grad else dh
        norms[t] = np.sqrt(np.sum((da if pre_activation else dh) ** 2))
        dh = da @ W_hh
    return norms


def check_hidden_grad_norms(fn, seed: int = 0) -> None:
    """Check ``fn(x, h0, W_ih, W_hh, b_ih, b_hh, dh_last) -> norms (T,)``, ``norms[t] = ||dL/dh_t||``."""
    check = Check("check_hidden_grad_norms")
    names = ("x", "h0", "W_ih", "W_hh", "b_ih", "b_hh", "dh_last")
    for case, args in _grad_norm_cases(seed):
        norms = check.call(fn, args, case, "hidden_grad_norms", names)
        check.array("norms", norms, ("T",), case, "hidden_grad_norms")
        expected = _reference_norms(args)

        def variants():
            return [("measure the gradient at h_t, before it is multiplied by (1 - h_t**2).",
                     {"norms": _reference_norms(args, pre_activation=True)}),
                    ("norms[t] belongs to step t: norms[T-1] is the norm of dh_last, and earlier steps come first.",
                     {"norms": expected[::-1].copy()}),
                    ("going back one step multiplies by the tanh derivative: dh_{t-1} = (dh_t * (1 - h_t**2)) @ W_hh.",
                     {"norms": _reference_norms(args, tanh_grad=False)})]

        check.compare("norms", norms, expected, case, "hidden_grad_norms", variants=variants,
                      generic_hint="norms[t] = sqrt(sum of dL/dh_t squared) over the batch and hidden units.")
    check.finish()
