"""The settings of one training run, checked once, shared by the NumPy and torch loops."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass, field

from lstmlab.errors import argument_error

CELLS = ("rnn", "lstm", "gru")
CLIPS = ("norm", "value", "none")


def _fail(where: str, name: str, expected: str, got, hint: str) -> ValueError:
    return argument_error(where, name, f"must be {expected}, got {got!r}", hint)


def _positive_int(where: str, name: str, value, hint: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise _fail(where, name, "a positive int", value, hint)


def _positive_float(where: str, name: str, value, hint: str) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not (
        math.isfinite(value) and value > 0
    ):
        raise _fail(where, name, "a finite number > 0", value, hint)


def check_settings(where: str, settings: Mapping) -> None:
    """Check the fields of a :class:`TrainConfig` (a mapping of every field to its value).

    ``where`` is the public function called: ``TrainConfig`` itself, or a loop such as
    ``train_numpy`` given the settings as keywords, so the message names what the user called.
    """
    from lstmlab.train.tasks import TASKS  # late: tasks imports lstmlab.data

    s = settings
    if s["task"] not in TASKS:
        raise _fail(where, "task", f"one of {sorted(TASKS)}", s["task"],
                    "the tasks are the generators of lstmlab.data")
    if s["cell"] not in CELLS:
        raise _fail(where, "cell", f"one of {list(CELLS)}", s["cell"],
                    "'rnn' is the tanh RNN; 'lstm' and 'gru' are the gated cells")
    if s["clip"] not in CLIPS:
        raise _fail(where, "clip", f"one of {list(CLIPS)}", s["clip"],
                    "'norm' rescales the whole gradient, 'value' clips each entry, "
                    "'none' leaves it alone")
    _positive_int(where, "T", s["T"], "the sequence length (the delay for the copy task), e.g. T=50")
    _positive_int(where, "hidden_size", s["hidden_size"], "e.g. hidden_size=64")
    _positive_int(where, "steps", s["steps"], "the number of optimiser steps, e.g. steps=1000")
    _positive_int(where, "batch_size", s["batch_size"], "sequences per step, e.g. batch_size=64")
    _positive_int(where, "eval_every", s["eval_every"], "e.g. eval_every=100")
    _positive_int(where, "eval_size", s["eval_size"], "e.g. eval_size=512")
    _positive_int(where, "test_size", s["test_size"], "e.g. test_size=2000")
    _positive_float(where, "lr", s["lr"], "Adam's usual learning rates are 1e-3 to 1e-2")
    _positive_float(where, "max_norm", s["max_norm"], "a norm threshold such as 1.0")
    _positive_float(where, "clip_value", s["clip_value"], "an entry bound such as 0.5")
    seed = s["seed"]
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise _fail(where, "seed", "an int >= 0", seed, "e.g. seed=0")
    forget_bias = s["forget_bias"]
    if forget_bias is not None:
        if s["cell"] != "lstm":
            raise _fail(where, "forget_bias", "None for a non-LSTM cell", forget_bias,
                        f"only an LSTM has a forget gate; drop forget_bias for cell={s['cell']!r}")
        if isinstance(forget_bias, bool) or not isinstance(forget_bias, (int, float)) \
                or not math.isfinite(forget_bias):
            raise _fail(where, "forget_bias", "a finite number or None", forget_bias,
                        "0.0 keeps torch.nn's random draw (mean 0); 1.0 is the usual choice")
    if not isinstance(s["task_kwargs"], dict):
        raise _fail(where, "task_kwargs", "a dict", s["task_kwargs"],
                    "keyword arguments for the task generator, e.g. {}")


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
        check_settings("TrainConfig", {f.name: getattr(self, f.name) for f in dataclasses.fields(self)})

    @property
    def effective_forget_bias(self) -> float:
        """The LSTM forget-gate bias used at initialisation (0.0 for the other cells)."""
        if self.cell != "lstm":
            return 0.0
        return 1.0 if self.forget_bias is None else float(self.forget_bias)

    def to_dict(self) -> dict:
        """Plain dict (JSON-ready) of every field."""
        return dataclasses.asdict(self)
