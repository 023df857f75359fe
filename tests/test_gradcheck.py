"""Tests of lstmlab.gradcheck: the numerical gradient, its in-place contract, rel_error."""

import numpy as np
import pytest

from lstmlab.gradcheck import numerical_gradient, numerical_gradient_scalar, rel_error


def test_numerical_gradient_matches_known_derivative():
    # f(x) = sin(x) * x elementwise, df given: dL/dx = df * (cos(x) x + sin(x)).
    rng = np.random.default_rng(0)
    x = rng.normal(size=(3, 4))
    df = rng.normal(size=(3, 4))
    num = numerical_gradient(lambda v: np.sin(v) * v, x, df)
    exact = df * (np.cos(x) * x + np.sin(x))
    assert rel_error(num, exact) < 1e-8


def test_numerical_gradient_of_a_matrix_product_sees_every_output():
    # y = A @ x couples all entries; dL/dx = A.T @ df.
    rng = np.random.default_rng(1)
    A = rng.normal(size=(5, 3))
    x = rng.normal(size=(3, 2))
    df = rng.normal(size=(5, 2))
    assert rel_error(numerical_gradient(lambda v: A @ v, x, df), A.T @ df) < 1e-8


def test_x_is_bit_identical_after_the_check():
    rng = np.random.default_rng(2)
    # Values whose +-h round trip is inexact in float64: restoring by adding h back would fail.
    x = rng.normal(size=(4, 3)) * 1e3 + 0.1
    before = x.copy()
    # The test is sensitive: undoing the perturbation arithmetically changes some entries.
    naive = x.copy()
    for ix in np.ndindex(naive.shape):
        naive[ix] += 1e-5
        naive[ix] -= 2e-5
        naive[ix] += 1e-5
    assert naive.tobytes() != before.tobytes()
    numerical_gradient(lambda v: v**3, x, np.ones_like(x))
    assert x.tobytes() == before.tobytes()


def test_x_restored_even_when_f_raises():
    x = np.arange(4.0)
    before = x.copy()
    calls = {"n": 0}

    def f(v):
        calls["n"] += 1
        if calls["n"] == 3:  # fail on a perturbed evaluation
            raise RuntimeError("boom")
        return v * 2

    with pytest.raises(RuntimeError):
        numerical_gradient(f, x, np.ones(4))
    assert x.tobytes() == before.tobytes()


def test_scalar_version_and_zero_dim_input():
    x = np.array([1.0, -2.0, 0.5])
    num = numerical_gradient_scalar(lambda v: float(np.sum(v**2)), x)
    assert rel_error(num, 2 * x) < 1e-9
    x0 = np.array(1.5)
    assert rel_error(numerical_gradient_scalar(lambda v: v**2, x0), 2 * x0) < 1e-9


def test_progress_bar_can_be_shown(capsys):
    x = np.ones(3)
    num = numerical_gradient(lambda v: 3 * v, x, np.ones(3), progress=True)
    assert np.allclose(num, 3.0)
    assert "numerical gradient" in capsys.readouterr().err


def test_rejects_float32_with_hint():
    with pytest.raises(ValueError,
                       match=r"numerical_gradient: argument 'x' must have dtype float64, got float32.*meaningless"):
        numerical_gradient(lambda v: v, np.ones(3, dtype=np.float32), np.ones(3))


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(x=[1.0, 2.0]), r"numerical_gradient: argument 'x' must be a NumPy float64 array .* got list"),
        (dict(h=0.0), r"argument 'h' must be a positive finite step, got 0.0"),
        (dict(df=np.ones(4)), r"argument 'df' must have the shape of f\(x\), \(3,\), got \(4,\)"),
    ],
)
def test_bad_arguments(kwargs, match):
    args = dict(f=lambda v: np.asarray(v) * 1.0, x=np.ones(3), df=np.ones(3))
    args.update(kwargs)
    with pytest.raises(ValueError, match=match):
        numerical_gradient(**args)


def test_read_only_x_and_tuple_output_are_explained():
    x = np.ones(3)
    x.flags.writeable = False
    with pytest.raises(ValueError, match=r"argument 'x' is read-only"):
        numerical_gradient(lambda v: v, x, np.ones(3))
    with pytest.raises(ValueError, match=r"argument 'f' must return one array, but returned a tuple of 2 items.*\[0\]"):
        numerical_gradient(lambda v: (v, None), np.ones(3), np.ones(3))
    with pytest.raises(ValueError,
                       match=r"numerical_gradient_scalar: argument 'f' must return a scalar, got .* shape \(3,\)"):
        numerical_gradient_scalar(lambda v: v, np.ones(3))


def test_rel_error_definition():
    a = np.array([1.0, 0.0, -2.0, 1e-7])
    b = np.array([1.1, 0.0, -2.0, 1.1e-7])
    # default: largest difference over the largest |a|+|b| (4.0, from the third entry)
    assert rel_error(a, b) == pytest.approx(0.1 / 4.0, rel=1e-12)
    # cs231n: largest elementwise ratio, 1e-8 / 2.1e-7 on the last entry
    assert rel_error(a, b, elementwise=True) == pytest.approx(0.1 / 2.1, rel=1e-9)
    assert rel_error(a, a) == 0.0
    assert rel_error(np.zeros(0), np.zeros(0)) == 0.0
    assert rel_error(np.zeros(3), np.zeros(3), elementwise=True) == 0.0
    # entries far below the floor count as agreeing
    assert rel_error(np.array([1e-12]), np.array([2e-12])) < 1e-3


def test_rel_error_ignores_rounding_noise_on_tiny_entries_by_default():
    # A correct gradient with one tiny entry, and a numerical estimate with ~1e-11 noise.
    exact = np.array([0.5, -0.3, 8.7e-7])
    noisy = exact + np.array([2e-11, -1e-11, 1.5e-11])
    assert rel_error(exact, noisy) < 1e-9
    assert rel_error(exact, noisy, elementwise=True) > 1e-6


def test_rel_error_rejects_shape_mismatch_and_bad_floor():
    with pytest.raises(ValueError, match=r"rel_error: argument 'b' must have the shape of a, \(3,\), got \(3, 1\)"):
        rel_error(np.ones(3), np.ones((3, 1)))
    with pytest.raises(ValueError, match=r"rel_error: argument 'floor' must be a positive number"):
        rel_error(np.ones(3), np.ones(3), floor=0)
