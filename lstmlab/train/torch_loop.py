"""Training loop in PyTorch: a recurrent layer (lstmlab.torch or torch.nn) + ``nn.Linear``.

Shapes: T time steps, N batch, D input size, H hidden size, M outputs.  Time-major
``(T, N, D)``.  Runs on any device; data are drawn by the same NumPy generators as the NumPy
loop and moved to the device, and the initial weights are the NumPy loop's, copied in, so the
two loops start from the same point for the same seed.
"""

from __future__ import annotations

import time

from lstmlab.errors import argument_error
from lstmlab.train._common import chunks, initial_weights, seed_streams
from lstmlab.train._progress import progress_bar
from lstmlab.train.config import TrainConfig
from lstmlab.train.history import History
from lstmlab.train.numpy_loop import record_eval, resolve_config
from lstmlab.train.tasks import ReadoutBatch, TaskSpec, get_task

IMPLS = ("lstmlab", "torch.nn")


def _torch():
    try:
        import torch
    except ImportError as err:  # pragma: no cover - depends on the environment
        raise ImportError("lstmlab.train.train_torch needs torch: pip install torch") from err
    return torch


def build_model(config: TrainConfig, spec: TaskSpec, impl: str = "lstmlab"):
    """The recurrent layer + linear head as an ``nn.Module``, holding the seed's initial weights.

    ``impl="lstmlab"`` takes :mod:`lstmlab.torch`'s modules (plain tensor operations),
    ``impl="torch.nn"`` torch's own (cuDNN on a GPU).  Both have the same parameter names, so
    one copy routine fills either.  The model maps ``x (T, N, D)`` to ``(N, M)`` (last-step
    read-out) or ``(T, N, M)`` (per-step read-out).  Float64, on the CPU; move it with ``.to``.
    """
    torch = _torch()
    from torch import nn

    if impl not in IMPLS:
        raise argument_error("train_torch", "impl", f"must be one of {list(IMPLS)}, got {impl!r}",
                             "'lstmlab' is written from the equations, 'torch.nn' uses torch's fused kernels")
    if impl == "lstmlab":
        import lstmlab.torch as rnn_lib
    else:
        rnn_lib = nn
    layer_cls = {"rnn": rnn_lib.RNN, "lstm": rnn_lib.LSTM, "gru": rnn_lib.GRU}[config.cell]
    cell_w, head_w = initial_weights(config, spec, seed_streams(config.seed)["init"])

    class SequenceModel(nn.Module):
        def __init__(self):
            super().__init__()
            self.rnn = layer_cls(spec.input_size, config.hidden_size, dtype=torch.float64)
            self.head = nn.Linear(config.hidden_size, spec.output_size, dtype=torch.float64)

        def forward(self, x, read_at=None):
            hs, _ = self.rnn(x)  # (T, N, H)
            if spec.per_step:
                return self.head(hs)  # (T, N, M)
            if read_at is None:
                return self.head(hs[-1])  # (N, M)
            return self.head(hs[read_at, torch.arange(hs.shape[1], device=hs.device)])

    model = SequenceModel()
    with torch.no_grad():
        for ours, theirs in (("W_ih", "weight_ih_l0"), ("W_hh", "weight_hh_l0"),
                             ("b_ih", "bias_ih_l0"), ("b_hh", "bias_hh_l0")):
            getattr(model.rnn, theirs).copy_(torch.from_numpy(cell_w[ours]))
        model.head.weight.copy_(torch.from_numpy(head_w["W"]))
        model.head.bias.copy_(torch.from_numpy(head_w["b"]))
    return model


class _Device:
    """Moves NumPy batches to the device, in the run's dtype."""

    def __init__(self, torch, device, dtype):
        self.torch, self.device, self.dtype = torch, device, dtype

    def batch(self, b: ReadoutBatch, spec: TaskSpec):
        t = self.torch
        x = t.as_tensor(b.x, dtype=self.dtype).to(self.device, non_blocking=True)
        if spec.kind == "regression":
            y = t.as_tensor(b.y, dtype=self.dtype).to(self.device, non_blocking=True)
        else:
            y = t.as_tensor(b.y, dtype=t.long).to(self.device, non_blocking=True)
        def move(a):
            return None if a is None else t.as_tensor(a).to(self.device, non_blocking=True)

        return x, y, move(b.read_at), move(b.score_mask)


def _loss_and_hits(torch, spec: TaskSpec, out, y, score_mask):
    """(mean loss, correct count, counted positions), all tensors; counts None for regression.

    The score mask weights positions instead of indexing them: boolean indexing would make
    the host wait for the GPU at every step.
    """
    F = torch.nn.functional
    if spec.kind == "regression":
        return F.mse_loss(out, y), None, None
    loss = F.cross_entropy(out.reshape(-1, out.shape[-1]), y.reshape(-1))
    hit = out.argmax(-1) == y
    if score_mask is None:
        return loss, hit.sum(), torch.tensor(hit.numel(), device=hit.device)
    return loss, (hit & score_mask).sum(), score_mask.sum()


def _evaluate(torch, spec: TaskSpec, model, dev: _Device, batch: ReadoutBatch):
    total, weight, correct, counted = 0.0, 0, 0, 0
    with torch.no_grad():
        for part in chunks(batch):
            x, y, read_at, score_mask = dev.batch(part, spec)
            loss, hits, n = _loss_and_hits(torch, spec, model(x, read_at), y, score_mask)
            w = part.loss_weight()
            total += float(loss) * w
            weight += w
            if hits is not None:
                correct, counted = correct + int(hits), counted + int(n)
    return total / weight, (correct / counted if spec.kind == "classification" else None)


def train_torch(config: TrainConfig | None = None, *, impl: str = "lstmlab", device="cpu",
                dtype=None, progress: bool = True, **overrides) -> History:
    """Train a recurrent layer + ``nn.Linear`` head in PyTorch; return its History.

    Arguments as for :func:`lstmlab.train.train_numpy`, plus:
        impl: "lstmlab" (:mod:`lstmlab.torch`) or "torch.nn" (cuDNN on a GPU).
        device: any torch device ("cpu", "cuda", "cuda:1", ...).
        dtype: ``torch.float32`` (default) or ``torch.float64`` (to compare with NumPy).

    Losses, gradient norms and accuracies stay on the device and are fetched at each
    evaluation, so a GPU run does not wait on the host every step.  On the CPU the same config
    gives the same History, bit for bit.
    """
    torch = _torch()
    config = resolve_config("train_torch", config, overrides)
    dtype = torch.float32 if dtype is None else dtype
    if dtype not in (torch.float32, torch.float64):
        raise argument_error("train_torch", "dtype", f"must be torch.float32 or torch.float64, got {dtype!r}",
                             "float64 matches the NumPy loop, float32 is faster")
    try:
        device = torch.device(device)
    except (RuntimeError, TypeError) as err:
        raise argument_error("train_torch", "device", f"must name a torch device, got {device!r} ({err})",
                             "'cpu' or 'cuda'") from None
    if device.type == "cuda" and not torch.cuda.is_available():
        raise argument_error("train_torch", "device", f"is {str(device)!r} but no CUDA GPU is visible",
                             "use device='cpu', or check torch.cuda.is_available()")
    spec = get_task(config)
    model = build_model(config, spec, impl).to(device=device, dtype=dtype)
    params = list(model.parameters())
    opt = torch.optim.Adam(params, lr=config.lr)
    streams = seed_streams(config.seed)
    dev = _Device(torch, device, dtype)
    val = spec.sample(config.eval_size, streams["val"])
    hist = History(config=config.to_dict(), backend="torch", metric=spec.metric,
                   baseline=spec.baseline,
                   info={"impl": impl, "device": str(device), "dtype": str(dtype).replace("torch.", ""),
                         "torch": torch.__version__})
    pending = {"loss": [], "norm": [], "hits": [], "count": []}  # device tensors, fetched in bulk
    start = time.perf_counter()
    with progress_bar(config, f"torch[{impl}]", progress) as bar:
        for step in range(1, config.steps + 1):
            x, y, read_at, score_mask = dev.batch(spec.sample(config.batch_size, streams["train"]),
                                                  spec)
            opt.zero_grad(set_to_none=True)
            loss, hits, n = _loss_and_hits(torch, spec, model(x, read_at), y, score_mask)
            loss.backward()
            if config.clip == "norm":
                norm = torch.nn.utils.clip_grad_norm_(params, config.max_norm)
            else:
                norm = torch.linalg.vector_norm(
                    torch.stack([torch.linalg.vector_norm(p.grad) for p in params]))
                if config.clip == "value":
                    torch.nn.utils.clip_grad_value_(params, config.clip_value)
            opt.step()
            pending["loss"].append(loss.detach())
            pending["norm"].append(norm.detach())
            if hits is not None:
                pending["hits"].append(hits)
                pending["count"].append(n)
            if step % config.eval_every == 0 or step == config.steps:
                _flush(torch, hist, pending, config.steps)
                record_eval(hist, step, *_evaluate(torch, spec, model, dev, val))
                bar.set_postfix(loss=f"{hist.eval_loss[-1]:.4g}", refresh=False)
            bar.update()
    test = spec.sample(config.test_size, streams["test"])
    hist.test_loss, hist.test_accuracy = _evaluate(torch, spec, model, dev, test)
    hist.test_metric = hist.test_accuracy if spec.metric == "accuracy" else hist.test_loss
    hist.wall_time = time.perf_counter() - start
    return hist


def _flush(torch, hist: History, pending: dict, steps: int) -> None:
    """Move the recorded per-step tensors to the host (one synchronisation per evaluation)."""
    first = len(hist.step) + 1
    hist.loss += torch.stack(pending["loss"]).double().tolist()
    hist.grad_norm += torch.stack(pending["norm"]).double().tolist()
    if pending["hits"]:
        hits = torch.stack(pending["hits"]).double()
        counts = torch.stack(pending["count"]).double()
        hist.accuracy += (hits / counts).tolist()
    hist.step += list(range(first, first + len(pending["loss"])))
    for v in pending.values():
        v.clear()
