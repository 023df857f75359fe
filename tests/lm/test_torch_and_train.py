"""The torch model against the NumPy one (equal losses and gradients from equal weights, in
both lstmlab.torch and torch.nn), and the truncated-BPTT training loops."""

import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from lstmlab.lm.model import charlm_loss_and_grads, init_charlm  # noqa: E402
from lstmlab.lm.torch_model import IMPLS, CharLM, detach_state  # noqa: E402
from lstmlab.lm.train import LMConfig, evaluate_numpy, evaluate_torch, train_lm_numpy, train_lm_torch  # noqa: E402

V = 6
STREAM = np.tile(np.array([0, 1, 2, 3, 1, 2, 4, 5, 5, 3]), 60)  # a periodic "text" of 600 ids


@pytest.fixture(autouse=True)
def one_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.mark.parametrize("cell", ["rnn", "gru", "lstm"])
@pytest.mark.parametrize("embed", [None, 3])
@pytest.mark.parametrize("impl", IMPLS)
def test_equal_weights_give_equal_losses_and_gradients(cell, embed, impl):
    params = init_charlm(cell, V, 4, embed, seed=3)
    rng = np.random.default_rng(0)
    windows = [(rng.integers(0, V, (5, 2)), rng.integers(0, V, (5, 2))) for _ in range(2)]
    model = CharLM.from_numpy(params, impl=impl)
    state_np = state_t = None
    for x, y in windows:  # the second window starts from the carried state
        loss_np, grads_np, state_np = charlm_loss_and_grads(params, x, y, state_np)
        model.zero_grad()
        logits, state_t = model(torch.as_tensor(x), detach_state(state_t))
        loss_t = torch.nn.functional.cross_entropy(logits.reshape(-1, V), torch.as_tensor(y).reshape(-1))
        loss_t.backward()
        assert loss_t.item() == pytest.approx(loss_np, rel=0, abs=1e-13)
    names = {"W_ih": model.rnn.weight_ih_l0, "W_hh": model.rnn.weight_hh_l0, "b_ih": model.rnn.bias_ih_l0,
             "b_hh": model.rnn.bias_hh_l0, "W": model.head.weight, "b": model.head.bias}
    if embed:
        names["E_w"] = model.embed.weight
    assert set(names) == set(grads_np)
    for key, p in names.items():
        np.testing.assert_allclose(p.grad.numpy(), grads_np[key], rtol=0, atol=1e-12, err_msg=key)
    back = model.to_numpy()
    assert all(np.array_equal(back[k], params[k]) for k in params)


def test_numpy_and_torch_loops_take_the_same_steps():
    kw = dict(cell="lstm", hidden_size=8, embed_size=4, batch_size=4, window=7, steps=12, eval_every=6,
              eval_batch=2, lr=1e-2, max_norm=0.2)
    params, h_np = train_lm_numpy(STREAM, STREAM[:200], V, test_ids=STREAM[200:400], **kw)
    for impl in IMPLS:
        model, h_t = train_lm_torch(STREAM, STREAM[:200], V, test_ids=STREAM[200:400], impl=impl,
                                    dtype=torch.float64, **kw)
        np.testing.assert_allclose(h_t.loss, h_np.loss, rtol=0, atol=1e-10)
        np.testing.assert_allclose(h_t.grad_norm, h_np.grad_norm, rtol=1e-9)
        np.testing.assert_allclose(h_t.eval_loss, h_np.eval_loss, rtol=0, atol=1e-10)
        assert h_t.test_metric == pytest.approx(h_np.test_metric, abs=1e-10)
    assert h_np.eval_step == [6, 12] and len(h_np.loss) == 12
    # Clipping: the recorded norm is before it, the clipped one never above max_norm.
    before, after = np.array(h_np.grad_norm), np.array(h_np.info["grad_norm_clipped"])
    assert np.all(after <= 0.2 + 1e-12) and np.any(before > 0.2) and np.any(before < 0.2)
    np.testing.assert_allclose(after, np.minimum(before, 0.2))
    assert evaluate_numpy(params, STREAM[200:400], 2, 7) == pytest.approx(h_np.test_loss)


def test_carrying_the_state_changes_training_after_the_first_window():
    kw = dict(cell="gru", hidden_size=6, embed_size=None, batch_size=3, window=5, steps=4, eval_every=4,
              forget_bias=0.0)
    _, carried = train_lm_numpy(STREAM, STREAM[:100], V, carry_state=True, **kw)
    _, reset = train_lm_numpy(STREAM, STREAM[:100], V, carry_state=False, **kw)
    assert carried.loss[0] == reset.loss[0]  # both start from zeros
    assert carried.loss[1] != reset.loss[1]


def test_training_learns_a_periodic_stream():
    model, hist = train_lm_torch(STREAM, STREAM[:300], V, cell="lstm", hidden_size=16, embed_size=4,
                                 batch_size=8, window=10, steps=150, eval_every=50, lr=2e-2)
    # Period 10 with a repeated pair: once the phase is known every next id is certain.
    assert hist.eval_loss[-1] / math.log(2) < 0.2 and hist.loss[0] / math.log(2) > 2.0  # log2(6) = 2.58
    assert evaluate_torch(model, STREAM[:300], 8, 10, carry_state=False) > hist.eval_loss[-1]


def test_config_errors():
    with pytest.raises(ValueError, match="LMConfig: argument 'window' must be an int >= 1"):
        LMConfig(window=0)
    with pytest.raises(ValueError, match="LMConfig: argument 'forget_bias' must be 0.0 for a cell other"):
        LMConfig(cell="rnn", forget_bias=1.0)
    assert LMConfig(cell="gru").forget_bias == 0.0 and LMConfig().forget_bias == 1.0
    with pytest.raises(ValueError, match=r"train_lm_numpy: argument '\*\*overrides' has unknown setting\(s\) "
                                         r"\['hidden'\]"):
        train_lm_numpy(STREAM, STREAM, V, hidden=3)
    with pytest.raises(ValueError, match=r"CharLM.forward: argument 'x' must be an int64 tensor of shape \(T, N\)"):
        CharLM("lstm", V, 4)(torch.zeros(3, 2))


@pytest.mark.cuda
def test_model_trains_on_cuda_like_on_cpu():
    kw = dict(cell="lstm", hidden_size=8, embed_size=4, batch_size=4, window=7, steps=6, eval_every=3)
    _, cpu = train_lm_torch(STREAM, STREAM[:200], V, dtype=torch.float64, **kw)
    for impl in IMPLS:
        _, gpu = train_lm_torch(STREAM, STREAM[:200], V, dtype=torch.float64, device="cuda", impl=impl, **kw)
        np.testing.assert_allclose(gpu.loss, cpu.loss, rtol=1e-9)
        assert gpu.info["device"].startswith("cuda")
