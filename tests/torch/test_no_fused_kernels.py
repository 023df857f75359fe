"""Proof that lstmlab.torch computes from the equations, not through torch's RNN kernels.

Two independent checks, forward and backward for every module and cell:
1. every Python entry point to a fused RNN kernel (``torch._VF.*``, ``torch.lstm`` and
   friends, cuDNN and oneDNN RNN ops) is replaced by a function that raises;
2. the autograd profiler records no operator whose name mentions lstm, gru or rnn,
   which also catches a call that bypasses Python (e.g. ``torch.ops.aten.lstm``).
"""

from __future__ import annotations

import re
import warnings

import pytest

torch = pytest.importorskip("torch")

import lstmlab.torch as lt  # noqa: E402

FUSED = re.compile(r"lstm|gru|rnn", re.IGNORECASE)


def _fused_names(namespace) -> list[str]:
    return sorted(n for n in dir(namespace) if FUSED.search(n) and callable(getattr(namespace, n, None)))


@pytest.fixture
def fused_kernels_forbidden(monkeypatch):
    """Replace every fused RNN entry point with one that raises; return the names patched."""
    patched = []

    def forbid(namespace, name):
        def boom(*args, **kwargs):
            raise AssertionError(f"fused RNN kernel {name} was called")

        monkeypatch.setattr(namespace, name, boom, raising=False)
        patched.append(name)

    for name in _fused_names(torch._C._VariableFunctions):
        forbid(torch._VF, name)  # torch.nn's modules call these
    for name in _fused_names(torch):
        if not isinstance(getattr(torch, name), type):
            forbid(torch, name)
    return patched


def _modules():
    yield lt.RNN(5, 4, num_layers=2, bidirectional=True), torch.randn(6, 3, 5)
    yield lt.RNN(5, 4, nonlinearity="relu"), torch.randn(6, 3, 5)
    yield lt.LSTM(5, 4, num_layers=2, bidirectional=True, dropout=0.5), torch.randn(6, 3, 5)
    yield lt.GRU(5, 4, num_layers=2, batch_first=True), torch.randn(3, 6, 5)
    yield lt.RNNCell(5, 4), torch.randn(3, 5)
    yield lt.LSTMCell(5, 4), torch.randn(3, 5)
    yield lt.GRUCell(5, 4), torch.randn(3, 5)


def _forward_backward(module, x):
    x = x.clone().requires_grad_(True)
    out = module(x)
    flat = []
    stack = [out]
    while stack:  # every tensor in the (nested) output tuple
        item = stack.pop()
        if isinstance(item, tuple):
            stack.extend(item)
        else:
            flat.append(item)
    sum(t.sum() for t in flat).backward()
    assert x.grad is not None and all(p.grad is not None for p in module.parameters())


def test_patch_really_blocks_torch_nn(fused_kernels_forbidden):
    # Guard against a vacuous test: the patch must break torch.nn's own modules.
    assert {"lstm", "gru", "rnn_tanh", "lstm_cell", "gru_cell"} <= set(fused_kernels_forbidden)
    for ref, x in [(torch.nn.LSTM(5, 4), torch.randn(6, 3, 5)), (torch.nn.GRUCell(5, 4), torch.randn(3, 5))]:
        with pytest.raises(AssertionError, match="fused RNN kernel"):
            ref(x)


def test_forward_and_backward_run_with_fused_kernels_forbidden(fused_kernels_forbidden):
    for module, x in _modules():
        _forward_backward(module, x)


def test_profiler_sees_no_rnn_operator():
    from torch.profiler import ProfilerActivity, profile

    # Some torch releases warn once that the profiler "clears events at the end of each cycle".
    warnings.filterwarnings("ignore", message=".*Profiler clears events.*")
    with profile(activities=[ProfilerActivity.CPU]) as prof:
        for module, x in _modules():
            _forward_backward(module, x)
    names = {e.name for e in prof.events()}
    assert any("addmm" in n for n in names)  # the profiler did record our operators
    assert not [n for n in names if FUSED.search(n)]
    # ... and it would have noticed torch.nn's kernel:
    with profile(activities=[ProfilerActivity.CPU]) as prof_ref:
        torch.nn.LSTM(5, 4)(torch.randn(6, 3, 5))
    assert [e.name for e in prof_ref.events() if FUSED.search(e.name)]


def test_fused_true_is_lstmlab_code_not_torch_kernels(fused_kernels_forbidden):
    # fused=True means lstmlab's own hand-written backward (lstmlab/torch/fused.py), still
    # without torch's RNN kernels; the profiler test above would see its node names
    # ("LSTMScanBackward"), so only the patch applies here.
    for kind in ("RNN", "LSTM", "GRU"):
        module = getattr(lt, kind)(5, 4, num_layers=2, bidirectional=True, fused=True)
        _forward_backward(module, torch.randn(6, 3, 5))
