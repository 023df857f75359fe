"""Calling a learner's function under watch.

:func:`call_learner` runs ``fn(*args)`` and records, without letting anything reach stderr:

* warnings the call raises (``warnings.catch_warnings(record=True)``; numpy floating-point
  problems other than underflow are turned into warnings by ``errstate``), reported on stdout;
* every Python function entered whose code lives in a forbidden directory (``lstmlab/numpy``,
  ``lstmlab/torch``: the reference implementations), via ``sys.setprofile``;
* calls of forbidden C functions by name (``torch``'s fused LSTM kernels).

The checker's own reference computations happen outside these calls, so they are not seen.
"""

from __future__ import annotations

import os
import sys
import warnings
from dataclasses import dataclass, field

import numpy

_LSTMLAB_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REFERENCE_DIRS = (os.path.join(_LSTMLAB_DIR, "numpy"), os.path.join(_LSTMLAB_DIR, "torch"))
_errstate = numpy.errstate  # captured: a notebook rebinding numpy.errstate changes nothing here
_setprofile, _getprofile = sys.setprofile, sys.getprofile


class LearnerError(Exception):
    """The learner's function raised; carries the original exception."""

    def __init__(self, original: BaseException) -> None:
        super().__init__(original)
        self.original = original


@dataclass
class Watch:
    """What one watched call did."""

    forbidden: list[str] = field(default_factory=list)  # "lstmlab/numpy/lstm.py:lstm_forward"
    warnings: list[str] = field(default_factory=list)
    profiler_removed: bool = False


def _short(path: str) -> str:
    """``.../site-packages/torch/nn/modules/rnn.py`` -> ``torch/nn/modules/rnn.py``; lstmlab's
    files relative to the repository."""
    marker = os.sep + "site-packages" + os.sep
    if marker in path:
        return path.split(marker, 1)[1]
    return os.path.relpath(path, os.path.dirname(_LSTMLAB_DIR))


def call_learner(fn, args, watch: Watch, forbidden_dirs=REFERENCE_DIRS, forbidden_c=()):
    """Return ``fn(*args)``; record forbidden calls and warnings in ``watch``.

    Raises :class:`LearnerError` wrapping any exception ``fn`` raises.
    """
    dirs = tuple(os.path.join(d, "") for d in forbidden_dirs)
    files = tuple(d for d in forbidden_dirs if d.endswith(".py"))

    def profiler(frame, event, arg):
        if event == "call":
            filename = frame.f_code.co_filename
            if filename.startswith(dirs) or filename in files:
                where = f"{_short(filename)}:{frame.f_code.co_name}"
                if where not in watch.forbidden:
                    watch.forbidden.append(where)
        elif event == "c_call" and forbidden_c:
            name = getattr(arg, "__name__", "")
            if name in forbidden_c:
                where = f"torch C function {name}"
                if where not in watch.forbidden:
                    watch.forbidden.append(where)

    previous = _getprofile()
    with (warnings.catch_warnings(record=True) as caught,
          _errstate(over="warn", divide="warn", invalid="warn", under="ignore")):
        warnings.simplefilter("always")
        _setprofile(profiler)
        try:
            result = fn(*args)
        except Exception as exc:  # the learner's bug, reported by the caller
            raise LearnerError(exc) from exc
        finally:
            watch.profiler_removed = watch.profiler_removed or _getprofile() is not profiler
            _setprofile(previous)
    for w in caught:
        text = f"{w.category.__name__}: {w.message}"
        if text not in watch.warnings:
            watch.warnings.append(text)
    return result
