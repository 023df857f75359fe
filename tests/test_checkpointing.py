"""Saved-tensor accounting and checkpointed unrolling (torch, CPU, a few seconds)."""

import pytest

torch = pytest.importorskip("torch")

from lstmlab.checkpointing import SavedTensorMeter, measure_checkpointing, unrolled_lstm_loss  # noqa: E402


def test_meter_counts_each_saved_storage_once_and_releases_it():
    x = torch.ones(10, 10, dtype=torch.float64, requires_grad=True)
    with SavedTensorMeter() as meter:
        y = (x * x).sum()  # mul saves x twice: one storage of 800 bytes
        meter.mark_forward()
        y.backward()
    assert meter.forward_bytes == 800
    assert meter.peak_bytes == 800
    assert meter.saved_tensors == 2
    assert meter.live_bytes == 0  # the backward pass freed it


@pytest.mark.parametrize("chunk", [1, 3, 8])
def test_checkpointed_gradients_equal_plain_ones(chunk):
    torch.manual_seed(0)
    cell = torch.nn.LSTMCell(3, 5).double()
    x = torch.randn(8, 2, 3, dtype=torch.float64)
    unrolled_lstm_loss(cell, x).backward()
    plain = [p.grad.clone() for p in cell.parameters()]
    cell.zero_grad()
    unrolled_lstm_loss(cell, x, chunk).backward()
    for expected, p in zip(plain, cell.parameters()):
        torch.testing.assert_close(p.grad, expected, rtol=1e-12, atol=1e-12)


def test_checkpointing_trades_memory_for_recomputation():
    results = {r["chunk"]: r for r in measure_checkpointing(T=16, N=2, D=2, H=8, chunks=(0, 4, 16), repeats=1)}
    full, root, one = results[0], results[4], results[16]
    # Without checkpointing everything stays until the backward pass: forward = peak.
    assert full["forward_bytes"] == full["peak_bytes"]
    # Chunks of sqrt(T) keep T/k boundary states and one chunk's activations at a time.
    assert root["forward_bytes"] < full["forward_bytes"] / 4
    assert root["peak_bytes"] < full["peak_bytes"] / 2
    # One chunk of all T steps recomputes everything at once: no saving at the peak.
    assert one["peak_bytes"] > 0.9 * full["peak_bytes"]
    for r in results.values():
        torch.testing.assert_close(r["grad_W_hh"], full["grad_W_hh"], rtol=1e-5, atol=1e-6)
        assert r["seconds"] > 0


def test_bad_chunk_and_input_are_explained():
    cell = torch.nn.LSTMCell(3, 5)
    with pytest.raises(ValueError, match=r"'chunk' must be None, 0 .* got -2\. Hint: T = 9 here; try chunk = 3"):
        unrolled_lstm_loss(cell, torch.zeros(9, 1, 3), chunk=-2)
    with pytest.raises(ValueError,
                       match=r"'x' must be a tensor of shape \(T, N, D\) = \(\?, \?, 3\), got torch.Size\(\[9, 3\]\)"):
        unrolled_lstm_loss(cell, torch.zeros(9, 3))
