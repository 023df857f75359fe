"""The settings of one training run, checked once, shared by the NumPy and torch loops."""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field

CELLS = ("rnn", "lstm", "gru")
CLIPS = ("norm", "value", "none")


def _fail(name: str, expected: str, got, hint: str) -> ValueError:
    return ValueError(f"TrainConfig: argument '{name}' must be {expected}, got {got!r}. Hint: {hint}")


def _positive_int(name: str, value, hint: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise _fail(name, "a positive int", value, hint)


def _positive_float(name: str, value, hint: str) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not (
        math.isfinite(value) and value > 0
    ):
        raise _fail(name, "a finite number > 0", value, hint)


@dataclass(frozen=True)
class TrainConfig:
    """One training run: task, model, optimiser and schedule.

    Attributes:
        task: "adding" (two-marker form, MSE), "adding_hochreiter" (Hochreiter & Schmidhuber's
            form), "copy", "temporal_order" or "agreement" (see :mod:`lstmlab.data`).
        T: the task's length parameter (sequence length, or delay for the copy task).
        cell: "rnn" (tanh), "lstm" or "gru".
        hidden_size: H.
        steps: number of optimiser steps; every step draws a fresh batch.
        batch_size: N, sequences per step.
        lr: Adam's learning rate.
        clip: "norm" (rescale the global gradient norm to at most ``max_norm``), "value"
            (clip every entry to ``[-clip_value, clip_value]``) or "none".
        max_norm, clip_value: the thresholds of the two clipping modes.
        forget_bias: LSTM only; the forget gate's initial bias, set as
            :func:`lstmlab.numpy.init_params` sets it (forget block of ``b_ih`` = value, of
            ``b_hh`` = 0; 0.0 keeps torch.nn's random draw).  None means 1.0 for an LSTM
            (Gers et al. 2000; Jozefowicz et al. 2015) and nothing for the other cells.
        eval_every: steps between evaluations on the fixed validation set.
        eval_size, test_size: sequences in the validation and test sets.
        seed: fixes initial weights, training batches, validation and test sets.
        task_kwargs: extra keyword arguments for the task's generator (e.g. alphabet size).
    """

    task: str = "adding"
    T: int = 50
    cell: str = "lstm"
    hidden_size: int = 64
    steps: int = 1000
    batch_size: int = 64
    lr: float = 1e-3
    clip: str = "norm"
    max_norm: float = 1.0
    clip_value: float = 0.5
    forget_bias: float | None = None
    eval_every: int = 100
    eval_size: int = 512
    test_size: int = 2000
    seed: int = 0
    task_kwargs: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        from lstmlab.train.tasks import TASKS  # late: tasks imports lstmlab.data

        if self.task not in TASKS:
            raise _fail("task", f"one of {sorted(TASKS)}", self.task,
                        "the tasks are the generators of lstmlab.data")
        if self.cell not in CELLS:
            raise _fail("cell", f"one of {list(CELLS)}", self.cell,
                        "'rnn' is the tanh RNN; 'lstm' and 'gru' are the gated cells")
        if self.clip not in CLIPS:
            raise _fail("clip", f"one of {list(CLIPS)}", self.clip,
                        "'norm' rescales the whole gradient, 'value' clips each entry, "
                        "'none' leaves it alone")
        _positive_int("T", self.T, "the sequence length (the delay for the copy task), e.g. T=50")
        _positive_int("hidden_size", self.hidden_size, "e.g. hidden_size=64")
        _positive_int("steps", self.steps, "the number of optimiser steps, e.g. steps=1000")
        _positive_int("batch_size", self.batch_size, "sequences per step, e.g. batch_size=64")
        _positive_int("eval_every", self.eval_every, "e.g. eval_every=100")
        _positive_int("eval_size", self.eval_size, "e.g. eval_size=512")
        _positive_int("test_size", self.test_size, "e.g. test_size=2000")
        _positive_float("lr", self.lr, "Adam's usual learning rates are 1e-3 to 1e-2")
        _positive_float("max_norm", self.max_norm, "a norm threshold such as 1.0")
        _positive_float("clip_value", self.clip_value, "an entry bound such as 0.5")
        if isinstance(self.seed, bool) or not isinstance(self.seed, int) or self.seed < 0:
            raise _fail("seed", "an int >= 0", self.seed, "e.g. seed=0")
        if self.forget_bias is not None:
            if self.cell != "lstm":
                raise _fail("forget_bias", "None for a non-LSTM cell", self.forget_bias,
                            f"only an LSTM has a forget gate; drop forget_bias for cell={self.cell!r}")
            if isinstance(self.forget_bias, bool) or not isinstance(self.forget_bias, (int, float)) \
                    or not math.isfinite(self.forget_bias):
                raise _fail("forget_bias", "a finite number or None", self.forget_bias,
                            "0.0 keeps torch.nn's random draw (mean 0); 1.0 is the usual choice")
        if not isinstance(self.task_kwargs, dict):
            raise _fail("task_kwargs", "a dict", self.task_kwargs,
                        "keyword arguments for the task generator, e.g. {}")

    @property
    def effective_forget_bias(self) -> float:
        """The LSTM forget-gate bias used at initialisation (0.0 for the other cells)."""
        if self.cell != "lstm":
            return 0.0
        return 1.0 if self.forget_bias is None else float(self.forget_bias)

    def to_dict(self) -> dict:
        """Plain dict (JSON-ready) of every field."""
        return dataclasses.asdict(self)
