"""Pieces both loops share: seeding, initial weights, chunked evaluation sets, accuracy."""

from __future__ import annotations

import numpy as np

from lstmlab.numpy import init_params
from lstmlab.train.config import TrainConfig
from lstmlab.train.tasks import ReadoutBatch, TaskSpec

# Evaluation runs in chunks so that a (T, N, H) cache of a long test set never fills memory.
EVAL_CHUNK = 500


def seed_streams(seed: int) -> dict[str, np.random.Generator]:
    """Independent generators for weights, training batches, validation and test sets.

    One ``SeedSequence`` spawns four children, so changing the number of steps never changes
    the test set, and the NumPy and torch loops see the same numbers for the same seed.
    """
    init, train, val, test = np.random.SeedSequence(seed).spawn(4)
    return {
        "init": np.random.default_rng(init),
        "train": np.random.default_rng(train),
        "val": np.random.default_rng(val),
        "test": np.random.default_rng(test),
    }


def initial_weights(config: TrainConfig, spec: TaskSpec, rng: np.random.Generator):
    """Float64 weights of the recurrent layer and the linear head, as torch.nn draws them.

    Returns ``(cell, head)``: ``cell`` has ``W_ih (G*H, D)``, ``W_hh (G*H, H)``, ``b_ih``,
    ``b_hh`` (:func:`lstmlab.numpy.init_params`, forget bias included); ``head`` has
    ``W (M, H)`` and ``b (M,)`` drawn from ``U(-1/sqrt(H), 1/sqrt(H))`` like ``nn.Linear``.
    The torch loop copies these same numbers into its modules.
    """
    H, M = config.hidden_size, spec.output_size
    cell = init_params(config.cell, spec.input_size, H, rng,
                       forget_bias=config.effective_forget_bias)
    bound = 1.0 / np.sqrt(H)
    head = {"W": rng.uniform(-bound, bound, (M, H)), "b": rng.uniform(-bound, bound, M)}
    return cell, head


def chunks(batch: ReadoutBatch, size: int = EVAL_CHUNK):
    """Split a batch along N into pieces of at most ``size`` sequences."""
    N = batch.x.shape[1]
    for start in range(0, N, size):
        yield batch.take(slice(start, start + size))


def count_correct(logits: np.ndarray, batch: ReadoutBatch) -> tuple[int, int]:
    """(correct argmax predictions, counted positions); ``batch.score_mask`` picks positions."""
    hit = logits.argmax(axis=-1) == batch.y
    if batch.score_mask is not None:
        return int(np.count_nonzero(hit & batch.score_mask)), int(np.count_nonzero(batch.score_mask))
    return int(np.count_nonzero(hit)), int(hit.size)
