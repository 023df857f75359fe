"""The machinery shared by every check: call, validate, compare, diagnose, report.

A check builds cases (inputs plus a label), calls the learner's function through
:meth:`Check.call`, validates what came back (:meth:`Check.array`), compares it with the
reference (:meth:`Check.compare`) and, on a mismatch, raises ``AssertionError`` with a
diagnosis: which output, max abs / relative error, the first index outside tolerance,
expected vs actual there, and a hint when a known-wrong variant reproduces the learner's
output.  nbgrader marks a test cell failed when it raises, and gives it its points when it
prints nothing to stderr: warnings the learner's code raises are captured and printed on stdout.
"""

from __future__ import annotations

import os
import traceback

from lstmlab import evidence

from . import _guard, _safe

_GRADING_DIR = os.path.dirname(os.path.abspath(__file__))

ATOL, RTOL = 1e-8, 1e-6  # float64 implementations of the same formula agree to ~1e-14
HINT_ATOL, HINT_RTOL = 1e-6, 1e-5  # a variant "matches" a bit more loosely


def _private_copy(value):
    """Arrays (also inside a dict) are copied, so a learner's in-place edit can't reach ours."""
    if type(value) is _safe.NDARRAY:
        return _safe.NDARRAY.copy(value)
    if type(value) is dict:
        return {k: _private_copy(v) for k, v in value.items()}
    return value  # e.g. the learner's own cache: theirs to modify


def _fingerprint(value):
    if type(value) is _safe.NDARRAY:
        return bytes(_safe.NDARRAY.tobytes(value))
    if type(value) is dict:
        return tuple((k, _fingerprint(v)) for k, v in value.items())
    return None


class Case:
    """One set of inputs: ``label`` says which (e.g. "random, seed 3"), ``sizes`` the letters."""

    def __init__(self, label: str, sizes: dict, **arrays) -> None:
        self.label, self.sizes, self.arrays = label, sizes, arrays

    def describe(self) -> str:
        sizes = ", ".join(f"{k}={v}" for k, v in self.sizes.items())
        return f'case "{self.label}" ({sizes})'


def _fmt(value: float) -> str:
    return f"{value:.6g}"


def _size(d, sizes) -> int:
    """A dimension: an int, a letter ("H") or a multiple of one ("4H")."""
    if isinstance(d, int):
        return d
    return (int(d[:-1]) if len(d) > 1 else 1) * sizes[d[-1]]


def _shape_text(dims, sizes) -> str:
    tail = ",)" if len(dims) == 1 else ")"
    symbolic = ", ".join(str(d) for d in dims)
    concrete = ", ".join(str(_size(d, sizes)) for d in dims)
    return f"({symbolic}{tail} = ({concrete}{tail}"


class Check:
    """One run of a check function against one learner function (or a pair)."""

    def __init__(self, name: str, forbidden_dirs=_guard.REFERENCE_DIRS, forbidden_c=()) -> None:
        self.name = name
        self.forbidden_dirs, self.forbidden_c = forbidden_dirs, forbidden_c
        self.warnings: list[str] = []
        bad = _safe.numpy_tampering()
        if bad:
            self.fail(
                "numpy has been modified in this notebook: "
                + ", ".join(f"numpy.{b}" for b in bad)
                + " no longer is numpy's own function, so no check can be trusted.",
                hint="remove the cell that assigns to numpy attributes, restart the kernel "
                "(Kernel > Restart) and run all cells again.",
            )
        # Under the autograder: records every learner value (or, replaying outside the
        # kernel, supplies them); None in a learner's own Jupyter (see lstmlab.evidence).
        self.evidence = evidence.start(name)

    # ------------------------------------------------------------------ failing
    def fail(self, *lines: str, hint: str | None = None, case: Case | None = None):
        head = f"{self.name}: not right yet"
        if case is not None:
            head += f", {case.describe()}"
        body = [head + "."] + [f"  {line}" for line in lines if line]
        if hint:
            body.append(f"  Hint: {hint}")
        raise AssertionError("\n".join(body))

    # ------------------------------------------------------------------ calling
    def call(self, fn, args: tuple, case: Case, what: str | None = None, arg_names=()):
        """``fn(*args)`` under watch.  Inputs are deep copies; their mutation is reported.

        Replaying evidence (outside the kernel), ``fn`` is not called: the value it returned
        in the kernel is returned instead.
        """
        if self.evidence is not None and self.evidence.replaying:
            return self.evidence.keep()
        what = what or getattr(fn, "__name__", self.name)
        if not callable(fn):
            self.fail(f"expected a function for {what}, got {type(fn).__name__}.",
                      hint="pass the function itself, without calling it: check(my_fn), not check(my_fn()).")
        private = tuple(_private_copy(a) for a in args)
        before = [_fingerprint(a) for a in private]
        watch = _guard.Watch()
        try:
            result = _guard.call_learner(fn, private, watch, self.forbidden_dirs, self.forbidden_c)
        except _guard.LearnerError as err:
            exc = err.original
            frames = [f for f in traceback.extract_tb(exc.__traceback__) if _GRADING_DIR not in f.filename]
            where = ""
            if frames:
                last = frames[-1]
                where = f" in {last.name}, line {last.lineno}" + (f": {last.line}" if last.line else "")
            self.fail(f"calling {what} raised {type(exc).__name__}: {exc}", f"(raised{where})" if where else None,
                      case=case, hint="call it yourself on arrays of these shapes to see the full traceback.")
        if watch.forbidden:
            lstmlab = any(w.startswith("lstmlab") for w in watch.forbidden)
            whose = "lstmlab's reference implementation" if lstmlab else "torch's own LSTM"
            self.fail(
                f"{what} called {whose} ({', '.join(watch.forbidden[:3])}).",
                "The point of the exercise is to write it yourself; the reference is what it is compared with.",
                hint="use only numpy (np.tanh, np.exp, @, ...) and your own functions." if lstmlab else
                "build the gates from tensor operations (@, torch.sigmoid, torch.tanh), not nn.LSTM / nn.LSTMCell.",
                case=case)
        if watch.profiler_removed:
            self.fail(f"{what} removed the checker's call monitor (sys.setprofile).",
                      hint="don't call sys.setprofile in your solution.", case=case)
        for i, (a, b) in enumerate(zip(private, before)):
            if b is not None and _fingerprint(a) != b:
                name = arg_names[i] if i < len(arg_names) else f"argument {i + 1}"
                self.fail(f"{what} modified its input '{name}' in place.",
                          hint=f"work on a copy ({name} = {name}.copy()) or build new arrays "
                          "(a = a + b rather than a += b).", case=case)
        for w in watch.warnings:
            if w not in self.warnings:
                self.warnings.append(w)
        return self.keep(result)

    def keep(self, value):
        """A value the learner supplied (a returned value, or data handed to the check):
        recorded as evidence under the autograder, replaced by the recorded one in replay."""
        return value if self.evidence is None else self.evidence.keep(value)

    def unpack(self, result, names: tuple, case: Case, what: str):
        """Check that ``result`` is a tuple of ``len(names)`` items; return it as a tuple."""
        wanted = f"({', '.join(names)})"
        if len(names) == 1:
            return (result,)
        if not isinstance(result, (tuple, list)):
            self.fail(f"{what} returned a {type(result).__name__}; expected a tuple {wanted}.",
                      hint=f"end it with: return {', '.join(names)}", case=case)
        if len(result) != len(names):
            self.fail(f"{what} returned {len(result)} values; expected {len(names)}: {wanted}.",
                      hint=f"end it with: return {', '.join(names)}", case=case)
        return tuple(result)

    def array(self, name: str, value, dims: tuple, case: Case, what: str):
        """Strict type / dtype / shape check of one returned array."""
        expected_shape = _shape_text(dims, case.sizes)
        if type(value) is not _safe.NDARRAY:
            kind = type(value).__name__
            if isinstance(value, _safe.NDARRAY):
                self.fail(f"{what} returned {name} as a {kind}, a subclass of numpy.ndarray.",
                          hint=f"return a plain array: np.asarray({name}).", case=case)
            if isinstance(value, (list, tuple)):
                hint = f"build {name} as an array, e.g. np.stack(list_of_steps) or np.array({name})."
            elif isinstance(value, float):
                hint = f"{name} must be an array of shape {expected_shape}, not a number."
            else:
                hint = f"{name} must be a numpy.ndarray of shape {expected_shape}."
            self.fail(f"{what} returned {name} as a {kind}; expected a numpy.ndarray.", hint=hint, case=case)
        dtype = str(value.dtype)
        if value.dtype.char != "d":
            self.fail(f"{what} returned {name} with dtype {dtype}; expected float64.",
                      hint="keep float64 throughout: don't pass dtype=np.float32 or int when creating arrays "
                      "(np.zeros(shape) is already float64).", case=case)
        got = _safe.shape_of(value)
        want = tuple(_size(d, case.sizes) for d in dims)
        if got != want:
            hint = None
            if len(got) == len(want) == 3 and got == (want[1], want[0], want[2]):
                hint = ("the first two axes are swapped: lstmlab is time-major, x is (T, N, D) and "
                        "x[t] is the batch at step t. Loop over x.shape[0] and stack along axis 0.")
            elif len(got) == len(want) == 2 and got == (want[1], want[0]):
                hint = (f"{name} is transposed: for a weight W of shape {dims}, the gradient has W's shape "
                        "(e.g. da.T @ x, not x.T @ da).")
            self.fail(f"{what} returned {name} with shape {got}; expected {expected_shape}.",
                      hint=hint or f"{name} has the shape of the thing it is the value (or gradient) of.", case=case)
        return value

    # ------------------------------------------------------------------ comparing
    def compare(self, name: str, actual, expected, case: Case, what: str, variants=None,
                generic_hint: str | None = None, atol: float = ATOL, rtol: float = RTOL,
                preface: str | None = None):
        """Fail with a diagnosis unless ``actual`` matches ``expected``.

        ``variants``: a callable returning ``[(hint, {name: array}), ...]`` for known
        mistakes; computed only on a mismatch.
        """
        result = _safe.Comparison(actual, expected, atol, rtol)
        if result.ok:
            return
        index, exp, got = result.where()
        index_text = ", ".join(str(i) for i in index)
        lines = [
            preface,
            f"output {name}: max abs error {result.max_abs:.3g}, max rel error {result.max_rel:.3g} "
            f"(tolerance {atol:g} + {rtol:g} * |expected|).",
            f"first large difference at {name}[{index_text}]: expected {_fmt(exp)}, got {_fmt(got)}.",
        ]
        if result.nonfinite:
            lines.append(f"{name} contains nan or inf.")
        hint = None
        for variant_hint, outputs in (variants() if variants else []):
            candidate = outputs.get(name)
            if candidate is None or _safe.shape_of(candidate) != _safe.shape_of(actual):
                continue
            if (_safe.close(actual, candidate, HINT_ATOL, HINT_RTOL)
                    and not _safe.close(candidate, expected, atol, rtol)):
                hint = variant_hint
                break
        self.fail(*lines, hint=hint or generic_hint, case=case)

    def finish(self) -> None:
        """The check passed: write its evidence, and report captured warnings on stdout (never
        stderr, which nbgrader counts as a failure)."""
        if self.evidence is not None:
            self.evidence.done()
        if self.warnings:
            print(f"{self.name}: passed, but your code raised warnings while being checked:")
            for w in self.warnings[:5]:
                print(f"  {w}")
            if any("overflow" in w for w in self.warnings):
                print("  (overflow in exp: a sigmoid written as 1/(1+np.exp(-a)) overflows for large -a;"
                      " np.exp(-np.abs(a)) with np.where avoids it.)")
