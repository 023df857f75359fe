"""Arithmetic the checks can trust even when a notebook has tampered with ``numpy``.

A learner's cell can rebind ``np.allclose`` or ``np.tanh`` before a test cell runs.  The
checks therefore (1) compare arrays in plain Python over the raw float64 bytes, using only
methods of the ``ndarray`` type, which is immutable and cannot be patched, and (2) verify,
before computing any expected value, that the numpy functions the reference uses are still
numpy's own (:func:`numpy_tampering`).
"""

from __future__ import annotations

import math
from array import array

import numpy
from numpy._core import _multiarray_umath as _umath  # the C module: numpy's own objects live here

NDARRAY = _umath.ndarray  # captured from the C module, not from ``numpy.ndarray``
_UFUNC = type(_umath.add)
_BUILTIN = type(len)

# The numpy attributes the reference and the checks rely on, mapped to the name the real
# object reports.  ufuncs report a read-only C-level name; other functions are also
# required to come from a numpy module.
_UFUNCS = {
    "add": "add", "subtract": "subtract", "multiply": "multiply", "divide": "divide",
    "true_divide": "divide", "negative": "negative", "exp": "exp", "tanh": "tanh",
    "abs": "absolute", "absolute": "absolute", "sqrt": "sqrt", "maximum": "maximum",
    "minimum": "minimum", "matmul": "matmul", "greater_equal": "greater_equal",
    "isfinite": "isfinite",
}
_FUNCTIONS = (
    "where", "concatenate", "zeros", "zeros_like", "empty", "empty_like", "split", "asarray",
    "array", "allclose", "isclose", "sum", "clip", "errstate",
)
_SUBMODULE_FUNCTIONS = {
    "linalg": ("norm", "eigvals"),
    "testing": ("assert_allclose", "assert_array_equal"),
    "random": ("default_rng",),  # the checks' inputs come from it
}
_ORIGINAL = {name: getattr(numpy, name, None) for name in (*_UFUNCS, *_FUNCTIONS, "ndarray", "float64")}


def _from_numpy(obj, name: str) -> bool:
    module = str(getattr(obj, "__module__", "") or "")
    return getattr(obj, "__name__", None) == name and (module == "numpy" or module.startswith("numpy."))


def _looks_original(name: str, obj) -> bool:
    if name in _UFUNCS:
        return type(obj) is _UFUNC and obj.__name__ == _UFUNCS[name]
    if name == "ndarray":
        return obj is NDARRAY
    return _from_numpy(obj, name)


def numpy_tampering() -> list[str]:
    """Names of numpy attributes that a notebook has replaced (empty when numpy is intact)."""
    bad = [
        name
        for name, original in _ORIGINAL.items()
        if getattr(numpy, name, None) is not original or not _looks_original(name, original)
    ]
    for module_name, names in _SUBMODULE_FUNCTIONS.items():
        module = getattr(numpy, module_name, None)
        if getattr(module, "__name__", None) != f"numpy.{module_name}":
            bad.append(module_name)
            continue
        bad.extend(f"{module_name}.{n}" for n in names if not _from_numpy(getattr(module, n, None), n))
    return bad


def floats(a) -> array:
    """The values of float64 array ``a`` as a flat Python ``array('d')`` (C order)."""
    values = array("d")
    values.frombytes(NDARRAY.tobytes(NDARRAY.astype(a, "<f8"), "C"))
    return values


def shape_of(a) -> tuple:
    return tuple(NDARRAY.__dict__["shape"].__get__(a))


def unravel(flat_index: int, shape: tuple) -> tuple:
    """Flat C-order index -> multi-index (pure Python)."""
    index = []
    for size in reversed(shape):
        index.append(flat_index % size if size else 0)
        flat_index = flat_index // size if size else 0
    return tuple(reversed(index))


class Comparison:
    """Element-wise comparison of ``actual`` with ``expected`` (same shape), in plain Python."""

    def __init__(self, actual, expected, atol: float, rtol: float) -> None:
        a, e = floats(actual), floats(expected)
        self.shape = shape_of(expected)
        self.max_abs = 0.0
        self.max_rel = 0.0
        self.first_bad = None  # flat index of the first element outside tolerance
        self.worst = 0  # flat index of the largest absolute error
        self.nonfinite = False
        for k in range(len(e)):
            x, y = a[k], e[k]
            if not math.isfinite(x):
                self.nonfinite = True
                diff = math.inf
            else:
                diff = abs(x - y)
            rel = diff / max(abs(y), abs(x), 1e-300) if diff else 0.0
            if diff > self.max_abs:
                self.max_abs, self.worst = diff, k
            if diff > atol and rel > self.max_rel:
                self.max_rel = rel
            if self.first_bad is None and not diff <= atol + rtol * abs(y):
                self.first_bad = k
        self.ok = self.first_bad is None
        self._a, self._e = a, e

    def where(self, k: int | None = None):
        """(multi-index, expected value, actual value) at flat index ``k``; by default the
        first element outside tolerance (:attr:`worst` is the largest error)."""
        k = self.first_bad if k is None else k
        return unravel(k, self.shape), self._e[k], self._a[k]


def close(actual, expected, atol: float, rtol: float) -> bool:
    """True when ``actual`` and ``expected`` (same shape) agree within ``atol + rtol*|expected|``."""
    if shape_of(actual) != shape_of(expected):
        return False
    return Comparison(actual, expected, atol, rtol).ok
