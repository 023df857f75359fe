"""What a training run returns: per-step and per-evaluation curves and the final test metric."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field


@dataclass
class History:
    """The record of one training run (NumPy or torch loop alike).

    Per step ``s = 1 .. steps`` (lists of equal length):
        loss: the training loss of the step's batch.
        grad_norm: the global L2 norm of the gradient **before** clipping.
        accuracy: the batch's accuracy (classification tasks; empty for regression).

    Per evaluation (every ``eval_every`` steps and after the last step):
        eval_step, eval_loss, eval_accuracy (empty for regression).

    At the end:
        test_loss: loss on the held-out test set.
        test_accuracy: accuracy on it (None for regression).
        test_metric: the task's headline number, ``metric`` names it ("mse" or "accuracy").
        baseline: the same metric for the task's memoryless baseline (see
            :mod:`lstmlab.train.tasks`).
        wall_time: seconds the run took.
        config: the :class:`~lstmlab.train.TrainConfig` as a dict; backend: "numpy" or
            "torch" (with ``impl`` and ``device`` in ``info``).
    """

    config: dict
    backend: str
    metric: str
    baseline: float
    step: list = field(default_factory=list)
    loss: list = field(default_factory=list)
    grad_norm: list = field(default_factory=list)
    accuracy: list = field(default_factory=list)
    eval_step: list = field(default_factory=list)
    eval_loss: list = field(default_factory=list)
    eval_accuracy: list = field(default_factory=list)
    test_loss: float = float("nan")
    test_accuracy: float | None = None
    test_metric: float = float("nan")
    wall_time: float = 0.0
    info: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        """A JSON-ready dict of every field."""
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> History:
        """Inverse of :meth:`to_dict` (e.g. for histories read back from a JSON file)."""
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - names)
        if unknown:
            raise ValueError(
                f"History.from_dict: argument 'data' has unknown keys {unknown}; expected a subset "
                f"of {sorted(names)}. Hint: pass the dict that History.to_dict() wrote"
            )
        return cls(**data)
