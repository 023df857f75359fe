"""The one-unit RNN cliff: exact gradients, the wall where theory puts it, clipped descent."""

import numpy as np
import pytest

from lstmlab import cliff


def centred(f, x, h=1e-6):
    return (f(x + h) - f(x - h)) / (2 * h)


@pytest.mark.parametrize("w, b", [(0.6, -0.2), (1.2, 0.3), (2.5, -0.2), (1.49, -0.2), (-0.7, 0.1)])
def test_gradient_matches_centred_differences(w, b):
    loss, dw, db = cliff.loss_and_grad(w, b)
    num_dw = centred(lambda v: cliff.loss_and_grad(v, b)[0], w)
    num_db = centred(lambda v: cliff.loss_and_grad(w, v)[0], b)
    assert abs(dw - num_dw) <= 1e-7 * max(1.0, abs(num_dw))
    assert abs(db - num_db) <= 1e-7 * max(1.0, abs(num_db))


def test_broadcasts_over_a_grid_like_pointwise_calls():
    w = np.linspace(0.0, 3.0, 7)[:, None]
    b = np.array([-0.3, 0.0, 0.2])[None, :]
    loss, dw, db = cliff.loss_and_grad(w, b)
    assert loss.shape == dw.shape == db.shape == (7, 3)
    for i in range(7):
        for j in range(3):
            one = cliff.loss_and_grad(float(w[i, 0]), float(b[0, j]))
            np.testing.assert_allclose([loss[i, j], dw[i, j], db[i, j]], [float(v) for v in one], rtol=1e-12)


def test_unroll_is_the_recurrence():
    hs = cliff.unroll(1.3, -0.1, steps=4, h0=0.2)
    assert hs.shape == (5,)
    assert hs[0] == 0.2
    for t in range(1, 5):
        assert hs[t] == pytest.approx(np.tanh(1.3 * hs[t - 1] - 0.1), rel=1e-15)


def test_the_wall_is_where_the_unstable_fixed_point_crosses_h0():
    wc = cliff.wall_position()
    assert wc == pytest.approx((np.arctanh(0.5) + 0.2) / 0.5)
    below, above = cliff.unroll([wc - 1e-3, wc + 1e-3])[-1]
    assert below < -0.9 and above > 0.6  # opposite branches a thousandth either side
    loss, dw, _ = cliff.loss_and_grad(np.linspace(wc - 0.02, wc + 0.02, 4001))
    far_loss, far_dw, _ = cliff.loss_and_grad(np.linspace(0.2, 1.3, 200))
    # The wall: the loss jumps by more than 2 and the slope there dwarfs the slope elsewhere.
    assert loss.max() - loss.min() > 2.0
    assert np.abs(dw).max() > 1000 * np.abs(far_dw).max()


def test_clipping_keeps_descent_at_the_foot_of_the_wall():
    plain = cliff.descend(0.6, lr=0.05, n_steps=150)
    clipped = cliff.descend(0.6, lr=0.05, n_steps=150, max_norm=1.0)
    assert plain.w.shape == plain.loss.shape == (151,)
    assert plain.grad.shape == (150,)
    # Unclipped: one step on the wall throws w far to the left, where the loss is high.
    assert np.abs(np.diff(plain.w)).max() > 5.0
    assert plain.loss[-1] > 1.0
    # Clipped: no step is longer than lr * max_norm, and the run ends near the minimum.
    assert np.abs(np.diff(clipped.w)).max() <= 0.05 * 1.0 + 1e-12
    assert clipped.loss[-1] < 0.02
    assert abs(clipped.w[-1] - cliff.wall_position()) < 0.1


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: cliff.unroll(1.0, steps=0), r"^unroll: argument 'steps' must be a positive int .* got 0\. Hint"),
        (lambda: cliff.unroll(1.0, steps=2.5), r"^unroll: argument 'steps' must be a positive int"),
        (lambda: cliff.unroll(1.0, h0=1.0), r"^unroll: argument 'h0' must be a number in \(-1, 1\)"),
        (lambda: cliff.unroll("a"), r"^unroll: argument 'w' must be a real number .* dtype <U1"),
        (lambda: cliff.unroll(1.0, b=np.nan), r"^unroll: argument 'b' must hold finite values .* 1 NaN or inf"),
        (lambda: cliff.unroll(np.ones(3), b=np.ones(2)), r"^unroll: argument 'b' must broadcast against w's shape"),
        (lambda: cliff.loss_and_grad(1.0, target=np.inf), r"^loss_and_grad: argument 'target' must hold finite"),
        (lambda: cliff.loss_and_grad("a"), r"^loss_and_grad: argument 'w' must be a real number"),
        (lambda: cliff.wall_position(h0=0.0), r"^wall_position: argument 'h0' must be a non-zero initial state"),
        (lambda: cliff.descend(0.5, lr=0.0, n_steps=3), r"^descend: argument 'lr' must be a finite number > 0"),
        (lambda: cliff.descend(0.5, lr=0.1, n_steps=-1), r"^descend: argument 'n_steps' must be an int >= 0"),
        (lambda: cliff.descend(0.5, lr=0.1, n_steps=2, max_norm=-1.0), r"^descend: argument 'max_norm'.*> 0"),
        (lambda: cliff.descend(0.5, lr=0.1, n_steps=2, h0=2.0), r"^descend: argument 'h0' must be a number in"),
        (lambda: cliff.descend(np.ones(2), lr=0.1, n_steps=2), r"^descend: argument 'w0' must be one number"),
    ],
)
def test_bad_input_names_the_argument(call, match):
    with pytest.raises(ValueError, match=match):
        call()
