"""Matrix products and the tanh of the fused kernels: the fastest route on each device.

**Products.**  On a CPU, ``torch.mm``/``torch.addmm`` call the BLAS that torch was built
with (Intel MKL in the x86 wheels), while ``torch.nn.LSTM`` on a CPU runs its products in
oneDNN (torch's ``mkldnn_rnn_layer``).  The two libraries are not equally fast everywhere:
on the AMD EPYC that built this course, MKL's float32 GEMM runs at about half the speed of
oneDNN's for the LSTM's shapes (``bench/bench_cpu_kernels.py`` prints the ratio per shape),
so a fused path that used ``torch.mm`` would lose to torch.nn on the products alone,
however well it fused the rest.  The fused kernels therefore reach oneDNN's matrix product
directly, through ``torch.ops.mkldnn._linear_pointwise`` (the operator TorchInductor emits
for ``nn.Linear`` on a CPU): ``x @ w.T (+ bias) (+ other)`` for float32 tensors, with no
autograd (the fused kernels write their own backward).  It is a matrix product, not an RNN
kernel; ``tests/torch/test_products.py`` checks with the profiler that oneDNN's RNN
primitive is never called.  Every other case (float64, a GPU, a torch without oneDNN, or
oneDNN switched off, e.g. inside ``onednn_disabled()``) uses ``torch.mm``/``torch.addmm``.

oneDNN's operator costs about 12 microseconds a call however small the product, where
``torch.mm`` costs 2-3, so small products stay with ``torch.mm``: below about 2 MFLOP
(M*K*N < 2**20) it wins, above it oneDNN does (the crossover measured on the same CPU for
the recurrent step's shapes, batch 4 to 64 and H 16 to 256).

**tanh.**  On the same CPU ``torch.tanh`` costs about ten times as much per element as
``torch.sigmoid`` (the same benchmark: one step's (N, H) block takes 1.6x (two threads) to
2.9x (one thread) as long through ``torch.tanh`` as through the four operations of
``tanh_into``), so on a CPU the fused kernels use the identity
``tanh(z) = 2 sigmoid(2z) - 1`` (exact in real arithmetic; in floating point it differs from
``torch.tanh`` by a few units of rounding of 1, not of tanh(z)).  On a GPU both are one cheap
kernel and ``torch.tanh`` is used.

Shapes: M rows (batch or flattened time x batch), K inner size, N output size.
"""

from __future__ import annotations

import contextlib

import torch
from torch import Tensor

__all__ = ["use_onednn", "onednn_disabled", "mm_t", "RepeatedWeight", "tanh_by_sigmoid", "tanh_into"]


def _onednn_ops():
    """(``torch.ops.mkldnn._linear_pointwise``, ``_reorder_linear_weight``) where this torch
    build has them and they run here (tried once on a 1x1 product), else (None, None)."""
    if not torch.backends.mkldnn.is_available():
        return None, None
    try:
        linear, reorder = torch.ops.mkldnn._linear_pointwise, torch.ops.mkldnn._reorder_linear_weight
        one = torch.ones(1, 1)
        linear(one, reorder(one, 1), None, "none", [], "")
        linear.binary(one, one, one, None, "add")
    except (AttributeError, RuntimeError):  # a build without the operators, or a CPU oneDNN refuses
        return None, None
    return linear, reorder


_LINEAR, _REORDER = _onednn_ops()


ONEDNN_MIN_WORK = 1 << 20  # M*K*N of the smallest product worth a oneDNN call (see above)


def use_onednn(*tensors: Tensor) -> bool:
    """Whether products of these tensors go to oneDNN: all float32 on a CPU, none empty,
    oneDNN present and enabled (``torch.backends.mkldnn.enabled``)."""
    return (
        _LINEAR is not None
        and torch.backends.mkldnn.enabled
        and all(t.device.type == "cpu" and t.dtype == torch.float32 and t.numel() > 0 for t in tensors)
    )


@contextlib.contextmanager
def onednn_disabled():
    """oneDNN off for all of torch inside the block (its products here, torch.nn's CPU LSTM too).

    ``torch.backends.mkldnn.flags(enabled=False)`` would do the same, but it also writes the
    oneDNN TF32 setting, which warns on a build without Intel GPU support.
    """
    before = torch.backends.mkldnn.enabled
    torch.backends.mkldnn.enabled = False
    try:
        yield
    finally:
        torch.backends.mkldnn.enabled = before


def mm_t(a: Tensor, b: Tensor, bias: Tensor | None = None) -> Tensor:
    """``a @ b.T (+ bias)``: a (M, K), b (N, K), bias (N,) or None -> (M, N).

    Either argument may be a transposed view.
    """
    if use_onednn(a, b) and a.shape[0] * a.shape[1] * b.shape[0] >= ONEDNN_MIN_WORK:
        return _LINEAR(a, b, bias, "none", [], "")
    return torch.mm(a, b.t()) if bias is None else torch.addmm(bias, a, b.t())


class RepeatedWeight:
    """A weight w (N, K) multiplied many times, ``x @ w.T (+ bias) (+ add)`` for x (M, K).

    On oneDNN the weight is reordered once into the blocked layout its GEMM wants (the
    "prepacked" weight of TorchInductor's frozen linear layers), instead of once per step:
    for the LSTM's recurrent product this saves about a tenth of each step's product.
    ``rows`` (M) is the batch size the reorder is tuned for, and decides whether oneDNN is
    worth calling at all (``ONEDNN_MIN_WORK``).
    """

    def __init__(self, w: Tensor, rows: int):
        self.weight = w
        self.onednn = use_onednn(w) and rows * w.shape[0] * w.shape[1] >= ONEDNN_MIN_WORK
        self.packed = _REORDER(w.contiguous(), rows) if self.onednn else None

    def times(self, x: Tensor, bias: Tensor | None = None, add: Tensor | None = None) -> Tensor:
        """``x @ w.T + bias + add``: x (M, K), bias (N,) or None, add (M, N) or None -> (M, N)."""
        if self.onednn and x.dtype == torch.float32:
            x = x.contiguous()
            w = self.packed
            if add is None:
                return _LINEAR(x, w, bias, "none", [], "")
            return _LINEAR.binary(x, add.contiguous(), w, bias, "add")
        out = torch.mm(x, self.weight.t()) if add is None else torch.addmm(add, x, self.weight.t())
        return out if bias is None else out.add_(bias)


def tanh_by_sigmoid(t: Tensor) -> bool:
    """Whether tanh is cheaper as ``2 sigmoid(2z) - 1`` where ``t`` lives: on a CPU."""
    return t.device.type == "cpu"


def tanh_into(z: Tensor, out: Tensor) -> Tensor:
    """``out = tanh(z)`` (same shape; z and out may be the same tensor), by the cheaper route
    for the device: ``2 sigmoid(2z) - 1`` on a CPU, ``torch.tanh`` elsewhere."""
    if not tanh_by_sigmoid(z):
        return torch.tanh(z, out=out)
    torch.mul(z, 2, out=out)
    return out.sigmoid_().mul_(2).sub_(1)
