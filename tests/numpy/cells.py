"""What the cell tests share: each reference function described once, with random inputs.

A :class:`Cell` names a forward, its backward, the forward's array arguments in order, and
how many outputs (before the cache) the forward returns.  The backward returns one gradient
per forward argument, in order.
"""

from __future__ import annotations

from dataclasses import dataclass
from collections.abc import Callable

import numpy as np

import lstmlab.numpy as ref


@dataclass(frozen=True)
class Cell:
    name: str
    forward: Callable
    backward: Callable
    kind: str  # "rnn", "lstm", "gru"
    sequence: bool  # (T, N, D) input rather than (N, D)
    args: tuple[str, ...]  # the forward's arguments, in order
    n_outputs: int  # outputs before the cache
    n_upstream: int  # gradients the backward takes before the cache

    def make_inputs(self, rng: np.random.Generator, T: int, N: int, D: int, H: int, scale: float = 0.5):
        """Random float64 inputs; weights scaled so the units are neither linear nor saturated."""
        params = ref.init_params(self.kind, D, H, rng)
        values = {k: v * (scale * np.sqrt(H)) for k, v in params.items()}
        x_shape = (T, N, D) if self.sequence else (N, D)
        values["x"] = rng.standard_normal(x_shape)
        for state in ("h0", "c0", "h_prev", "c_prev"):
            values[state] = rng.standard_normal((N, H)) * 0.5
        return {name: values[name] for name in self.args}

    def upstream(self, rng: np.random.Generator, outputs):
        """Random upstream gradients: one per output the backward takes."""
        return [rng.standard_normal(out.shape) for out in outputs[: self.n_upstream]]


def _cell(name, kind, sequence, args, n_outputs, n_upstream):
    return Cell(name, getattr(ref, f"{name}_forward"), getattr(ref, f"{name}_backward"),
                kind, sequence, args, n_outputs, n_upstream)


W = ("W_ih", "W_hh", "b_ih", "b_hh")
CELLS = [
    _cell("rnn_step", "rnn", False, ("x", "h_prev", *W), 1, 1),
    _cell("lstm_step", "lstm", False, ("x", "h_prev", "c_prev", *W), 2, 2),
    _cell("gru_step", "gru", False, ("x", "h_prev", *W), 1, 1),
    _cell("rnn", "rnn", True, ("x", "h0", *W), 1, 1),
    # lstm_backward takes dhs only: the loss reads hidden states, the cell states are internal.
    _cell("lstm", "lstm", True, ("x", "h0", "c0", *W), 2, 1),
    _cell("gru", "gru", True, ("x", "h0", *W), 1, 1),
]
CELL_IDS = [c.name for c in CELLS]


def run_forward(cell: Cell, inputs: dict):
    """Outputs (a list of arrays) and the cache."""
    result = cell.forward(*(inputs[a] for a in cell.args))
    return list(result[: cell.n_outputs]), result[cell.n_outputs]
