"""Bad input raises ValueError naming the argument, the expected and received shape, and a hint."""

from __future__ import annotations

import re

import numpy as np
import pytest

import lstmlab.numpy as ref

T, N, D, H = 3, 2, 4, 5


@pytest.fixture
def lstm_args():
    rng = np.random.default_rng(0)
    p = ref.init_params("lstm", D, H, rng)
    return dict(x=rng.standard_normal((T, N, D)), h0=np.zeros((N, H)), c0=np.zeros((N, H)), **p)


def call(fn, kwargs):
    return fn(*kwargs.values())


def test_wrong_rank(lstm_args):
    lstm_args["x"] = lstm_args["x"][0]  # (N, D): forgot the time axis
    with pytest.raises(ValueError) as err:
        call(ref.lstm_forward, lstm_args)
    msg = str(err.value)
    assert "lstm_forward" in msg and "'x'" in msg
    assert "(T, N, D)" in msg and "(2, 4)" in msg and "3 axes" in msg
    assert "Hint:" in msg and "time-major" in msg


def test_mismatched_hidden_size_names_both_arguments(lstm_args):
    lstm_args["h0"] = np.zeros((N, H + 1))
    with pytest.raises(ValueError) as err:
        call(ref.lstm_forward, lstm_args)
    msg = str(err.value)
    assert "'h0'" in msg and "(N, H) = (2, 5)" in msg and "(2, 6)" in msg
    assert "'W_hh' has H = 5" in msg and "Hint:" in msg


def test_transposed_weight_is_caught(lstm_args):
    lstm_args["W_ih"] = lstm_args["W_ih"].T.copy()  # (D, 4H): another course's layout
    with pytest.raises(ValueError) as err:
        call(ref.lstm_forward, lstm_args)
    msg = str(err.value)
    assert "'W_ih'" in msg and "(4H, D) = (20, 4)" in msg and "(4, 20)" in msg
    assert "not its transpose" in msg


def test_gate_count_must_divide(lstm_args):
    lstm_args["W_hh"] = np.zeros((3 * H, H))  # a GRU weight handed to an LSTM
    with pytest.raises(ValueError, match=re.escape("(4H, H)")) as err:
        call(ref.lstm_forward, lstm_args)
    assert "'W_hh'" in str(err.value) and "i, f, g, o" in str(err.value)


def test_integer_dtype(lstm_args):
    lstm_args["x"] = np.ones((T, N, D), dtype=np.int64)
    with pytest.raises(ValueError) as err:
        call(ref.lstm_forward, lstm_args)
    msg = str(err.value)
    assert "'x'" in msg and "int64" in msg and "(T, N, D) = (?, ?, ?)" in msg and "astype(np.float64)" in msg


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite(lstm_args, bad):
    lstm_args["c0"] = lstm_args["c0"].copy()
    lstm_args["c0"][1, 2] = bad
    with pytest.raises(ValueError) as err:
        call(ref.lstm_forward, lstm_args)
    msg = str(err.value)
    assert "'c0'" in msg and "(2, 5)" in msg and "NaN or inf" in msg and "Hint:" in msg


def test_not_an_array(lstm_args):
    lstm_args["x"] = lstm_args["x"].tolist()
    with pytest.raises(ValueError, match=r"'x' must be a NumPy array of shape \(T, N, D\).*got list.*np\.asarray"):
        call(ref.lstm_forward, lstm_args)


def test_bias_must_be_flat():
    rng = np.random.default_rng(1)
    p = ref.init_params("rnn", D, H, rng)
    p["b_ih"] = p["b_ih"][None]
    with pytest.raises(ValueError) as err:
        ref.rnn_step_forward(rng.standard_normal((N, D)), np.zeros((N, H)), **p)
    msg = str(err.value)
    assert "rnn_step_forward" in msg and "'b_ih'" in msg and "(H,) = (5,)" in msg and "(1, 5)" in msg and "ravel" in msg


@pytest.mark.parametrize("kind", ["rnn", "lstm", "gru"])
def test_backward_checks_upstream_shape(kind):
    rng = np.random.default_rng(2)
    p = ref.init_params(kind, D, H, rng)
    x = rng.standard_normal((T, N, D))
    if kind == "lstm":
        _, _, cache = ref.lstm_forward(x, None, None, **p)
    else:
        _, cache = getattr(ref, f"{kind}_forward")(x, None, **p)
    with pytest.raises(ValueError) as err:
        getattr(ref, f"{kind}_backward")(np.zeros((T, N, H + 2)), cache)
    msg = str(err.value)
    assert f"{kind}_backward" in msg and "'dhs'" in msg and "(T, N, H) = (3, 2, 5)" in msg and "(3, 2, 7)" in msg


def test_step_backward_checks_dc():
    rng = np.random.default_rng(3)
    p = ref.init_params("lstm", D, H, rng)
    _, _, cache = ref.lstm_step_forward(rng.standard_normal((N, D)), np.zeros((N, H)), np.zeros((N, H)), **p)
    with pytest.raises(ValueError, match=r"lstm_step_backward: argument 'dc'.*\(N, H\) = \(2, 5\).*\(5, 2\)"):
        ref.lstm_step_backward(np.zeros((N, H)), np.zeros((H, N)), cache)


@pytest.mark.parametrize(
    "kwargs, pattern",
    [
        (dict(kind="lstmm", input_size=2, hidden_size=3), r"^init_params: argument 'kind' must be one of .*Hint"),
        (dict(kind="lstm", input_size=0, hidden_size=3), r"^init_params: argument 'input_size' must be a positive int"),
        (dict(kind="lstm", input_size=2, hidden_size=True), r"^init_params: argument 'hidden_size' must be a positive"),
        (dict(kind="rnn", input_size=2, hidden_size=3, forget_bias=1.0),
         r"^init_params: argument 'forget_bias' applies to an LSTM only"),
        (dict(kind="lstm", input_size=2, hidden_size=3, forget_bias=np.nan),
         r"^init_params: argument 'forget_bias' must be a finite number"),
        (dict(kind="rnn", input_size=2, hidden_size=3, rng="seed"), r"^init_params: argument 'rng' must be an int"),
    ],
)
def test_init_params_errors(kwargs, pattern):
    with pytest.raises(ValueError, match=pattern):
        ref.init_params(**kwargs)
