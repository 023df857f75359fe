"""What BPTT stores, and what gradient checkpointing saves: measured on a torch LSTM.

Shapes: T time steps, N batch, D input size, H hidden size; ``x`` is time-major (T, N, D).

Backpropagation needs, at every step, the activations the forward computed (gates, cell
states, the inputs of every matrix product), so an unrolled network of T steps keeps O(T)
of them alive until the backward pass has used them.  Gradient checkpointing
(Chen et al., 2016) keeps only the state at the boundary of every chunk of ``k`` steps and
recomputes a chunk's activations when the backward pass reaches it: O(T/k + k) memory for
about one extra forward pass, smallest near ``k = sqrt(T)``.

Memory here is counted, not sampled: :class:`SavedTensorMeter` installs
``torch.autograd.graph.saved_tensors_hooks`` and adds up the bytes of the distinct storages
that autograd saves for backward while they are alive.  That is exactly the memory BPTT
is about (the weights, inputs and optimizer state are the same in every variant), and it
is the same number on every run and every machine, unlike a process's resident size.

Importing this module imports torch.
"""

from __future__ import annotations

import time
import weakref

import torch
from torch.utils.checkpoint import checkpoint

__all__ = ["SavedTensorMeter", "unrolled_lstm_loss", "measure_checkpointing"]


class _Saved:
    """A saved tensor as autograd holds it between the forward and the backward pass."""

    __slots__ = ("tensor", "__weakref__")

    def __init__(self, tensor) -> None:
        self.tensor = tensor

    def unpack(self):
        return self.tensor


class SavedTensorMeter:
    """Count the bytes autograd saves for backward while they are alive.

    Use as a context manager around the forward *and* the backward pass::

        with SavedTensorMeter() as meter:
            loss = model(x)
            meter.mark_forward()
            loss.backward()
        meter.forward_bytes, meter.peak_bytes

    A storage shared by several saved tensors (a view, a weight used at every step) is counted
    once.  Bytes are released when autograd frees the last saved tensor of a storage, which
    happens as the backward pass consumes each node (whether or not the caller still holds
    the tensor: this is the memory the graph is responsible for).
    """

    def __init__(self) -> None:
        self.live_bytes = 0
        self.peak_bytes = 0
        self.forward_bytes = 0
        self.saved_tensors = 0  # how many times autograd saved a tensor (with repeats)
        self._live: dict[int, list[int]] = {}  # storage address -> [saved tensors alive, nbytes]
        self._hooks = None

    def _pack(self, tensor):
        storage = tensor.untyped_storage()
        key = storage.data_ptr()
        entry = self._live.get(key)
        if entry is None:
            entry = self._live[key] = [0, storage.nbytes()]
            self.live_bytes += entry[1]
            self.peak_bytes = max(self.peak_bytes, self.live_bytes)
        entry[0] += 1
        self.saved_tensors += 1
        # autograd keeps the packed object exactly as long as it needs the tensor; the wrapper's
        # finalizer tells us when that ends (the tensor itself may live on in the caller's hands).
        packed = _Saved(tensor)
        weakref.finalize(packed, self._release, key)
        return packed

    def _release(self, key: int) -> None:
        entry = self._live.get(key)
        if entry is None:  # pragma: no cover - released after the meter was reset
            return
        entry[0] -= 1
        if entry[0] == 0:
            self.live_bytes -= entry[1]
            del self._live[key]

    def mark_forward(self) -> None:
        """Record the bytes alive now (call between the forward and the backward pass)."""
        self.forward_bytes = self.live_bytes

    def __enter__(self) -> SavedTensorMeter:
        self._hooks = torch.autograd.graph.saved_tensors_hooks(self._pack, _Saved.unpack)
        self._hooks.__enter__()
        return self

    def __exit__(self, *exc) -> None:
        self._hooks.__exit__(*exc)


def _check_chunk(chunk, T: int) -> int:
    if chunk is None:
        return 0
    if isinstance(chunk, bool) or not isinstance(chunk, int) or chunk < 0:
        raise ValueError(
            f"unrolled_lstm_loss: argument 'chunk' must be None, 0 (no checkpointing) or a positive "
            f"int number of steps, got {chunk!r}. Hint: T = {T} here; try chunk = {max(1, round(T ** 0.5))} "
            f"(about sqrt(T))."
        )
    return chunk


def unrolled_lstm_loss(cell: torch.nn.LSTMCell, x: torch.Tensor, chunk: int | None = None) -> torch.Tensor:
    """Run ``cell`` over ``x`` (T, N, D) from zero states; return ``sum(h_T ** 2)``.

    With ``chunk = k > 0`` every ``k`` steps are wrapped in ``torch.utils.checkpoint`` (the
    reentrant variant, whose recomputation runs through ordinary autograd, so that
    :class:`SavedTensorMeter` sees it); the gradients are the same as without checkpointing.
    """
    if not (isinstance(x, torch.Tensor) and x.dim() == 3):
        raise ValueError(
            f"unrolled_lstm_loss: argument 'x' must be a tensor of shape (T, N, D) = "
            f"(?, ?, {cell.input_size}), got {getattr(x, 'shape', type(x).__name__)}. Hint: "
            f"sequences are time-major; add a batch axis with x[:, None] for N = 1."
        )
    T, N, _ = x.shape
    chunk = _check_chunk(chunk, T)

    def run(xs, h, c):
        for t in range(xs.shape[0]):
            h, c = cell(xs[t], (h, c))
        return h, c

    # The reentrant checkpoint only differentiates through inputs that require grad: if
    # none did, the first chunk would silently give the weights no gradient.
    h = torch.zeros(N, cell.hidden_size, dtype=x.dtype, device=x.device, requires_grad=bool(chunk))
    c = torch.zeros_like(h, requires_grad=bool(chunk))
    step = chunk or T
    for start in range(0, T, step):
        xs = x[start : start + step]
        if chunk:
            h, c = checkpoint(run, xs, h, c, use_reentrant=True)
        else:
            h, c = run(xs, h, c)
    return h.pow(2).sum()


def measure_checkpointing(T: int = 128, N: int = 32, D: int = 8, H: int = 128,
                          chunks=(0, 2, 4, 8, 11, 16, 32, 64, 128), repeats: int = 5,
                          seed: int = 0) -> list[dict]:
    """Saved-activation memory and wall time of one forward+backward, per chunk size.

    Returns one dict per entry of ``chunks`` (0 = no checkpointing): ``chunk``,
    ``forward_bytes`` (saved for backward when the forward ends), ``peak_bytes`` (the most
    alive at once, recomputation included), ``seconds`` (the fastest of ``repeats`` un-metered
    forward+backward passes: on a shared machine the fastest run is the least disturbed) and
    ``grad_W_hh`` (to compare the variants' gradients).
    """
    torch.manual_seed(seed)
    cell = torch.nn.LSTMCell(D, H)
    x = torch.randn(T, N, D)
    results = []
    for chunk in chunks:
        cell.zero_grad()
        with SavedTensorMeter() as meter:
            loss = unrolled_lstm_loss(cell, x, chunk)
            meter.mark_forward()
            loss.backward()
        grad = cell.weight_hh.grad.detach().clone()
        results.append(dict(chunk=chunk, forward_bytes=meter.forward_bytes,
                            peak_bytes=meter.peak_bytes, grad_W_hh=grad))
    # Time the variants in turns, not one after the other, so that a machine that gets busier
    # (or quieter) during the measurement shifts them all alike.
    times = [[] for _ in chunks]
    for _ in range(repeats):
        for i, chunk in enumerate(chunks):
            cell.zero_grad()
            start = time.perf_counter()
            unrolled_lstm_loss(cell, x, chunk).backward()
            times[i].append(time.perf_counter() - start)
    for result, t in zip(results, times):
        result["seconds"] = min(t)
    return results
