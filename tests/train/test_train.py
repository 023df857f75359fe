"""The training loops learn, agree with each other, reproduce, clip, and refuse bad settings."""

from __future__ import annotations

import json

import numpy as np
import pytest

from lstmlab.train import History, TrainConfig, get_task, train_numpy

torch = pytest.importorskip("torch")
from lstmlab.train.torch_loop import build_model, train_torch  # noqa: E402

@pytest.fixture(autouse=True)
def one_torch_thread():
    """One intra-op thread: on a small shared CPU, torch's thread pool only adds waiting."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


# Tiny, fast settings: a few hundred milliseconds per run on one core.
TINY = dict(task="adding", T=6, cell="lstm", hidden_size=8, steps=12, batch_size=8,
            eval_every=6, eval_size=32, test_size=64, lr=1e-2)


# ------------------------------------------------------------------ learning


def test_numpy_loop_learns_the_adding_problem_at_small_T():
    hist = train_numpy(task="adding", T=5, cell="lstm", hidden_size=16, steps=250,
                       batch_size=32, lr=1e-2, eval_every=50, eval_size=256, test_size=512,
                       progress=False)
    # Predicting the constant 1 scores 1/6; the loop must get well under half of that.
    assert hist.baseline == pytest.approx(1 / 6)
    assert hist.test_metric < 0.4 * hist.baseline
    assert hist.eval_loss[-1] < 0.4 * hist.eval_loss[0] or hist.eval_loss[-1] < 0.05


@pytest.mark.parametrize("impl", ["lstmlab", "torch.nn"])
def test_torch_loop_learns_temporal_order_at_small_T(impl):
    hist = train_torch(task="temporal_order", T=10, cell="gru", hidden_size=16, steps=100,
                       batch_size=32, lr=2e-2, eval_every=50, eval_size=256, test_size=512,
                       impl=impl, progress=False)
    assert hist.metric == "accuracy" and hist.baseline == 0.25
    assert hist.test_metric > 0.9  # chance is 0.25
    assert len(hist.accuracy) == len(hist.loss) == len(hist.grad_norm) == 100
    assert np.mean(hist.loss[-20:]) < 0.5 * np.mean(hist.loss[:20])


# ------------------------------------------------------------------ agreement and reproducibility


@pytest.mark.parametrize("task,T,cell", [
    ("adding", 6, "rnn"), ("adding", 6, "gru"), ("adding_hochreiter", 8, "lstm"),
    ("copy", 3, "gru"), ("temporal_order", 10, "lstm"), ("agreement", 3, "rnn"),
])
def test_numpy_and_torch_float64_loops_take_the_same_steps(task, T, cell):
    """Same seed -> same weights and batches; the two loops' curves agree to rounding."""
    kw = dict(TINY, task=task, T=T, cell=cell)
    a = train_numpy(**kw, progress=False)
    b = train_torch(**kw, dtype=torch.float64, progress=False)
    np.testing.assert_allclose(a.loss, b.loss, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(a.grad_norm, b.grad_norm, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(a.eval_loss, b.eval_loss, rtol=1e-9)
    assert a.accuracy == b.accuracy
    assert a.test_metric == pytest.approx(b.test_metric, rel=1e-9)


@pytest.mark.parametrize("clip", ["norm", "value", "none"])
def test_clipping_modes_agree_between_loops(clip):
    kw = dict(TINY, clip=clip, max_norm=0.05, clip_value=0.01)
    a = train_numpy(**kw, progress=False)
    b = train_torch(**kw, dtype=torch.float64, progress=False)
    np.testing.assert_allclose(a.loss, b.loss, rtol=1e-9, atol=1e-12)


def test_clipping_changes_the_run_but_not_the_recorded_first_norm():
    runs = {c: train_numpy(**TINY, clip=c, max_norm=1e-3, clip_value=1e-4, progress=False)
            for c in ("none", "norm", "value")}
    # The norm is recorded before clipping: the first step's is the same in all three runs.
    firsts = {c: h.grad_norm[0] for c, h in runs.items()}
    assert firsts["norm"] == firsts["none"] == firsts["value"] > 1e-3
    # After the first (differently clipped) update the runs part ways.
    assert runs["norm"].loss[2] != runs["none"].loss[2]
    assert runs["value"].loss[2] != runs["none"].loss[2]


@pytest.mark.parametrize("train", [train_numpy, train_torch])
def test_same_seed_same_history_other_seed_other_history(train):
    a, b = train(**TINY, seed=3, progress=False), train(**TINY, seed=3, progress=False)
    c = train(**TINY, seed=4, progress=False)
    strip = lambda h: {k: v for k, v in h.to_dict().items() if k != "wall_time"}  # noqa: E731
    assert strip(a) == strip(b)
    assert a.loss != c.loss


def test_history_round_trips_through_json():
    h = train_numpy(**dict(TINY, task="temporal_order", T=10), progress=False)
    back = History.from_dict(json.loads(json.dumps(h.to_dict())))
    assert back == h
    assert len(h.eval_step) == len(h.eval_loss) == len(h.eval_accuracy) == 2
    assert h.eval_step == [6, 12] and h.test_accuracy == h.test_metric


def test_history_from_dict_names_unknown_keys():
    with pytest.raises(ValueError, match=r"unknown keys \['lossses'\].*History.to_dict"):
        History.from_dict({"config": {}, "backend": "numpy", "metric": "mse", "baseline": 0.1,
                           "lossses": []})


# ------------------------------------------------------------------ initialisation and progress


@pytest.mark.parametrize("impl", ["lstmlab", "torch.nn"])
def test_lstm_forget_bias_sits_in_b_ih_and_b_hh_is_zero_there(impl):
    for fb, expect in ((None, 1.0), (1.0, 1.0), (2.5, 2.5)):
        cfg = TrainConfig(**dict(TINY, forget_bias=fb))
        model = build_model(cfg, get_task(cfg), impl)
        H = cfg.hidden_size
        assert torch.all(model.rnn.bias_ih_l0[H:2 * H] == expect)
        assert torch.all(model.rnn.bias_hh_l0[H:2 * H] == 0.0)
    cfg = TrainConfig(**dict(TINY, forget_bias=0.0))  # torch.nn's random draw is kept
    b = build_model(cfg, get_task(cfg), impl).rnn.bias_hh_l0[H:2 * H]
    assert torch.all(b.abs() <= 1 / np.sqrt(H)) and torch.any(b != 0)


def test_progress_false_is_silent_and_true_draws_a_bar(capsys):
    train_numpy(**TINY, progress=False)
    assert capsys.readouterr().err == ""
    train_numpy(**TINY, progress=True)
    assert "numpy lstm adding T=6" in capsys.readouterr().err


# ------------------------------------------------------------------ bad settings


@pytest.mark.parametrize("override,pattern", [
    (dict(task="adder"), r"argument 'task' must be one of \['adding'.*got 'adder'"),
    (dict(cell="LSTM"), r"argument 'cell' must be one of \['rnn', 'lstm', 'gru'\], got 'LSTM'"),
    (dict(clip="l2"), r"argument 'clip' must be one of \['norm', 'value', 'none'\].*Hint"),
    (dict(T=0), r"argument 'T' must be a positive int, got 0"),
    (dict(hidden_size=2.5), r"argument 'hidden_size' must be a positive int, got 2.5"),
    (dict(steps=-1), r"argument 'steps' must be a positive int"),
    (dict(batch_size=True), r"argument 'batch_size' must be a positive int, got True"),
    (dict(lr=0.0), r"argument 'lr' must be a finite number > 0, got 0.0.*1e-3"),
    (dict(max_norm=float("inf")), r"argument 'max_norm' must be a finite number > 0"),
    (dict(seed=-2), r"argument 'seed' must be an int >= 0, got -2"),
    (dict(cell="gru", forget_bias=1.0), r"'forget_bias' must be None for a non-LSTM.*'gru'"),
    (dict(forget_bias=float("nan")), r"'forget_bias' must be a finite number or None"),
    (dict(task_kwargs=[1]), r"'task_kwargs' must be a dict"),
])
def test_bad_settings_raise_clear_errors(override, pattern):
    with pytest.raises(ValueError, match=pattern):
        TrainConfig(**dict(TINY, **override))


def test_unknown_task_kwargs_and_settings_are_named():
    with pytest.raises(ValueError, match=r"'task_kwargs' has \['n_symbol'\].*'copy'.*'n_symbols'"):
        train_numpy(**dict(TINY, task="copy", task_kwargs={"n_symbol": 4}), progress=False)
    with pytest.raises(ValueError, match=r"^train_numpy: argument 'hidden' is not a setting;.*TrainConfig"):
        train_numpy(hidden=3, progress=False)
    with pytest.raises(ValueError, match=r"^train_numpy: argument 'hidden' is not a setting \(nor are \['lrate'\]\)"):
        train_numpy(hidden=3, lrate=0.1, progress=False)
    with pytest.raises(ValueError, match=r"^train_numpy: argument 'steps' must be a positive int, got 0"):
        train_numpy(steps=0, progress=False)
    with pytest.raises(ValueError, match=r"^train_numpy: argument 'config' must be a TrainConfig or None, got dict"):
        train_numpy({"T": 3}, progress=False)


def test_torch_only_arguments_are_checked():
    with pytest.raises(ValueError, match=r"argument 'impl' must be one of \['lstmlab', 'torch.nn'\]"):
        train_torch(**TINY, impl="cudnn", progress=False)
    with pytest.raises(ValueError, match=r"argument 'dtype' must be torch.float32 or torch.float64"):
        train_torch(**TINY, dtype=torch.float16, progress=False)
    with pytest.raises(ValueError, match=r"argument 'device' must name a torch device"):
        train_torch(**TINY, device="gpu0", progress=False)


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the message shown without a GPU")
def test_cuda_device_without_gpu_says_so():
    with pytest.raises(ValueError, match=r"'device' is 'cuda' but no CUDA GPU is visible"):
        train_torch(**TINY, device="cuda", progress=False)


# ------------------------------------------------------------------ GPU


@pytest.mark.cuda
@pytest.mark.parametrize("impl", ["lstmlab", "torch.nn"])
def test_training_on_the_gpu_learns_and_matches_the_cpu_run(impl):
    kw = dict(task="temporal_order", T=10, cell="lstm", hidden_size=16, steps=200, batch_size=32,
              lr=1e-2, eval_every=50, eval_size=256, test_size=512, impl=impl, progress=False)
    gpu = train_torch(**kw, device="cuda")
    assert gpu.info["device"].startswith("cuda")
    assert gpu.test_metric > 0.9
    # float64 on both devices: the same run up to rounding in the kernels' summation order.
    a = train_torch(**dict(kw, steps=20), device="cuda", dtype=torch.float64)
    b = train_torch(**dict(kw, steps=20), device="cpu", dtype=torch.float64)
    np.testing.assert_allclose(a.loss, b.loss, rtol=1e-7)
