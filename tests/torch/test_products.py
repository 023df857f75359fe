"""The fused kernels' products and tanh (lstmlab/torch/products.py), and which library runs them.

On a CPU in float32 the fused path multiplies through oneDNN (the library torch.nn's CPU
LSTM uses); everywhere else through torch.mm.  These tests hold both routes to the same
numbers, check that the route is the one documented, and that oneDNN's RNN primitive
itself is never called.
"""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

import lstmlab.torch as lt  # noqa: E402
from lstmlab.torch.products import (  # noqa: E402
    ONEDNN_MIN_WORK, RepeatedWeight, mm_t, onednn_disabled, tanh_into, use_onednn,
)

ONEDNN = torch.backends.mkldnn.is_available() and hasattr(torch.ops.mkldnn, "_linear_pointwise")
needs_onednn = pytest.mark.skipif(not ONEDNN, reason="this torch build has no oneDNN linear operator")


def _close_f32(u, v):
    """float32 products of length-K sums: differences of rounding, relative to the values' size."""
    return float((u - v).abs().max()) <= 1e-5 * max(1.0, float(v.abs().max()))


@needs_onednn
def test_route_is_onednn_for_cpu_float32_only():
    a32, a64 = torch.randn(3, 4), torch.randn(3, 4, dtype=torch.float64)
    assert use_onednn(a32)
    assert not use_onednn(a64)
    assert not use_onednn(torch.empty(0, 4))  # empty: torch.mm handles the degenerate product
    with onednn_disabled():
        assert not use_onednn(a32)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_mm_t_equals_torch_mm_including_transposed_views(dtype):
    gen = torch.Generator().manual_seed(0)
    a = torch.randn(37, 19, generator=gen, dtype=dtype)
    b = torch.randn(23, 19, generator=gen, dtype=dtype)
    bias = torch.randn(23, generator=gen, dtype=dtype)
    exact = (a.double() @ b.double().t())
    for got, want in [(mm_t(a, b), exact), (mm_t(a, b, bias), exact + bias.double()),
                      (mm_t(b.t().contiguous().t(), a.t().contiguous().t()), exact.t()),  # strided operands
                      (mm_t(a.t().contiguous().t(), b), exact)]:
        assert got.dtype == dtype
        if dtype == torch.float64:
            assert float((got - want).abs().max()) <= 1e-12
        else:
            assert _close_f32(got.double(), want)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("shape", [(8, 8, 12, 6), (8, 3, 12, 6), (64, 64, 512, 128), (64, 5, 512, 128)],
                         ids=["small", "small-other-rows", "large", "large-other-rows"])
def test_repeated_weight_equals_addmm(dtype, shape):
    rows_packed, rows, out_features, in_features = shape
    gen = torch.Generator().manual_seed(1)
    w = torch.randn(out_features, in_features, generator=gen, dtype=dtype)
    x = torch.randn(rows, in_features, generator=gen, dtype=dtype)
    add = torch.randn(rows, out_features, generator=gen, dtype=dtype)
    bias = torch.randn(out_features, generator=gen, dtype=dtype)
    rw = RepeatedWeight(w, rows_packed)  # tuned for one batch size, correct for any
    ref = x.double() @ w.double().t()
    tol = 1e-12 if dtype == torch.float64 else 1e-5
    for got, want in [(rw.times(x), ref), (rw.times(x, add=add), ref + add.double()),
                      (rw.times(x, bias=bias), ref + bias.double()),
                      (rw.times(x, bias=bias, add=add.t().contiguous().t()), ref + bias.double() + add.double())]:
        assert float((got.double() - want).abs().max()) <= tol * max(1.0, float(want.abs().max()))
    worth_it = rows_packed * out_features * in_features >= ONEDNN_MIN_WORK
    assert (rw.packed is not None) == (ONEDNN and dtype == torch.float32 and worth_it)


@pytest.mark.parametrize("dtype,tol", [(torch.float32, 3e-7), (torch.float64, 1e-15)])
def test_tanh_into_is_tanh_within_rounding_of_one(dtype, tol):
    z = torch.cat([torch.linspace(-30, 30, 20001, dtype=dtype), torch.tensor([0.0, 1e-30, -1e-30, 88.0, -88.0,
                                                                              float("inf"), -float("inf")],
                                                                             dtype=dtype)])
    out = torch.empty_like(z)
    got = tanh_into(z, out)
    assert got is out
    assert float((got - torch.tanh(z)).abs().max()) <= tol  # absolute: units of rounding of 1
    assert got.abs().max() <= 1  # never outside [-1, 1]
    same = z.clone()
    tanh_into(same, same)  # in place, as the fused LSTM uses it
    assert torch.equal(same, got)


def _fused_run(kind, dtype, **kw):
    # Batch 64 and H = 128: every product (the RNN's recurrent one, 64*128*128, the smallest)
    # is at least ONEDNN_MIN_WORK, so on a CPU in float32 all of them go to oneDNN.
    torch.manual_seed(0)
    m = getattr(lt, kind)(32, 128, num_layers=2, bidirectional=True, fused=True, dtype=dtype, **kw)
    x = torch.randn(5, 64, 32, dtype=dtype, requires_grad=True)
    out, state = m(x)
    states = list(state) if isinstance(state, tuple) else [state]
    gen = torch.Generator().manual_seed(2)
    loss = sum((t * torch.randn(t.shape, generator=gen, dtype=dtype)).sum() for t in [out, *states])
    grads = torch.autograd.grad(loss, [x, *m.parameters()])
    return [out.detach(), *(s.detach() for s in states), *grads]


@needs_onednn
@pytest.mark.parametrize("kind", ["RNN", "LSTM", "GRU"])
def test_fused_gives_the_same_numbers_through_onednn_and_through_torch_mm(kind):
    with_onednn = _fused_run(kind, torch.float32)
    with onednn_disabled():
        with_mm = _fused_run(kind, torch.float32)
    for u, v in zip(with_onednn, with_mm):
        assert _close_f32(u, v)
    assert any(not torch.equal(u, v) for u, v in zip(with_onednn, with_mm))  # two routes really ran


@needs_onednn
def test_small_products_stay_with_torch_mm():
    # Below ONEDNN_MIN_WORK oneDNN's fixed cost per call loses to torch.mm (products docstring).
    from torch.profiler import ProfilerActivity, profile

    m = lt.LSTM(6, 8, fused=True)
    with profile(activities=[ProfilerActivity.CPU]) as prof:
        out, (h, c) = m(torch.randn(9, 4, 6, requires_grad=True))
        (out.sum() + h.sum() + c.sum()).backward()
    names = {e.name for e in prof.events()}
    assert "mkldnn::_linear_pointwise" not in names and ("aten::addmm" in names or "aten::mm" in names)


@needs_onednn
def test_fused_float32_on_cpu_runs_its_products_in_onednn_never_its_rnn_primitive():
    from torch.profiler import ProfilerActivity, profile

    with profile(activities=[ProfilerActivity.CPU]) as prof:
        for kind in ("RNN", "LSTM", "GRU"):
            _fused_run(kind, torch.float32)
    # operators (aten::, mkldnn::), not autograd's records of our own Functions (LSTMScanBackward)
    ops = {e.name for e in prof.events() if e.name.startswith(("aten::", "mkldnn::"))}
    assert "mkldnn::_linear_pointwise" in ops
    assert not [n for n in ops if "rnn" in n.lower() or "lstm" in n.lower() or "gru" in n.lower()]
    # the same filter sees torch.nn's oneDNN LSTM:
    with profile(activities=[ProfilerActivity.CPU]) as prof_ref:
        torch.nn.LSTM(6, 8)(torch.randn(9, 4, 6))
    assert [e.name for e in prof_ref.events() if e.name.startswith("aten::mkldnn_rnn")]


@pytest.mark.parametrize("kind", ["LSTM", "GRU", "RNN"])
def test_fused_forward_without_grad_equals_the_forward_that_keeps_its_derivatives(kind):
    # Under no_grad the fused LSTM skips the local derivatives it would keep for a backward.
    torch.manual_seed(3)
    m = getattr(lt, kind)(5, 7, num_layers=2, fused=True, dtype=torch.float64)
    x = torch.randn(6, 3, 5, dtype=torch.float64, requires_grad=True)
    with_grad, _ = m(x)
    with torch.no_grad():
        without, _ = m(x)
    assert with_grad.requires_grad and not without.requires_grad
    assert torch.equal(with_grad.detach(), without)
