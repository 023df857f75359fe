"""lstmlab.torch on a CUDA GPU: parity with torch.nn (cuDNN), no host syncs, a training run.

Skipped without a GPU (marker ``cuda``, see tests/conftest.py).  Tolerances: float64
1e-10 like on the CPU; float32 1e-5 against a float64 run, with TF32 switched off.
"""

from __future__ import annotations

import warnings

import pytest

torch = pytest.importorskip("torch")

import lstmlab.torch as lt  # noqa: E402

pytestmark = pytest.mark.cuda

KINDS = ["RNN", "LSTM", "GRU"]
LAYOUTS = [
    dict(num_layers=1),
    dict(num_layers=2, bidirectional=True),
    dict(num_layers=3, bidirectional=True, batch_first=True),
    dict(num_layers=2, with_hx=False),
    dict(num_layers=2, bidirectional=True, batched=False),
]
TOL = {torch.float64: 1e-10, torch.float32: 1e-5}
# In float32, cuDNN's RNN kernels land farther from the float64 result than a plain float32
# run does (on an H100, TF32 off: cuDNN 1e-5 to 1e-4 away, lstmlab 3e-7 to 9e-7 on these
# shapes), so each implementation is measured against a float64 run of the same weights
# and inputs, and the two float32 runs are only asked to agree to this looser bound.
FLOAT32_AGREEMENT = 5e-4


def assert_close(parity, kind, dtype, **kw):
    if dtype == torch.float64:
        assert parity(kind, device="cuda", dtype=dtype, **kw) <= TOL[dtype]
        return
    d = parity(kind, device="cuda", dtype=dtype, detail=True, **kw)
    assert d["ours_vs_float64"] <= TOL[dtype], d
    assert d["ours_vs_ref"] <= FLOAT32_AGREEMENT, d


@pytest.fixture
def no_tf32(monkeypatch):
    monkeypatch.setattr(torch.backends.cudnn, "allow_tf32", False)
    monkeypatch.setattr(torch.backends.cuda.matmul, "allow_tf32", False)


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32], ids=["float64", "float32"])
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("layout", LAYOUTS, ids=lambda d: ",".join(f"{k}={v}" for k, v in d.items()))
def test_module_matches_torch_nn_on_cuda(module_parity, no_tf32, kind, layout, dtype):
    assert_close(module_parity, kind, dtype, **layout)


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32], ids=["float64", "float32"])
@pytest.mark.parametrize("kind", KINDS)
def test_module_without_bias_and_eval_dropout_on_cuda(module_parity, no_tf32, kind, dtype):
    assert_close(module_parity, kind, dtype, bias=False, num_layers=2)
    assert_close(module_parity, kind, dtype, dropout=0.3, num_layers=2, bidirectional=True,
                 train=False)


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32], ids=["float64", "float32"])
@pytest.mark.parametrize("kind", ["RNNCell", "LSTMCell", "GRUCell"])
@pytest.mark.parametrize("batched", [True, False])
def test_cell_matches_torch_nn_on_cuda(cell_parity, no_tf32, kind, batched, dtype):
    assert_close(cell_parity, kind, dtype, batched=batched)


@pytest.mark.parametrize("kind", KINDS)
def test_forward_backward_never_waits_for_the_gpu(kind):
    """Nothing in forward or backward reads a value back to the host (sync debug mode raises)."""
    m = getattr(lt, kind)(8, 16, num_layers=2, bidirectional=True, dropout=0.2, device="cuda")
    x = torch.randn(20, 4, 8, device="cuda", requires_grad=True)
    state = torch.zeros(4, 4, 16, device="cuda")
    hx = (state, state) if kind == "LSTM" else state
    torch.cuda.synchronize()
    with warnings.catch_warnings():  # "prototype feature" notice on first use
        warnings.simplefilter("ignore")
        torch.cuda.set_sync_debug_mode("error")
    try:
        for h in (None, hx):
            out, _ = m(x, h)
            out.square().mean().backward()
    finally:
        torch.cuda.set_sync_debug_mode("default")
    assert x.grad.is_cuda and all(p.grad.is_cuda for p in m.parameters())


def test_states_follow_the_input_device_and_dtype():
    m = lt.LSTM(5, 4, num_layers=2).to("cuda", torch.float64)
    out, (h, c) = m(torch.randn(6, 3, 5, device="cuda", dtype=torch.float64))
    assert out.is_cuda and h.is_cuda and c.is_cuda
    assert out.dtype == h.dtype == c.dtype == torch.float64
    cell = lt.GRUCell(5, 4, device="cuda")
    assert cell(torch.randn(5, device="cuda")).is_cuda


def test_device_mismatch_is_a_clear_error():
    with pytest.raises(lt.RNNInputError, match=r"LSTM: argument 'input' is on device cuda:0 but the "
                       r"module's weights are on cpu\. Hint: move both to one device"):
        lt.LSTM(5, 4)(torch.randn(6, 3, 5, device="cuda"))
    m = lt.GRU(5, 4, device="cuda")
    with pytest.raises(lt.RNNInputError, match=r"GRU: argument 'hx' is on device cpu"):
        m(torch.randn(6, 3, 5, device="cuda"), torch.zeros(1, 3, 4))


def test_training_on_the_gpu_learns_and_matches_the_cpu_run():
    """A short run of lstmlab.train with model and data on the GPU."""
    import numpy as np

    from lstmlab.train import train_torch

    cfg = dict(task="adding", T=10, cell="lstm", hidden_size=16, steps=60, batch_size=32,
               lr=1e-2, eval_every=30, eval_size=64, test_size=128, seed=0)
    gpu = train_torch(**cfg, impl="lstmlab", device="cuda", dtype=torch.float64, progress=False)
    cpu = train_torch(**cfg, impl="lstmlab", device="cpu", dtype=torch.float64, progress=False)
    assert gpu.info["device"].startswith("cuda")
    # Same seed, same float64 arithmetic up to summation order: the curves coincide.
    np.testing.assert_allclose(gpu.loss, cpu.loss, rtol=1e-6, atol=1e-9)
    assert np.mean(gpu.loss[-10:]) < 0.5 * np.mean(gpu.loss[:10])
    fast = train_torch(**cfg, impl="lstmlab", device="cuda", progress=False)  # float32
    assert np.all(np.isfinite(fast.loss)) and np.mean(fast.loss[-10:]) < np.mean(fast.loss[:10])


def test_tiny_training_loop_with_torch_nn_weights_on_gpu():
    """Without lstmlab.train: our LSTM and cuDNN's, same start, same SGD steps, same losses."""
    torch.manual_seed(0)
    ref = torch.nn.LSTM(3, 8, dtype=torch.float64, device="cuda")
    ours = lt.LSTM(3, 8, dtype=torch.float64, device="cuda")
    ours.load_state_dict(ref.state_dict())
    x = torch.randn(12, 16, 3, dtype=torch.float64, device="cuda")
    y = x[:, :, 0].sum(0, keepdim=True).T  # (N, 1): a sum the LSTM must carry through time
    losses = {}
    for name, m in (("ref", ref), ("ours", ours)):
        head = torch.nn.Linear(8, 1, dtype=torch.float64, device="cuda")
        torch.nn.init.constant_(head.weight, 0.1)
        torch.nn.init.zeros_(head.bias)
        opt = torch.optim.SGD(list(m.parameters()) + list(head.parameters()), lr=0.05)
        trace = []
        for _ in range(40):
            out, _ = m(x)
            loss = torch.nn.functional.mse_loss(head(out[-1]), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
            trace.append(loss.detach())
        losses[name] = torch.stack(trace).cpu()
    assert float((losses["ref"] - losses["ours"]).abs().max()) <= 1e-9
    assert float(losses["ours"][-1]) < 0.5 * float(losses["ours"][0])
