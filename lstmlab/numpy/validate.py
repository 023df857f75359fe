"""Argument checks and the package's one error format (public as :mod:`lstmlab.errors`).

Every message reads ``where: argument 'name' <expected ..., got ...>. Hint: <what to do>``:
the public function, the argument, what was expected and what was received, and a hint.
:func:`argument_error` builds it; :class:`ShapeChecker` builds it for arrays, binding the
shape letters (T, N, D, H) as it goes, so a mismatch between two arguments is reported
with both names and the expected shape both symbolic and concrete.

This module lives inside ``lstmlab/numpy/`` (and imports nothing from ``lstmlab``) because the
grading checks execute this package again from its source files under a private name: the
reference must not depend on a module a notebook could patch.  Everything else in ``lstmlab``
imports these names from :mod:`lstmlab.errors`.
"""

from __future__ import annotations

import re

import numpy as np

_FACTOR = re.compile(r"^(\d*)([A-Z])$")


def _parse(symbol: str) -> tuple[int, str]:
    """``"4H"`` -> ``(4, "H")``; ``"T"`` -> ``(1, "T")``."""
    match = _FACTOR.match(symbol)
    if match is None:  # pragma: no cover - programming error in lstmlab itself
        raise AssertionError(f"bad shape symbol {symbol!r}")
    factor, letter = match.groups()
    return int(factor or 1), letter


def argument_error(where: str, name: str, problem: str, hint: str) -> ValueError:
    """The package's one error format, returned for the caller to ``raise``.

    ``where`` is the public function (or class) the user called, ``name`` the argument,
    ``problem`` says what was expected and what was received (``"must be an int >= 1, got
    0"``), ``hint`` what to do about it.  Reads ``where: argument 'name' problem. Hint: hint``.
    """
    return ValueError(f"{where}: argument '{name}' {problem}. Hint: {hint}")


class ShapeChecker:
    """Checks arrays against symbolic shapes such as ``("T", "N", "D")`` or ``("4H", "H")``.

    ``where`` names the public function, so the message reads
    ``lstm_forward: argument 'W_hh' ...``.  Sizes bound by earlier arguments are
    enforced on later ones.
    """

    def __init__(self, where: str, **known: int) -> None:
        self.where = where
        self.sizes: dict[str, int] = dict(known)
        self.bound_by: dict[str, str] = {letter: "the cache" for letter in known}

    def _concrete(self, dims: tuple[str, ...]) -> str:
        parts = []
        for symbol in dims:
            factor, letter = _parse(symbol)
            parts.append(str(factor * self.sizes[letter]) if letter in self.sizes else "?")
        return "(" + ", ".join(parts) + (",)" if len(parts) == 1 else ")")

    def _expected(self, dims: tuple[str, ...]) -> str:
        symbolic = "(" + ", ".join(dims) + (",)" if len(dims) == 1 else ")")
        return f"{symbolic} = {self._concrete(dims)}"

    def error(self, name: str, problem: str, hint: str) -> ValueError:
        """:func:`argument_error` for this checker's function (returned, for the caller to raise)."""
        return argument_error(self.where, name, problem, hint)

    def array(self, name: str, value, dims: tuple[str, ...], hint: str = "") -> np.ndarray:
        """Validate ``value`` and bind its sizes; return it unchanged."""
        if not isinstance(value, np.ndarray):
            raise self.error(
                name,
                f"must be a NumPy array of shape {self._expected(dims)}, got {type(value).__name__}",
                "convert it with np.asarray(value, dtype=np.float64)",
            )
        if value.dtype.kind != "f":
            raise self.error(
                name,
                f"must have a floating dtype (shape {self._expected(dims)}), got dtype {value.dtype}",
                "integer arrays would truncate every update; use value.astype(np.float64)",
            )
        if value.ndim != len(dims):
            raise self.error(
                name,
                f"should have shape {self._expected(dims)} ({len(dims)} axes) "
                f"but has shape {value.shape} ({value.ndim} axes)",
                hint or "sequences are time-major (T, N, D); add a batch axis with x[:, None] for N=1",
            )
        # First pass: bind letters that appear on their own (factor 1), then multiples.
        for pass_factor_one in (True, False):
            for axis, (symbol, size) in enumerate(zip(dims, value.shape)):
                factor, letter = _parse(symbol)
                if (factor == 1) != pass_factor_one:
                    continue
                if letter not in self.sizes:
                    if size % factor:
                        raise self.error(
                            name,
                            f"should have shape {self._expected(dims)} but axis {axis} has size "
                            f"{size}, which is not a multiple of {factor}",
                            hint or f"the {factor} gate blocks are stacked along axis {axis}",
                        )
                    self.sizes[letter] = size // factor
                    self.bound_by[letter] = name
                elif size != factor * self.sizes[letter]:
                    raise self.error(
                        name,
                        f"should have shape {self._expected(dims)} but has shape {value.shape}: "
                        f"axis {axis} is {size}, expected {symbol} = {factor * self.sizes[letter]} "
                        f"because '{self.bound_by[letter]}' has {letter} = {self.sizes[letter]}",
                        hint or "check that every argument belongs to the same layer",
                    )
        if not np.all(np.isfinite(value)):
            bad = int(np.size(value) - np.count_nonzero(np.isfinite(value)))
            raise self.error(
                name,
                f"(shape {value.shape}) contains {bad} NaN or inf value(s)",
                "a NaN usually comes from an earlier step that diverged; lower the learning rate or clip gradients",
            )
        return value

    def optional_state(self, name: str, value, dims: tuple[str, ...], dtype) -> np.ndarray:
        """An initial state that may be ``None`` (zeros of the bound shape)."""
        if value is None:
            shape = tuple(_parse(s)[0] * self.sizes[_parse(s)[1]] for s in dims)
            return np.zeros(shape, dtype=dtype)
        return self.array(name, value, dims, hint="initial states have shape (N, H); pass None for zeros")


def result_dtype(*arrays: np.ndarray) -> np.dtype:
    """The floating dtype all computation runs in (float64 unless every input is lower)."""
    return np.result_type(*arrays)


def check_layer(
    where: str, gates: int, x: np.ndarray, x_dims: tuple[str, ...], W_ih, W_hh, b_ih, b_hh
) -> ShapeChecker:
    """Validate an input and the four parameters of a layer with ``gates`` blocks.

    ``x_dims`` is ``("N", "D")`` for a step and ``("T", "N", "D")`` for a sequence.  The
    weights follow torch.nn: ``W_ih (G*H, D)``, ``W_hh (G*H, H)``, ``b_ih, b_hh (G*H,)``.
    """
    checker = ShapeChecker(where)
    gh = f"{gates}H" if gates > 1 else "H"
    order = {1: "", 3: " (gate order r, z, n)", 4: " (gate order i, f, g, o)"}[gates]
    checker.array("x", x, x_dims)
    # W_hh first: it is square in H, so it fixes H before the stacked-gate axes are read.
    layout = f"with G={gates}{order}; torch.nn's layout, not its transpose"
    checker.array("W_hh", W_hh, (gh, "H"), hint=f"W_hh is (G*H, H) {layout}")
    checker.array("W_ih", W_ih, (gh, "D"), hint=f"W_ih is (G*H, D) {layout}")
    checker.array("b_ih", b_ih, (gh,), hint="biases are 1-D (G*H,); flatten a (1, G*H) row with b.ravel()")
    checker.array("b_hh", b_hh, (gh,), hint="biases are 1-D (G*H,); flatten a (1, G*H) row with b.ravel()")
    return checker
