"""Evidence of a check: what the learner's code returned, recorded where it ran, replayed elsewhere.

Every ``lstmlab.grading`` check calls the learner's code only through
``Check.call`` (and takes learner data through ``Check.keep``).  Under the autograder, the
kernel that runs a notebook has ``LSTMLAB_EVIDENCE`` set to a file in its scratch folder;
each check that passes appends one JSON line there: the check's name and every value the
learner's code gave it, in order.  The grader then runs the same test cell again *outside*
the kernel (:func:`replay_cell`), in its own process where no learner code has run:
the checks there take each learner value from the evidence instead of calling anything,
compute the reference themselves and decide again.  A test cell that passed in the kernel
only counts if its replay passes too.

What this buys: whatever a notebook does to the kernel it runs in -- patching IPython so
that test cells never run, faking the grading module, numpy or builtins -- it cannot make
the grader's own checks accept values that are wrong.  A forged evidence file can only
claim values, and the values are checked; missing evidence fails.  What it cannot do:
tell whether right values were computed honestly (e.g. by a copy of the reference).

Values are stored as JSON with tags; arrays as their raw bytes with dtype, shape and order
(numeric dtypes only), so reading evidence never runs code.  Objects that are not plain
data (a learner's own cache class, a module) are kept as :class:`Opaque` placeholders:
the checks only pass them back to the learner's code, which replay never calls.
"""

from __future__ import annotations

import ast
import base64
import builtins
import json
import math
import os
from collections import deque
from contextlib import contextmanager

import numpy as np

#: Environment variable naming the evidence file (set only by the autograder's sandbox).
ENV = "LSTMLAB_EVIDENCE"

#: Largest evidence of one check, in characters of JSON (a faithful check writes well under 1 MB).
MAX_CHARS = 32 * 1024**2

_SCALARS = (bool, int, float, str, type(None))


class EvidenceError(AssertionError):
    """Replay found no evidence, or evidence that does not fit the check (an AssertionError,
    so the checks' own failure handling reports it like any failed check)."""


class Opaque:
    """Stands in, during replay, for a learner object that is not plain data."""

    def __init__(self, type_name: str) -> None:
        self.type_name = type_name

    def __repr__(self) -> str:
        return f"<{self.type_name} (not recorded)>"


# --------------------------------------------------------------------------- encoding

def encode(value, depth: int = 0):
    """A JSON-able form of ``value`` that :func:`decode` turns back into an equal value of
    the exact same type (arrays, numpy scalars, tuples, lists, str-keyed dicts, Python
    scalars); anything else becomes ``{"opaque": type name}``."""
    kind = type(value)
    if depth > 20:
        return {"opaque": kind.__name__}
    if kind is float and not math.isfinite(value):
        return {"float": repr(value)}  # JSON has no nan / inf
    if kind in _SCALARS:
        return value
    if kind is np.ndarray and not value.dtype.hasobject and value.dtype.fields is None:
        order = "F" if value.flags.f_contiguous and not value.flags.c_contiguous else "C"
        return {"ndarray": base64.b64encode(value.tobytes(order=order)).decode("ascii"),
                "array": [value.dtype.str, list(value.shape), order]}
    if isinstance(value, np.generic) and kind.__module__ == "numpy" and not value.dtype.hasobject:
        return {"npscalar": value.dtype.str, "value": encode(value.item(), depth + 1)}
    if kind is tuple or kind is list:
        return {kind.__name__: [encode(v, depth + 1) for v in value]}
    if kind is dict and all(type(k) is str for k in value):
        return {"dict": {k: encode(v, depth + 1) for k, v in value.items()}}
    return {"opaque": getattr(kind, "__qualname__", "object")}


def decode(obj):
    """Inverse of :func:`encode`.  Raises :class:`EvidenceError` on anything malformed."""
    if obj is None or type(obj) in (bool, int, float, str):
        return obj
    if type(obj) is not dict or not 1 <= len(obj) <= 2:
        raise EvidenceError(f"malformed evidence value {str(obj)[:80]!r}")
    try:
        if "float" in obj:
            return float(obj["float"])
        if "ndarray" in obj:
            return _array(base64.b64decode(obj["ndarray"], validate=True), *obj["array"])
        if "npscalar" in obj:
            dtype = np.dtype(obj["npscalar"])
            if dtype.hasobject:
                raise EvidenceError("object dtype in evidence")
            return dtype.type(decode(obj["value"]))
        if "tuple" in obj:
            return tuple(decode(v) for v in obj["tuple"])
        if "list" in obj:
            return [decode(v) for v in obj["list"]]
        if "dict" in obj:
            return {str(k): decode(v) for k, v in obj["dict"].items()}
        if "opaque" in obj:
            return Opaque(str(obj["opaque"]))
    except EvidenceError:
        raise
    except Exception as err:  # bad base64, a truncated .npy, a wrong type inside
        raise EvidenceError(f"malformed evidence value: {type(err).__name__}: {err}") from None
    raise EvidenceError(f"malformed evidence value {str(obj)[:80]!r}")


def _array(data: bytes, dtype: str, shape: list, order: str) -> np.ndarray:
    """An array from its raw bytes; only plain numeric / bool / string dtypes (never objects)."""
    dtype = np.dtype(dtype)
    if dtype.hasobject or dtype.fields is not None or dtype.kind not in "biufcSUmM":
        raise EvidenceError(f"array dtype {dtype} is not allowed in evidence")
    if order not in ("C", "F") or not all(type(n) is int and n >= 0 for n in shape):
        raise EvidenceError("malformed array header in evidence")
    count = 1
    for n in shape:
        count *= n
    if count * dtype.itemsize != len(data):
        raise EvidenceError(f"array of shape {tuple(shape)} and dtype {dtype} needs {count * dtype.itemsize} bytes, "
                            f"the evidence has {len(data)}")
    return np.frombuffer(data, dtype=dtype).reshape(shape, order=order).copy(order=order)


# --------------------------------------------------------------------------- recording

class Recorder:
    """Keeps the learner values of one check; :meth:`done` appends them to the evidence file."""

    replaying = False

    def __init__(self, check: str, path: str) -> None:
        self.check, self.path = check, path
        self.values: list = []

    def keep(self, value):
        """Record ``value`` (as it is now: later in-place edits don't change the record)."""
        self.values.append(encode(value))
        return value

    def done(self) -> None:
        line = json.dumps({"check": self.check, "values": self.values}, allow_nan=False)
        if len(line) > MAX_CHARS:
            line = json.dumps({"check": self.check, "too_large": len(line)})
        with open(self.path, "a", encoding="utf-8") as f:
            f.write(line + "\n")


class Replayer:
    """Hands one check the learner values recorded for it, in order."""

    replaying = True

    def __init__(self, check: str, record: dict) -> None:
        if record.get("check") != check:
            raise EvidenceError(f"{check}: the evidence holds {record.get('check')!r} here instead.")
        if "too_large" in record:
            raise EvidenceError(f"{check}: the learner's values were too large to keep "
                                f"({record['too_large']} characters).")
        values = record.get("values")
        if type(values) is not list:
            raise EvidenceError(f"{check}: malformed evidence.")
        self.check = check
        self.values = deque(values)

    def keep(self, value=None):
        """The next recorded value (``value``, the stand-in replay has, is ignored)."""
        if not self.values:
            raise EvidenceError(f"{self.check}: the evidence ends before the check does.")
        return decode(self.values.popleft())

    def done(self) -> None:
        if self.values:
            raise EvidenceError(f"{self.check}: the evidence holds {len(self.values)} more values than the check used.")


_replay_queue: deque | None = None


def start(check: str):
    """The recorder (under the autograder's kernel), replayer (during :func:`replay_cell`),
    or ``None`` (anywhere else: a learner's own Jupyter) for one run of ``check``."""
    if _replay_queue is not None:
        if not _replay_queue:
            raise EvidenceError(f"{check}: no evidence that this check ran in the notebook.")
        return Replayer(check, _replay_queue.popleft())
    path = os.environ.get(ENV)
    return Recorder(check, path) if path else None


# --------------------------------------------------------------------------- replaying

def read(path: str, max_chars: int = 4 * MAX_CHARS) -> list[dict]:
    """The records in an evidence file (missing file: none).  Raises EvidenceError when the
    file is larger than ``max_chars`` or not JSON lines of objects."""
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            text = f.read(max_chars + 1)
    except FileNotFoundError:
        return []
    if len(text) > max_chars:
        raise EvidenceError(f"the evidence file is larger than {max_chars} characters.")
    records = []
    for line in text.splitlines():
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except ValueError:
            raise EvidenceError("the evidence file is not JSON lines.") from None
        if type(record) is not dict:
            raise EvidenceError("the evidence file holds something other than records.")
        records.append(record)
    return records


class _Placeholder:
    """A learner's name in a replayed test cell: callable, with any attribute, never used for
    a value (checks take the recorded values instead)."""

    def __init__(self, name: str) -> None:
        self.__name__ = name

    def __call__(self, *args, **kwargs):
        return _Placeholder(f"{self.__name__}(...)")

    def __getattr__(self, name: str):
        return _Placeholder(f"{self.__name__}.{name}")


class _Namespace(dict):
    """Locals of a replayed cell: names the cell defines or imports are kept; builtins
    resolve as usual; any other name is the learner's, a :class:`_Placeholder`."""

    def __missing__(self, name: str):
        if hasattr(builtins, name):
            raise KeyError(name)
        return _Placeholder(name)


def checks_only(source: str) -> bool:
    """Whether a test cell can be replayed: it calls at least one ``check_*`` and has no
    ``assert`` of its own (an assert on a learner's value can only be decided in the kernel)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return False
    calls = [n for n in ast.walk(tree) if isinstance(n, ast.Call)
             and (getattr(n.func, "id", None) or getattr(n.func, "attr", "")).startswith("check_")]
    return bool(calls) and not any(isinstance(n, ast.Assert) for n in ast.walk(tree))


@contextmanager
def replaying(records: list[dict]):
    """Within the block, checks take their learner values from ``records``."""
    global _replay_queue
    previous, _replay_queue = _replay_queue, deque(records)
    try:
        yield _replay_queue
    finally:
        _replay_queue = previous


def replay_cell(source: str, records: list[dict]) -> str | None:
    """Run a test cell's ``source`` with its checks fed from ``records``.

    Returns ``None`` when every check in it passes again, else the reason it does not (the
    first line of the failure).  Only for cells where :func:`checks_only` holds.
    """
    namespace = _Namespace()
    globals_ = {"__builtins__": builtins, "__name__": "__lstmlab_replay__"}
    with replaying(records) as queue:
        try:
            exec(compile(source, "<test cell>", "exec"), globals_, namespace)
        except AssertionError as failure:
            lines = [line for line in str(failure).splitlines() if line.strip()]
            return " ".join(line.strip() for line in lines[:2]) or "a check failed"
        except Exception as err:  # the cell itself broke outside the kernel
            return f"{type(err).__name__}: {err}"
        if queue:
            return f"the evidence holds {len(queue)} checks more than the test cell runs."
    return None
