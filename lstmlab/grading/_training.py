"""Checks on trained models: the adding problem, and clipping rescuing a diverging run."""

from __future__ import annotations

import math
import os

from lstmlab import evidence

from . import _guard, _private, _safe
from ._check import Case, Check

_LSTMLAB_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ADDING_BASELINE_MSE = 1.0 / 6.0  # = lstmlab.data.ADDING_BASELINE_MSE (predicting 1 always)
# Fused LSTM kernels and torch.nn.LSTM's code: a "from the equations" model must not use them.
TORCH_LSTM_C = ("lstm", "lstm_cell", "_thnn_fused_lstm_cell", "quantized_lstm_cell")


def torch_rnn_file() -> str:
    """The file of torch.nn.LSTM's Python code (a model "from the equations" must not run it)."""
    import torch.nn.modules.rnn as rnn

    return rnn.__file__


def check_adding_predictions(predict, target_mse: float, T: int, seed: int = 1234, n: int = 512,
                             torch_model: bool = False) -> None:
    """Check that ``predict(x) -> (N, 1)`` reaches ``target_mse`` on fresh adding problems.

    ``x`` is a float64 ``(T, N, 2)`` batch of :func:`lstmlab.data.adding_problem` (two-marker
    form) the learner has never seen.  ``torch_model=True`` also forbids torch.nn.LSTM.
    """
    check = Check("check_adding_predictions")
    # A private copy of lstmlab/data/synthetic.py: rebinding lstmlab.data.adding_problem in the notebook
    # (to easy data) changes nothing here.
    data = _private.load_module(os.path.join(_LSTMLAB_DIR, "data", "synthetic.py"), "data")
    batch = data.adding_problem(n, T, seed)
    case = Case(f"{n} fresh sequences, seed {seed}", dict(T=T, N=n, D=2))
    dirs, c_names = _guard.REFERENCE_DIRS, ()
    if torch_model:
        dirs, c_names = (*dirs, torch_rnn_file()), TORCH_LSTM_C
    check.forbidden_dirs, check.forbidden_c = dirs, c_names
    pred = check.call(predict, (batch.x,), case, "predict", ("x",))
    if type(pred) is not _safe.NDARRAY and hasattr(pred, "detach"):
        check.fail("predict returned a torch tensor; expected a NumPy array.",
                   hint="end predict with .detach().cpu().numpy().", case=case)
    check.array("prediction", pred, ("N", 1), case, "predict")
    p, y = _safe.floats(pred), _safe.floats(batch.y)
    mse = sum((a - b) ** 2 for a, b in zip(p, y)) / len(y)
    failed_backward = [c for c in evidence.failed_checks() if c.endswith("_backward")]
    if not (math.isfinite(mse) and mse < target_mse):
        check.fail(f"MSE {mse:.4g} on {case.label}; needs < {target_mse:g} "
                   f"(always predicting 1 scores {ADDING_BASELINE_MSE:.4g}).", case=case,
                   hint=_training_hint(mse, target_mse, failed_backward))
    check.finish()
    if failed_backward:
        print(f"check_adding_predictions: passed, although {', '.join(failed_backward)} failed in this notebook: "
              "the model learned with a gradient that is not the exact one. Fix the backward pass too.")


def _training_hint(mse: float, target: float, failed_backward: list[str]) -> str:
    """What to try first: "close" only within 3x of the target; a stall well above it points
    at the gradient first (a slightly wrong backward still lowers the loss, then stalls)."""
    if math.isfinite(mse) and mse < 3 * target:
        return "close (within 3x of the target): a few more training steps should do it."
    if failed_backward:
        return (f"{', '.join(failed_backward)} failed above: training follows that gradient, so make those "
                "cells pass first.")
    if math.isfinite(mse) and mse < ADDING_BASELINE_MSE * 0.8:
        return ("the loss stalls well above the target: run the gradient check cell first (a backward pass that is "
                "slightly wrong still lowers the loss, then stalls); if it passes, train longer.")
    return ("the model predicts no better than always answering 1: run the gradient check cell, check that the "
            "loss is falling, and make sure predict uses the trained parameters.")


def _floats_or_none(values):
    try:
        return [float(v) for v in values]
    except (TypeError, ValueError):
        return None


def check_clipping_rescue(losses_plain, losses_clipped, target: float) -> None:
    """Check that clipping rescues a run that fails without it.

    ``losses_*``: the training loss at every step of the same run without and with
    clipping (sequences of floats; nan/inf allowed).  The plain run must fail (a non-finite
    loss, or a final loss -- mean of its last tenth -- of at least ``target``); the clipped
    run must stay finite and end below ``target``.
    """
    check = Check("check_clipping_rescue")
    case = Case("your two training runs", {})
    runs = {}
    for name, losses in (("losses_plain", losses_plain), ("losses_clipped", losses_clipped)):
        # Reading the learner's sequence is learner code too (their __iter__, __float__): a call.
        values = check.call(lambda: _floats_or_none(losses), (), case, name)
        if values is None:
            check.fail(f"{name} must be a sequence of numbers (one loss per step), got {type(losses).__name__}.",
                       case=case)
        if len(values) < 10:
            check.fail(f"{name} has {len(values)} losses; record one per training step (at least 10).", case=case)
        runs[name] = values

    def final(values):
        tail = values[-max(1, len(values) // 10):]
        return sum(tail) / len(tail)

    plain, clipped = runs["losses_plain"], runs["losses_clipped"]
    if not all(math.isfinite(v) for v in clipped) or not final(clipped) < target:
        check.fail(f"with clipping the final loss is {final(clipped):.4g}; "
                   f"it should stay finite and end below {target:g}.",
                   case=case, hint="clip the gradient after computing it and before the update "
                   "(grads, norm = clip_grad_norm(grads, max_norm)); try a smaller max_norm.")
    if all(math.isfinite(v) for v in plain) and final(plain) < target:
        check.fail(f"the run without clipping also ends below {target:g} ({final(plain):.4g}), so it shows "
                   "nothing about clipping.", case=case,
                   hint="use the exploding setting of the notebook for both runs; only clipping should differ.")
    check.finish()
