"""Training loop on the float64 NumPy reference: hand-written BPTT, Adam, clipping.

Shapes: T time steps, N batch, D input size, H hidden size, M outputs (1 for regression,
C classes for classification).  Sequences are time-major ``(T, N, D)``.
"""

from __future__ import annotations

import dataclasses
import time

import numpy as np

from lstmlab.numpy import (
    Adam,
    clip_grad_norm,
    clip_grad_value,
    gru_backward,
    gru_forward,
    lstm_backward,
    lstm_forward,
    mse_loss,
    rnn_backward,
    rnn_forward,
    softmax_cross_entropy,
    temporal_linear_backward,
    temporal_linear_forward,
)
from lstmlab.train._common import chunks, count_correct, initial_weights, seed_streams
from lstmlab.train._progress import progress_bar
from lstmlab.errors import argument_error
from lstmlab.train.config import TrainConfig, check_settings
from lstmlab.train.history import History
from lstmlab.train.tasks import ReadoutBatch, TaskSpec, get_task

_CELL_KEYS = ("W_ih", "W_hh", "b_ih", "b_hh")


def _recurrent_forward(cell: str, x, p):
    """hs (T, N, H) and the cache of the chosen cell, from zero initial state."""
    if cell == "lstm":
        hs, _cs, cache = lstm_forward(x, None, None, p["W_ih"], p["W_hh"], p["b_ih"], p["b_hh"])
    elif cell == "gru":
        hs, cache = gru_forward(x, None, p["W_ih"], p["W_hh"], p["b_ih"], p["b_hh"])
    else:
        hs, cache = rnn_forward(x, None, p["W_ih"], p["W_hh"], p["b_ih"], p["b_hh"])
    return hs, cache


def _recurrent_backward(cell: str, dhs, cache) -> dict:
    """Gradients of W_ih, W_hh, b_ih, b_hh from the gradient on every hidden state."""
    if cell == "lstm":
        _dx, _dh0, _dc0, *dweights = lstm_backward(dhs, cache)
    elif cell == "gru":
        _dx, _dh0, *dweights = gru_backward(dhs, cache)
    else:
        _dx, _dh0, *dweights = rnn_backward(dhs, cache)
    return dict(zip(_CELL_KEYS, dweights))


def _loss(spec: TaskSpec, out, batch: ReadoutBatch):
    if spec.kind == "regression":
        return mse_loss(out, batch.y)
    return softmax_cross_entropy(out, batch.y)


def _read_out(hs, batch: ReadoutBatch):
    """The hidden states the head sees: every step, the last, or step ``read_at[i]``."""
    if batch.per_step:
        return hs  # (T, N, H)
    if batch.read_at is None:
        return hs[-1]  # (N, H)
    return hs[batch.read_at, np.arange(hs.shape[1])]  # (N, H), padded sequences


def loss_and_grads(config: TrainConfig, spec: TaskSpec, params: dict, batch: ReadoutBatch):
    """One forward and backward pass.

    ``params`` holds the cell's ``W_ih, W_hh, b_ih, b_hh`` and the head's ``W (M, H)``,
    ``b (M,)``.  Returns ``(loss, grads, out)`` with ``grads`` keyed like ``params`` and ``out``
    the head's output: ``(N, M)`` for a last-step read-out, ``(T, N, M)`` for a per-step one.
    """
    hs, cache = _recurrent_forward(config.cell, batch.x, params)  # (T, N, H)
    feats = _read_out(hs, batch)  # (T, N, H) or (N, H)
    out, head_cache = temporal_linear_forward(feats, params["W"], params["b"])
    loss, dout = _loss(spec, out, batch)
    dfeats, dW, db = temporal_linear_backward(dout, head_cache)
    if batch.per_step:
        dhs = dfeats
    else:
        # Only the read-out state feeds the loss; BPTT carries its gradient back to step 1.
        dhs = np.zeros_like(hs)
        if batch.read_at is None:
            dhs[-1] = dfeats
        else:
            dhs[batch.read_at, np.arange(hs.shape[1])] = dfeats
    grads = _recurrent_backward(config.cell, dhs, cache)
    grads.update(W=dW, b=db)
    return loss, grads, out


def evaluate(config: TrainConfig, spec: TaskSpec, params: dict, batch: ReadoutBatch):
    """(mean loss, accuracy or None) over a batch, forward only, in chunks."""
    total, correct, counted, weight = 0.0, 0, 0, 0
    for part in chunks(batch):
        hs, _ = _recurrent_forward(config.cell, part.x, params)
        feats = _read_out(hs, part)
        out, _ = temporal_linear_forward(feats, params["W"], params["b"])
        loss, _ = _loss(spec, out, part)
        # Weight each chunk by the positions its mean is over, so the result is the full mean.
        w = part.loss_weight()
        total += loss * w
        weight += w
        if spec.kind == "classification":
            c, n = count_correct(out, part)
            correct, counted = correct + c, counted + n
    accuracy = correct / counted if spec.kind == "classification" else None
    return total / weight, accuracy


def train_numpy(config: TrainConfig | None = None, *, progress: bool = True, **overrides) -> History:
    """Train a recurrent layer + linear head with the NumPy reference; return its History.

    Pass a :class:`TrainConfig`, keyword overrides of its fields, or both
    (``train_numpy(task="adding", T=20, cell="lstm", steps=300)``).  Every step draws a fresh
    batch, takes the gradient by BPTT, records the loss and the gradient norm **before**
    clipping, clips as configured and takes an Adam step.  ``progress=False`` silences the
    tqdm bar.  Same config (seed included) gives the same History, bit for bit.
    """
    config = resolve_config("train_numpy", config, overrides)
    spec = get_task(config)
    streams = seed_streams(config.seed)
    cell, head = initial_weights(config, spec, streams["init"])
    params = {**cell, **head}
    opt = Adam(params, lr=config.lr)
    val = spec.sample(config.eval_size, streams["val"])
    hist = History(config=config.to_dict(), backend="numpy", metric=spec.metric,
                   baseline=spec.baseline, info={"dtype": "float64"})
    start = time.perf_counter()
    with progress_bar(config, "numpy", progress) as bar:
        for step in range(1, config.steps + 1):
            batch = spec.sample(config.batch_size, streams["train"])
            loss, grads, out = loss_and_grads(config, spec, params, batch)
            norm = _global_norm(grads)  # recorded before clipping, whatever the mode
            if config.clip == "norm":
                grads, _ = clip_grad_norm(grads, config.max_norm)
            elif config.clip == "value":
                grads = clip_grad_value(grads, config.clip_value)
            opt.step(grads)
            hist.step.append(step)
            hist.loss.append(float(loss))
            hist.grad_norm.append(float(norm))
            if spec.kind == "classification":
                c, n = count_correct(out, batch)
                hist.accuracy.append(c / n)
            if step % config.eval_every == 0 or step == config.steps:
                record_eval(hist, step, *evaluate(config, spec, params, val))
                bar.set_postfix(loss=f"{hist.eval_loss[-1]:.4g}", refresh=False)
            bar.update()
    test = spec.sample(config.test_size, streams["test"])
    hist.test_loss, hist.test_accuracy = evaluate(config, spec, params, test)
    hist.test_metric = hist.test_accuracy if spec.metric == "accuracy" else hist.test_loss
    hist.wall_time = time.perf_counter() - start
    return hist


def _global_norm(grads: dict) -> float:
    """The L2 norm of all gradients together (what clipping by norm would look at)."""
    return float(np.sqrt(sum(np.sum(g * g) for g in grads.values())))


def record_eval(hist: History, step: int, loss: float, accuracy) -> None:
    """Append one evaluation (step, loss, accuracy if any) to ``hist``; both loops use it."""
    hist.eval_step.append(step)
    hist.eval_loss.append(float(loss))
    if accuracy is not None:
        hist.eval_accuracy.append(float(accuracy))


def resolve_config(where: str, config: TrainConfig | None, overrides: dict) -> TrainConfig:
    """A TrainConfig from an optional base config and keyword overrides; errors name ``where``
    (the loop the user called)."""
    if config is not None and not isinstance(config, TrainConfig):
        raise argument_error(where, "config", f"must be a TrainConfig or None, got {type(config).__name__}",
                             f"pass settings as keywords, e.g. {where}(T=20)")
    fields = {f.name: f for f in dataclasses.fields(TrainConfig)}
    unknown = sorted(set(overrides) - set(fields))
    if unknown:
        others = f" (nor are {unknown[1:]})" if len(unknown) > 1 else ""
        raise argument_error(where, unknown[0], f"is not a setting{others}; expected keywords among {sorted(fields)}",
                             "see lstmlab.train.TrainConfig for what each one means")
    if config is None:
        base = {name: (f.default_factory() if f.default is dataclasses.MISSING else f.default)
                for name, f in fields.items()}
    else:
        base = {name: getattr(config, name) for name in fields}
    check_settings(where, {**base, **overrides})
    if config is None:
        return TrainConfig(**overrides)
    return dataclasses.replace(config, **overrides) if overrides else config
