"""The activations are stable at the extremes and exact in the middle."""

import warnings

import numpy as np

from lstmlab.numpy import sigmoid, tanh


def test_extreme_inputs_no_warning_no_nan():
    a = np.array([-1000.0, -745.0, -50.0, 0.0, 50.0, 745.0, 1000.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        # underflow to 0 is the right answer far out in the tails; overflow or NaN is not
        with np.errstate(over="raise", invalid="raise", divide="raise", under="ignore"):
            s, t = sigmoid(a), tanh(a)
    assert np.all(np.isfinite(s)) and np.all(np.isfinite(t))
    assert s[0] == 0.0 or s[0] < 1e-300
    assert s[-1] == 1.0 and t[-1] == 1.0 and t[0] == -1.0
    assert s[3] == 0.5


def test_sigmoid_matches_definition_and_symmetry():
    a = np.linspace(-30, 30, 601)
    np.testing.assert_allclose(sigmoid(a), 1 / (1 + np.exp(-a)), rtol=1e-14, atol=0)
    np.testing.assert_allclose(sigmoid(a) + sigmoid(-a), 1.0, rtol=0, atol=1e-15)
    np.testing.assert_allclose(tanh(a), 2 * sigmoid(2 * a) - 1, atol=1e-14)
