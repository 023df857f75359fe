"""The tasks the loops train on, as a training loop sees them: batches, loss, baseline.

Each task wraps a generator of :mod:`lstmlab.data` (``config.T`` is its length parameter,
``config.task_kwargs`` its extra arguments) and says what the model must output:

=================== ============= ============= ================== ===========================
task                read-out      loss          headline metric    memoryless baseline
=================== ============= ============= ================== ===========================
adding              last step     MSE           test MSE           1/6 (predict 1)
adding_hochreiter   step len-1    MSE           test MSE           target variance (~1/24)
copy                every step    cross-entr.   test cross-entr.   ``10 log 8 / (T + 20)``
temporal_order      last step     cross-entr.   test accuracy      1/4 (chance)
agreement           last step     cross-entr.   test accuracy      1/2 (chance)
=================== ============= ============= ================== ===========================

For the copy task the accuracy counts only the recalled symbols (the last ``seq_len`` steps),
where a memoryless model is right 1 time in ``n_symbols``; the blanks would inflate it.
"""

from __future__ import annotations

from dataclasses import dataclass
from collections.abc import Callable

import numpy as np

from lstmlab import data
from lstmlab.errors import argument_error


@dataclass
class ReadoutBatch:
    """One batch, time-major, as a training loop reads it out and scores it.

    Made from a :class:`lstmlab.data.Batch` (what a generator draws: inputs, targets, and the
    ``lengths`` and ``vocab`` that describe them) by saying where the loop reads each
    sequence's prediction (``read_at``) and which positions its accuracy counts
    (``score_mask``).

    x: (T, N, D) float64 inputs.
    y: targets: ``(N, 1)`` float (regression), ``(N,)`` int labels (one label per sequence) or
        ``(T, N)`` int labels (one per step).
    read_at: ``(N,)`` int, the step whose hidden state is read out for sequence ``i`` (padded
        sequences of different lengths), or None for the last step.  Per-step tasks: None.
    score_mask: ``(T, N)`` bool, the per-step positions counted in the accuracy, or None for
        all of them.  The loss always counts every position.
    """

    x: np.ndarray
    y: np.ndarray
    read_at: np.ndarray | None = None
    score_mask: np.ndarray | None = None

    @property
    def per_step(self) -> bool:
        return self.y.ndim == 2 and self.y.dtype.kind in "iu"

    def loss_weight(self) -> int:
        """How many positions the batch's mean loss averages over (to merge chunk means)."""
        return int(self.y.size)

    def take(self, sl: slice) -> ReadoutBatch:
        """The sequences ``sl`` of the batch (a slice along N)."""
        y = self.y[:, sl] if self.per_step else self.y[sl]
        return ReadoutBatch(
            x=self.x[:, sl], y=y,
            read_at=None if self.read_at is None else self.read_at[sl],
            score_mask=None if self.score_mask is None else self.score_mask[:, sl],
        )


@dataclass(frozen=True)
class TaskSpec:
    """What a loop needs to know about a task at one length."""

    name: str
    T: int
    input_size: int  # D
    output_size: int  # M: 1 for regression, C classes for classification
    kind: str  # "regression" or "classification"
    per_step: bool  # one output per step (True) or per sequence (False)
    metric: str  # "mse", "cross_entropy" (lower is better) or "accuracy" (higher is better)
    baseline: float  # the headline metric of the best memoryless predictor
    baseline_note: str
    draw: Callable[[int, np.random.Generator], ReadoutBatch]

    def sample(self, n: int, rng: np.random.Generator) -> ReadoutBatch:
        """``n`` fresh sequences drawn from ``rng`` (which advances)."""
        return self.draw(n, rng)


def _check_kwargs(task: str, kwargs: dict, allowed: tuple[str, ...]) -> None:
    unknown = sorted(set(kwargs) - set(allowed))
    if unknown:
        raise argument_error(
            "TrainConfig", "task_kwargs",
            f"has {unknown}, which task {task!r} does not take; expected keys among {list(allowed)}",
            "see lstmlab.data for the generator's arguments",
        )


def _adding(config) -> TaskSpec:
    _check_kwargs("adding", config.task_kwargs, ())
    T = config.T

    def draw(n, rng):
        b = data.adding_problem(n, T, rng)
        return ReadoutBatch(x=b.x, y=b.y)

    return TaskSpec("adding", T, 2, 1, "regression", False, "mse", data.ADDING_BASELINE_MSE,
                    "predict the mean sum 1 (MSE 1/6)", draw)


def hochreiter_baseline_mse(T: int) -> float:
    """MSE of predicting the mean 0.5 on Hochreiter's adding problem: the target's variance.

    The target is ``0.5 + (X1 + X2)/4`` with each value ``U[-1, 1]`` (variance 1/3), except that
    a marker on the first step carries the value 0.  The first marker is there with
    probability ``1/k`` (``k = min(10, T//2)``), the second with ``(1 - 1/k) / (T//2 - 1)``.
    """
    k = min(10, T // 2)
    p_first, p_second = 1.0 / k, (1.0 - 1.0 / k) / (T // 2 - 1)
    return (2.0 - p_first - p_second) / 48.0


def _adding_hochreiter(config) -> TaskSpec:
    _check_kwargs("adding_hochreiter", config.task_kwargs, ())
    T = config.T

    def draw(n, rng):
        b = data.adding_problem(n, T, rng, variant="hochreiter")
        return ReadoutBatch(x=b.x, y=b.y, read_at=b.lengths - 1)

    return TaskSpec("adding_hochreiter", T, 2, 1, "regression", False, "mse",
                    hochreiter_baseline_mse(T) if T >= 4 else float("nan"),
                    "predict the mean 0.5 (MSE = the target's variance, about 1/24)", draw)


def _copy(config) -> TaskSpec:
    kw = config.task_kwargs
    _check_kwargs("copy", kw, ("n_symbols", "seq_len"))
    T, n_symbols, seq_len = config.T, kw.get("n_symbols", 8), kw.get("seq_len", 10)

    def draw(n, rng):
        b = data.copy_task(n, T, rng, n_symbols=n_symbols, seq_len=seq_len)
        score = np.zeros(b.y.shape, dtype=bool)
        score[-seq_len:] = True  # the recalled symbols
        return ReadoutBatch(x=b.x, y=b.y, score_mask=score)

    return TaskSpec("copy", T, n_symbols + 2, n_symbols + 2, "classification", True,
                    "cross_entropy", data.copy_baseline_cross_entropy(T, n_symbols, seq_len),
                    f"blanks for sure, then a uniform guess over {n_symbols} symbols", draw)


def _temporal_order(config) -> TaskSpec:
    kw = config.task_kwargs
    _check_kwargs("temporal_order", kw, ("variable_length",))
    T, variable = config.T, kw.get("variable_length", False)

    def draw(n, rng):
        b = data.temporal_order(n, T, rng, variable_length=variable)
        return ReadoutBatch(x=b.x, y=b.y, read_at=None if b.lengths is None else b.lengths - 1)

    C = len(data.TEMPORAL_ORDER_CLASSES)
    return TaskSpec("temporal_order", T, len(data.TEMPORAL_ORDER_SYMBOLS), C, "classification",
                    False, "accuracy", 1.0 / C, "chance: one class in four", draw)


def _agreement(config) -> TaskSpec:
    kw = config.task_kwargs
    _check_kwargs("agreement", kw, ("attractor",))
    gap, attractor = config.T, kw.get("attractor", 0.5)
    V = len(data.AGREEMENT_VOCAB)

    def draw(n, rng):
        b = data.agreement(n, gap, rng, attractor=attractor)
        return ReadoutBatch(x=data.one_hot(b.x, V), y=b.y)  # (gap + 2, N, V)

    return TaskSpec("agreement", gap, V, len(data.AGREEMENT_VERBS), "classification", False,
                    "accuracy", 0.5, "chance: 'was' or 'were'", draw)


#: Task name -> builder ``config -> TaskSpec``.
TASKS: dict[str, Callable] = {
    "adding": _adding,
    "adding_hochreiter": _adding_hochreiter,
    "copy": _copy,
    "temporal_order": _temporal_order,
    "agreement": _agreement,
}


def get_task(config) -> TaskSpec:
    """The :class:`TaskSpec` for ``config.task`` at length ``config.T``."""
    from lstmlab.train.config import TrainConfig  # late: config imports this module's TASKS

    if not isinstance(config, TrainConfig):
        raise argument_error("get_task", "config", f"must be a TrainConfig, got {type(config).__name__}",
                             "get_task(TrainConfig(task='adding', T=50)); a task name alone has no length")
    return TASKS[config.task](config)
