"""Training a character model by truncated BPTT on stateful windows, with norm clipping.

Shapes: L ids per stream, N columns (``batch_size``), T steps per window (``window``).

One step = one ``(T, N)`` window of :func:`lstmlab.data.stream_windows` over the training
ids: forward from the state the previous window ended with (or zeros, ``carry_state=False``),
mean cross-entropy over the window, backward through its T steps only (the state is detached
at the boundary), the global gradient norm recorded, clipped to ``max_norm``
(``lstmlab.numpy.clip_grad_norm`` / ``torch.nn.utils.clip_grad_norm_``, the same rule), and
an Adam step.  When the windows run out the stream starts again from the top with a zero
state (an epoch).  Evaluation runs the same windows over validation ids, forward only, the
state carried (or reset), and weights each window by its number of characters.

Both loops return a :class:`lstmlab.train.History` (``metric="bpc"``): ``loss`` and
``eval_loss`` in nats per character, ``grad_norm`` before clipping and
``info["grad_norm_clipped"]`` after, ``test_metric`` the test bits per character when test ids
are given.
"""

from __future__ import annotations

import dataclasses
import math
import time
from dataclasses import dataclass

import numpy as np

from lstmlab.data.text import stream_windows
from lstmlab.errors import argument_error
from lstmlab.lm.measures import LN2
from lstmlab.lm.model import CELLS, charlm_forward, charlm_loss_and_grads, init_charlm
from lstmlab.numpy import Adam, clip_grad_norm, softmax_cross_entropy
from lstmlab.train.history import History

__all__ = ["LMConfig", "evaluate_numpy", "evaluate_torch", "train_lm_numpy", "train_lm_torch"]


@dataclass(frozen=True)
class LMConfig:
    """Settings of one training run (the same for the NumPy and the torch loop).

    cell : "rnn", "gru" or "lstm";  hidden_size : H;  embed_size : E, or None for one-hot
    batch_size : N columns;  window : T, the truncation length
    steps : Adam steps (one window each);  lr : Adam's learning rate
    max_norm : clip the global gradient norm to this (None: no clipping)
    carry_state : carry the state across windows (True) or start each window from zeros
    eval_every : evaluate on validation ids every this many steps (and after the last)
    eval_batch : columns used for evaluation (fewer columns lose fewer characters)
    forget_bias : the LSTM's initial forget-gate bias; None means 1.0 for the LSTM and 0.0
        (no such gate) for the others
    seed : initial weights (:func:`lstmlab.lm.model.init_charlm`)
    """

    cell: str = "lstm"
    hidden_size: int = 128
    embed_size: int | None = 32
    batch_size: int = 32
    window: int = 64
    steps: int = 300
    lr: float = 3e-3
    max_norm: float | None = 1.0
    carry_state: bool = True
    eval_every: int = 50
    eval_batch: int = 8
    forget_bias: float | None = None
    seed: int = 0

    def __post_init__(self) -> None:
        def fail(name, expected, hint):
            raise argument_error("LMConfig", name, f"must be {expected}, got {getattr(self, name)!r}", hint)

        if self.cell not in CELLS:
            fail("cell", f"one of {list(CELLS)}", "'lstm' is the chapter's model")
        for name in ("hidden_size", "batch_size", "window", "steps", "eval_every", "eval_batch"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                fail(name, "an int >= 1", "see the class docstring")
        if self.embed_size is not None and (not isinstance(self.embed_size, int) or self.embed_size < 1):
            fail("embed_size", "None (one-hot) or an int >= 1", "e.g. 32")
        if not self.lr > 0:
            fail("lr", "a number > 0", "Adam's 1e-3 to 1e-2")
        if self.max_norm is not None and not self.max_norm > 0:
            fail("max_norm", "None or a number > 0", "1.0 is a common threshold")
        if self.forget_bias is None:  # resolved here, so to_dict() records the value used
            object.__setattr__(self, "forget_bias", 1.0 if self.cell == "lstm" else 0.0)
        if self.forget_bias and self.cell != "lstm":
            fail("forget_bias", "0.0 for a cell other than the LSTM", "LMConfig(cell='gru', forget_bias=0.0)")

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


def _train_windows(train_ids, config: LMConfig):
    """Windows of the training stream forever; ``(window, new_epoch)``."""
    while True:
        first = True
        for w in stream_windows(train_ids, config.batch_size, config.window, drop_last=True):
            yield w, first
            first = False


def _history(config: LMConfig, backend: str, baseline: float, info: dict) -> History:
    return History(config=config.to_dict(), backend=backend, metric="bpc", baseline=baseline,
                   info={"grad_norm_clipped": [], **info})


def _finish(hist: History, test_nats, start: float) -> History:
    if test_nats is not None:
        hist.test_loss = float(test_nats)
        hist.test_metric = float(test_nats) / LN2
    hist.wall_time = time.perf_counter() - start
    return hist


# ---------------------------------------------------------------- NumPy


def evaluate_numpy(params: dict, ids, batch_size: int = 8, window: int = 64, carry_state: bool = True) -> float:
    """Mean cross-entropy (nats per character) of the NumPy model over a stream of ``(L,)``
    ids, read as ``batch_size`` columns in windows of ``window``, forward only."""
    total, count, state = 0.0, 0, None
    for w in stream_windows(ids, batch_size, window):
        logits, state, _ = charlm_forward(params, w.x, state if carry_state else None)
        loss, _ = softmax_cross_entropy(logits, w.y)
        total += loss * w.y.size
        count += w.y.size
    return total / count


def train_lm_numpy(train_ids, val_ids, vocab_size: int, config: LMConfig | None = None, test_ids=None,
                   baseline: float = math.nan, **overrides):
    """Train the NumPy model; returns ``(params, History)``.

    train_ids, val_ids, test_ids : ``(L,)`` int ids (test optional);  vocab_size : V
    config / overrides : an :class:`LMConfig` and/or its fields as keywords
    baseline : a bits-per-character number to store with the run (e.g. the trigram's)
    """
    config = _config("train_lm_numpy", config, overrides)
    params = init_charlm(config.cell, vocab_size, config.hidden_size, config.embed_size,
                         seed=config.seed, forget_bias=config.forget_bias)
    opt = Adam(params, lr=config.lr)
    hist = _history(config, "numpy", baseline, {"dtype": "float64"})
    start, state = time.perf_counter(), None
    windows = _train_windows(train_ids, config)
    for step in range(1, config.steps + 1):
        w, new_epoch = next(windows)
        if new_epoch or not config.carry_state:
            state = None
        loss, grads, state = charlm_loss_and_grads(params, w.x, w.y, state)
        if config.max_norm is not None:
            grads, norm = clip_grad_norm(grads, config.max_norm)
            clipped = min(norm, config.max_norm)
        else:
            norm = clipped = float(np.sqrt(sum(np.sum(g * g) for g in grads.values())))
        opt.step(grads)
        hist.step.append(step)
        hist.loss.append(float(loss))
        hist.grad_norm.append(float(norm))
        hist.info["grad_norm_clipped"].append(float(clipped))
        if step % config.eval_every == 0 or step == config.steps:
            hist.eval_step.append(step)
            hist.eval_loss.append(evaluate_numpy(params, val_ids, config.eval_batch, config.window,
                                                 config.carry_state))
    test = None if test_ids is None else evaluate_numpy(params, test_ids, config.eval_batch, config.window,
                                                        config.carry_state)
    return params, _finish(hist, test, start)


# ---------------------------------------------------------------- torch


def evaluate_torch(model, ids, batch_size: int = 8, window: int = 64, carry_state: bool = True) -> float:
    """:func:`evaluate_numpy` for a :class:`lstmlab.lm.torch_model.CharLM` (any device)."""
    import torch

    device = model.head.weight.device
    total, count, state = torch.zeros((), dtype=torch.float64, device=device), 0, None
    with torch.no_grad():
        for w in stream_windows(ids, batch_size, window):
            x = torch.as_tensor(w.x, device=device)
            y = torch.as_tensor(w.y, device=device)
            logits, state = model(x, state if carry_state else None)
            loss = torch.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1))
            total += loss.double() * y.numel()  # summed on the device: one sync at the end
            count += y.numel()
    return float(total) / count


def train_lm_torch(train_ids, val_ids, vocab_size: int, config: LMConfig | None = None, test_ids=None,
                   baseline: float = math.nan, impl: str = "torch.nn", device="cpu", dtype=None,
                   **overrides):
    """Train the PyTorch model; returns ``(model, History)``.

    Arguments as :func:`train_lm_numpy`, plus ``impl`` ("lstmlab" or "torch.nn"), ``device``
    (any torch device) and ``dtype`` (default float32; float64 to compare with NumPy).  The
    initial weights are the NumPy model's for the same seed, so with float64 on the CPU the
    two loops take the same steps.
    """
    import torch

    from lstmlab.lm.torch_model import CharLM, detach_state

    config = _config("train_lm_torch", config, overrides)
    dtype = torch.float32 if dtype is None else dtype
    device = torch.device(device)
    params0 = init_charlm(config.cell, vocab_size, config.hidden_size, config.embed_size,
                          seed=config.seed, forget_bias=config.forget_bias)
    model = CharLM.from_numpy(params0, impl=impl, dtype=dtype, device=device)
    opt = torch.optim.Adam(model.parameters(), lr=config.lr)
    hist = _history(config, "torch", baseline, {"impl": impl, "device": str(device),
                                                "dtype": str(dtype).replace("torch.", ""),
                                                "torch": torch.__version__})
    start, state = time.perf_counter(), None
    pending = []  # (loss, norm) tensors on the device, fetched at each evaluation
    windows = _train_windows(train_ids, config)
    params = list(model.parameters())
    for step in range(1, config.steps + 1):
        w, new_epoch = next(windows)
        if new_epoch or not config.carry_state:
            state = None
        x = torch.as_tensor(w.x, device=device)
        y = torch.as_tensor(w.y, device=device)
        logits, state = model(x, detach_state(state))
        loss = torch.nn.functional.cross_entropy(logits.reshape(-1, vocab_size), y.reshape(-1))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        if config.max_norm is not None:
            norm = torch.nn.utils.clip_grad_norm_(params, config.max_norm)
        else:
            norm = torch.linalg.vector_norm(torch.stack([torch.linalg.vector_norm(p.grad) for p in params]))
        opt.step()
        pending.append(torch.stack([loss.detach().double(), norm.detach().double()]))
        if step % config.eval_every == 0 or step == config.steps:
            values = torch.stack(pending).cpu().numpy()
            pending.clear()
            hist.loss += values[:, 0].tolist()
            hist.grad_norm += values[:, 1].tolist()
            cap = math.inf if config.max_norm is None else config.max_norm
            hist.info["grad_norm_clipped"] += np.minimum(values[:, 1], cap).tolist()
            hist.step = list(range(1, step + 1))
            model.eval()
            hist.eval_step.append(step)
            hist.eval_loss.append(evaluate_torch(model, val_ids, config.eval_batch, config.window,
                                                 config.carry_state))
            model.train()
    test = None if test_ids is None else evaluate_torch(model, test_ids, config.eval_batch, config.window,
                                                        config.carry_state)
    return model, _finish(hist, test, start)


def _config(where: str, config: LMConfig | None, overrides: dict) -> LMConfig:
    if config is not None and not isinstance(config, LMConfig):
        raise argument_error(where, "config", f"must be an LMConfig or None, got {type(config).__name__}",
                             f"pass settings as keywords, e.g. {where}(..., steps=100)")
    known = {f.name for f in dataclasses.fields(LMConfig)}
    unknown = sorted(set(overrides) - known)
    if unknown:
        raise argument_error(where, "**overrides", f"has unknown setting(s) {unknown}; expected keywords among "
                             f"{sorted(known)}", "see lstmlab.lm.train.LMConfig")
    base = config or LMConfig()
    return dataclasses.replace(base, **overrides) if overrides else base
