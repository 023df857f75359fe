"""Tests of lstmlab.numpy.optim against torch.optim / torch.nn.utils in float64."""

import numpy as np
import pytest

from lstmlab.numpy.optim import Adam, clip_grad_norm, clip_grad_value, sgd

torch = pytest.importorskip("torch")

SHAPES = {"W_ih": (8, 3), "W_hh": (8, 2), "b_ih": (8,)}


def _params(rng):
    return {k: rng.normal(size=s) for k, s in SHAPES.items()}


def _grads(rng, scale=1.0):
    return {k: rng.normal(size=s) * scale for k, s in SHAPES.items()}


def test_sgd_updates_in_place():
    rng = np.random.default_rng(0)
    params = _params(rng)
    grads = _grads(rng)
    before = {k: v.copy() for k, v in params.items()}
    ref = params["W_hh"]
    sgd(params, grads, lr=0.1)
    assert params["W_hh"] is ref  # same array object: whoever holds it sees the update
    for k in params:
        np.testing.assert_allclose(params[k], before[k] - 0.1 * grads[k], rtol=1e-15)


@pytest.mark.parametrize("lr, betas, eps", [(1e-3, (0.9, 0.999), 1e-8), (0.05, (0.5, 0.9), 1e-3)])
def test_adam_matches_torch_over_several_steps(lr, betas, eps):
    rng = np.random.default_rng(1)
    params = _params(rng)
    tparams = {k: torch.tensor(v.copy(), requires_grad=True) for k, v in params.items()}
    opt = Adam(params, lr=lr, betas=betas, eps=eps)
    topt = torch.optim.Adam(list(tparams.values()), lr=lr, betas=betas, eps=eps)
    for step in range(7):
        # gradients of very different sizes per step, as in real training
        grads = _grads(rng, scale=10.0 ** (step % 3 - 1))
        opt.step(grads)
        for k, p in tparams.items():
            p.grad = torch.from_numpy(grads[k].copy())
        topt.step()
        for k in params:
            np.testing.assert_allclose(params[k], tparams[k].detach().numpy(), rtol=1e-12, atol=1e-14)
    assert opt.t == 7


def test_clip_grad_norm_matches_torch_and_keeps_direction():
    rng = np.random.default_rng(2)
    grads = _grads(rng, scale=3.0)
    original = {k: v.copy() for k, v in grads.items()}
    clipped, total = clip_grad_norm(grads, max_norm=1.5)

    tensors = [torch.from_numpy(g.copy()) for g in grads.values()]
    for t in tensors:
        t.grad = t.clone()
    ttotal = torch.nn.utils.clip_grad_norm_(tensors, max_norm=1.5)
    assert total == pytest.approx(ttotal.item(), rel=1e-14)
    for c, t in zip(clipped.values(), tensors):
        np.testing.assert_allclose(c, t.grad.numpy(), rtol=1e-14)
    # direction kept: every array scaled by the same factor; new norm just below max_norm
    factor = clipped["W_ih"] / original["W_ih"]
    for k in grads:
        np.testing.assert_allclose(clipped[k], original[k] * factor.flat[0], rtol=1e-14)
        np.testing.assert_array_equal(grads[k], original[k])  # input left alone
    new_norm = np.sqrt(sum(np.sum(c**2) for c in clipped.values()))
    assert 1.5 - 1e-5 < new_norm < 1.5


def test_clip_grad_norm_leaves_small_gradients_unchanged():
    grads = {"a": np.array([0.3, 0.4])}
    clipped, total = clip_grad_norm(grads, max_norm=1.0)
    assert total == pytest.approx(0.5)
    np.testing.assert_array_equal(clipped["a"], grads["a"])
    assert clipped["a"] is not grads["a"]


def test_clip_grad_value_matches_torch():
    rng = np.random.default_rng(3)
    grads = _grads(rng, scale=2.0)
    clipped = clip_grad_value(grads, 0.7)
    for k, g in grads.items():
        t = torch.from_numpy(g.copy())
        t.grad = t.clone()
        torch.nn.utils.clip_grad_value_([t], 0.7)
        np.testing.assert_array_equal(clipped[k], t.grad.numpy())
    assert np.abs(grads["W_ih"]).max() > 0.7  # the input still holds the big entries


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda p, g: sgd(p, g, lr=0), r"sgd: argument 'lr' must be a finite number > 0, got 0"),
        (lambda p, g: sgd(p, g, lr="fast"), r"sgd: argument 'lr' must be a finite number > 0, got 'fast'"),
        (lambda p, g: clip_grad_norm(g, max_norm=-1),
         r"clip_grad_norm: argument 'max_norm' must be a finite number > 0, got -1"),
        (lambda p, g: clip_grad_norm(g, max_norm=float("inf")),
         r"clip_grad_norm: argument 'max_norm' must be a finite number > 0, got inf"),
        (lambda p, g: clip_grad_value(g, clip=0), r"clip_grad_value: argument 'clip' must be a finite number > 0"),
        (lambda p, g: Adam(p, lr=-1e-3), r"Adam: argument 'lr' must be a finite number > 0"),
        (lambda p, g: Adam(p, betas=(0.9, 1.0)), r"Adam: argument 'betas' must have betas\[1\] in \[0, 1\), got 1.0"),
        (lambda p, g: Adam(p, betas=0.9), r"Adam: argument 'betas' must be a pair"),
        (lambda p, g: Adam(p, eps=-1), r"Adam: argument 'eps' must be a finite number >= 0"),
    ],
)
def test_argument_messages(call, match):
    rng = np.random.default_rng(4)
    with pytest.raises(ValueError, match=match):
        call(_params(rng), _grads(rng))


def test_mismatched_grads_are_explained():
    rng = np.random.default_rng(5)
    params = _params(rng)
    grads = _grads(rng)
    grads["dW_hh"] = grads.pop("W_hh")
    with pytest.raises(ValueError,
                       match=r"sgd: argument 'grads' .*missing \['W_hh'\], unexpected \['dW_hh'\].*not 'dW_hh'"):
        sgd(params, grads, lr=0.1)
    grads = _grads(rng)
    grads["b_ih"] = grads["b_ih"][None, :]
    with pytest.raises(ValueError, match=r"Adam.step: argument 'grads' entry 'b_ih' must have the shape of "
                                         r"params\['b_ih'\], \(8,\), got \(1, 8\)"):
        Adam(params).step(grads)
    params["W_hh"] = params["W_hh"].astype(int)
    with pytest.raises(ValueError, match=r"sgd: argument 'params' entry 'W_hh' must be a floating-point "
                                         r"NumPy array .* dtype int64"):
        sgd(params, _grads(rng), lr=0.1)
