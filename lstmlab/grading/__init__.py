"""Checks that nbgrader test cells call, with diagnostics a learner can act on.

Each ``check_*`` runs the learner's function on fixed, random (``seed``) and edge cases
(N=1, T=1, T=N, large inputs) in float64 and compares it with a private copy of
``lstmlab.numpy``.  On a mismatch it raises ``AssertionError`` naming the output, the max
absolute and relative error, the first index outside tolerance with expected vs actual
values, and -- when a known mistake reproduces the learner's numbers -- what that mistake
is (gate order, a missing tanh, a dropped gradient, batch-major loops, ...).  Passing checks
print nothing, except warnings the learner's code raised, which go to stdout.

Integrity: while the learner's function runs, any call into ``lstmlab/numpy`` or
``lstmlab/torch`` fails the check; numpy attributes replaced by the notebook fail every
check; arrays are compared in plain Python over their float64 bytes.  The attributes of
this module cannot be reassigned, and hidden test cells call :func:`fresh`, which loads the
checks (and the reference) again from their source files, so editing this module's
internals from a notebook does not change what hidden tests see.  Under the autograder each
check also records the values the learner's code returned (:mod:`lstmlab.evidence`), and
the grader replays passed test cells from them outside the kernel: whatever a notebook does
to its own interpreter, a pass counts only if the real checks accept those values.

Shapes: T time steps, N batch, D input size, H hidden size; x is (T, N, D).

Import rule: modules of this package import each other **relatively** (``from ._check import
...``).  :func:`fresh` executes the package again from its source files under a private name;
an absolute ``from lstmlab.grading._check import ...`` would reach the already-imported module a
notebook may have patched.  ``tests/test_import_rules.py`` enforces it.
"""

from __future__ import annotations

import functools
import os
import sys
import sysconfig
import traceback
import types

from ._cells import check_backward as _check_backward
from ._cells import check_forward as _check_forward
from ._charlm import (check_bits_per_char, check_build_vocab, check_charlm_bpc, check_cross_entropy,
                      check_encode, check_make_batches, check_temperature_probs, check_train_epoch,
                      check_window_step)
from ._gradients import check_clip_grad_norm, check_clip_grad_value, check_hidden_grad_norms
from ._training import check_adding_predictions, check_clipping_rescue
from ._torch import check_torch_lstm

__all__ = [
    "check_adding_predictions",
    "check_bits_per_char",
    "check_build_vocab",
    "check_charlm_bpc",
    "check_clip_grad_norm",
    "check_clip_grad_value",
    "check_clipping_rescue",
    "check_cross_entropy",
    "check_encode",
    "check_hidden_grad_norms",
    "check_lstm_backward",
    "check_lstm_forward",
    "check_lstm_step_backward",
    "check_lstm_step_forward",
    "check_make_batches",
    "check_rnn_backward",
    "check_rnn_forward",
    "check_rnn_step_backward",
    "check_rnn_step_forward",
    "check_temperature_probs",
    "check_torch_lstm",
    "check_train_epoch",
    "check_window_step",
    "fresh",
]


def check_rnn_step_forward(fn, seed: int = 0) -> None:
    """Check ``fn(x, h_prev, W_ih, W_hh, b_ih, b_hh) -> (h, cache)``; x (N, D), h (N, H)."""
    _check_forward("rnn_step", fn, seed, "check_rnn_step_forward")


def check_rnn_step_backward(forward, backward, seed: int = 0, grads=None) -> None:
    """Check ``backward(dh, cache) -> (dx, dh_prev, dW_ih, dW_hh, db_ih, db_hh)``.

    ``forward`` (the learner's ``rnn_step_forward``, which must pass) makes the cache;
    ``grads`` restricts the check to some gradients, e.g. ``("dx", "dh_prev")``.
    """
    _check_backward("rnn_step", forward, backward, seed, grads, "check_rnn_step_backward")


def check_rnn_forward(fn, seed: int = 0) -> None:
    """Check ``fn(x, h0, W_ih, W_hh, b_ih, b_hh) -> (hs, cache)``; x (T, N, D), hs (T, N, H)."""
    _check_forward("rnn", fn, seed, "check_rnn_forward")


def check_rnn_backward(forward, backward, seed: int = 0, grads=None) -> None:
    """Check ``backward(dhs, cache) -> (dx, dh0, dW_ih, dW_hh, db_ih, db_hh)`` (BPTT)."""
    _check_backward("rnn", forward, backward, seed, grads, "check_rnn_backward")


def check_lstm_step_forward(fn, seed: int = 0) -> None:
    """Check ``fn(x, h_prev, c_prev, W_ih, W_hh, b_ih, b_hh) -> (h, c, cache)``; gates i, f, g, o."""
    _check_forward("lstm_step", fn, seed, "check_lstm_step_forward")


def check_lstm_step_backward(forward, backward, seed: int = 0, grads=None) -> None:
    """Check ``backward(dh, dc, cache) -> (dx, dh_prev, dc_prev, dW_ih, dW_hh, db_ih, db_hh)``."""
    _check_backward("lstm_step", forward, backward, seed, grads, "check_lstm_step_backward")


def check_lstm_forward(fn, seed: int = 0) -> None:
    """Check ``fn(x, h0, c0, W_ih, W_hh, b_ih, b_hh) -> (hs, cs, cache)``; hs, cs (T, N, H)."""
    _check_forward("lstm", fn, seed, "check_lstm_forward")


def check_lstm_backward(forward, backward, seed: int = 0, grads=None) -> None:
    """Check ``backward(dhs, cache) -> (dx, dh0, dc0, dW_ih, dW_hh, db_ih, db_hh)`` (BPTT)."""
    _check_backward("lstm", forward, backward, seed, grads, "check_lstm_backward")


def fresh():
    """A private copy of this module, executed again from its source files.

    Hidden test cells call ``fresh().check_...(...)``: whatever a notebook did to the
    already-imported ``lstmlab.grading`` (or to ``lstmlab.numpy``), the copy starts clean.
    """
    from ._private import load_package

    return load_package(os.path.dirname(os.path.abspath(__file__)), "grading")


class _CheckFailed(AssertionError):
    """A failed check.  IPython shows an exception's ``_render_traceback_()`` instead of its
    traceback: here the frames outside this package (the test cell's line) and the message,
    never the checks' own frames."""

    def _render_traceback_(self) -> list[str]:
        # Not the learner's: this package, and installed code (IPython's exec of the cell).
        skip = (os.path.dirname(os.path.abspath(__file__)),
                *{sysconfig.get_paths()[k] for k in ("stdlib", "purelib", "platlib")})
        frames = [f for f in traceback.extract_tb(self.__traceback__) if not f.filename.startswith(skip)]
        return [*"".join(traceback.format_list(frames)).rstrip("\n").splitlines(), f"AssertionError: {self}"]


# Feedback and nbgrader name the error by its class: it stays "AssertionError".
_CheckFailed.__name__ = _CheckFailed.__qualname__ = "AssertionError"


def _short_traceback(check):
    """Re-raise a failed check's AssertionError from the check itself, so the traceback a
    learner sees is their cell and the message, not the checker's internals."""

    @functools.wraps(check)
    def wrapper(*args, **kwargs):
        try:
            return check(*args, **kwargs)
        except AssertionError as failure:
            message = str(failure)
        raise _CheckFailed(message) from None

    return wrapper


for _name in __all__:
    if _name.startswith("check_"):
        globals()[_name] = _short_traceback(globals()[_name])
del _name


class _ReadOnlyModule(types.ModuleType):
    """The public names of this module cannot be rebound from a notebook."""

    def __setattr__(self, name, value):
        if name in __all__:
            raise AttributeError(
                f"lstmlab.grading.{name} is read-only: the checks cannot be replaced from a notebook.")
        super().__setattr__(name, value)

    def __delattr__(self, name):
        if name in __all__:
            raise AttributeError(f"lstmlab.grading.{name} is read-only.")
        super().__delattr__(name)


sys.modules[__name__].__class__ = _ReadOnlyModule
