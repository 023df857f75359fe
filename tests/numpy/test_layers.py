"""Tests of lstmlab.numpy.layers: temporal linear layer, softmax, MSE and cross-entropy."""

import warnings

import numpy as np
import pytest

from lstmlab.gradcheck import numerical_gradient, numerical_gradient_scalar, rel_error
from lstmlab.numpy.layers import (
    log_softmax,
    mse_loss,
    softmax,
    softmax_cross_entropy,
    temporal_linear_backward,
    temporal_linear_forward,
)

torch = pytest.importorskip("torch")


@pytest.fixture
def rng():
    return np.random.default_rng(1234)


# ---------------------------------------------------------------- temporal linear


@pytest.mark.parametrize("shape", [(3, 4, 5), (4, 5)])
def test_temporal_linear_gradcheck(rng, shape):
    h = rng.normal(size=shape)
    W = rng.normal(size=(6, shape[-1]))
    b = rng.normal(size=6)
    y, cache = temporal_linear_forward(h, W, b)
    assert y.shape == shape[:-1] + (6,)
    dy = rng.normal(size=y.shape)
    dh, dW, db = temporal_linear_backward(dy, cache)
    assert rel_error(dh, numerical_gradient(lambda v: temporal_linear_forward(v, W, b)[0], h, dy)) < 1e-7
    assert rel_error(dW, numerical_gradient(lambda v: temporal_linear_forward(h, v, b)[0], W, dy)) < 1e-7
    assert rel_error(db, numerical_gradient(lambda v: temporal_linear_forward(h, W, v)[0], b, dy)) < 1e-7


def test_temporal_linear_matches_torch_linear(rng):
    h = rng.normal(size=(5, 3, 4))
    lin = torch.nn.Linear(4, 2).double()
    W = lin.weight.detach().numpy().copy()
    b = lin.bias.detach().numpy().copy()
    y, _ = temporal_linear_forward(h, W, b)
    np.testing.assert_allclose(y, lin(torch.from_numpy(h)).detach().numpy(), rtol=1e-12, atol=1e-12)


def test_temporal_linear_messages(rng):
    h = rng.normal(size=(3, 4, 5))
    with pytest.raises(ValueError, match=r"temporal_linear_forward: argument 'W' .*\(M, H\) = \(5, 5\).*pass W.T"):
        temporal_linear_forward(h, np.zeros((5, 6)), np.zeros(6))
    with pytest.raises(ValueError, match=r"argument 'b' .*\(M,\) = \(6,\).*ravel"):
        temporal_linear_forward(h, np.zeros((6, 5)), np.zeros((1, 6)))
    with pytest.raises(ValueError, match=r"argument 'h' .*\(T, N, H\).*time-major"):
        temporal_linear_forward(np.zeros(5), np.zeros((6, 5)), np.zeros(6))
    _, cache = temporal_linear_forward(h, np.zeros((6, 5)), np.zeros(6))
    with pytest.raises(ValueError, match=r"temporal_linear_backward: argument 'dy' .*\(T, N, M\) = \(3, 4, 6\)"):
        temporal_linear_backward(np.zeros((3, 4, 5)), cache)


# ---------------------------------------------------------------- softmax and losses


def test_softmax_and_log_softmax_agree_with_torch(rng):
    z = rng.normal(size=(4, 7)) * 5
    np.testing.assert_allclose(softmax(z), torch.softmax(torch.from_numpy(z), -1).numpy(), rtol=1e-12)
    np.testing.assert_allclose(
        log_softmax(z), torch.log_softmax(torch.from_numpy(z), -1).numpy(), rtol=1e-12, atol=1e-12
    )


def test_stable_at_plus_minus_1000():
    z = np.array([[1000.0, -1000.0, 0.0], [-1000.0, -1000.0, -999.0]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # an overflow/divide warning would fail here
        p = softmax(z)
        logp = log_softmax(z)
        loss, dlogits = softmax_cross_entropy(z, np.array([1, 2]))
        mloss, dpred = mse_loss(z, -z)
    for arr in (p, logp, dlogits, dpred):
        assert np.all(np.isfinite(arr))
    assert np.isfinite(loss) and np.isfinite(mloss)
    np.testing.assert_allclose(p.sum(-1), 1.0)
    # Label 1 in row 0 has logit 1000 below the max: its loss is exactly 2000.
    assert loss == pytest.approx((2000.0 + np.log1p(2 * np.exp(-1.0))) / 2, rel=1e-12)


def test_mse_matches_torch_and_gradcheck(rng):
    pred = rng.normal(size=(6, 1))
    target = rng.normal(size=(6, 1))
    loss, dpred = mse_loss(pred, target)
    tp = torch.from_numpy(pred).requires_grad_()
    tl = torch.nn.functional.mse_loss(tp, torch.from_numpy(target))
    tl.backward()
    assert loss == pytest.approx(tl.item(), rel=1e-14)
    np.testing.assert_allclose(dpred, tp.grad.numpy(), rtol=1e-14)
    assert rel_error(dpred, numerical_gradient_scalar(lambda v: mse_loss(v, target)[0], pred)) < 1e-7


def test_mse_refuses_broadcasting():
    with pytest.raises(ValueError, match=r"mse_loss: argument 'target' .*\(4, 1\).*\(4,\).*reshape"):
        mse_loss(np.zeros((4, 1)), np.zeros(4))
    with pytest.raises(ValueError, match=r"mse_loss: argument 'pred' is empty"):
        mse_loss(np.zeros((0, 1)), np.zeros((0, 1)))
    with pytest.raises(ValueError, match=r"mse_loss: argument 'pred' .*NaN or inf"):
        mse_loss(np.array([np.nan]), np.zeros(1))
    with pytest.raises(ValueError, match=r"mse_loss: argument 'target' must be a float array"):
        mse_loss(np.zeros(2), np.array(["a", "b"]))


@pytest.mark.parametrize("with_mask", [False, True])
def test_cross_entropy_matches_torch_and_gradcheck(rng, with_mask):
    T, N, C = 4, 3, 5
    logits = rng.normal(size=(T, N, C)) * 3
    labels = rng.integers(0, C, size=(T, N))
    mask = rng.random((T, N)) < 0.6 if with_mask else None
    if with_mask:
        mask[0, 0] = True
        labels[~mask] = -1  # padding labels are ignored where masked out
    loss, dlogits = softmax_cross_entropy(logits, labels, mask)

    keep = np.ones((T, N), bool) if mask is None else mask
    tz = torch.from_numpy(logits).requires_grad_()
    tl = torch.nn.functional.cross_entropy(tz[torch.from_numpy(keep)], torch.from_numpy(labels[keep]))
    tl.backward()
    assert loss == pytest.approx(tl.item(), rel=1e-13)
    np.testing.assert_allclose(dlogits, tz.grad.numpy(), rtol=1e-12, atol=1e-15)
    num = numerical_gradient_scalar(lambda v: softmax_cross_entropy(v, labels, mask)[0], logits)
    assert rel_error(dlogits, num) < 1e-7
    if with_mask:
        assert np.all(dlogits[~mask] == 0.0)


def test_cross_entropy_accepts_integer_mask_and_one_label_per_sequence(rng):
    logits = rng.normal(size=(5, 4))
    labels = rng.integers(0, 4, size=5)
    full, _ = softmax_cross_entropy(logits, labels)
    ones, _ = softmax_cross_entropy(logits, labels, np.ones(5, dtype=int))
    assert full == ones
    # the uniform prediction costs log C
    assert softmax_cross_entropy(np.zeros((5, 4)), labels)[0] == pytest.approx(np.log(4))


@pytest.mark.parametrize(
    "labels, mask, match",
    [
        (np.zeros((3, 2), int), None, r"argument 'labels' should have shape .*\(3,\).*argmax"),
        (np.zeros(3), None, r"argument 'labels' must hold integer class indices, got dtype float64"),
        (np.array([0, 4, 1]), None, r"argument 'labels' must be class indices in \[0, C\) = \[0, 4\), got 4"),
        (np.zeros(3, int), np.ones(4, bool), r"argument 'mask' should have shape .*\(3,\)"),
        (np.zeros(3, int), np.array([0, 2, 1]), r"argument 'mask' must hold booleans or 0/1"),
        (np.zeros(3, int), np.zeros(3, bool), r"argument 'mask' selects no position"),
    ],
)
def test_cross_entropy_messages(labels, mask, match):
    with pytest.raises(ValueError, match="softmax_cross_entropy: " + match):
        softmax_cross_entropy(np.zeros((3, 4)), labels, mask)


def test_cross_entropy_rejects_logits_without_classes():
    with pytest.raises(ValueError, match=r"argument 'logits' should have shape \(\.\.\., C\)"):
        softmax_cross_entropy(np.zeros((3, 0)), np.zeros(3, int))
