"""Cho et al.'s GRU (reset before the projection): gradient checks, torch autograd parity, errors."""

from __future__ import annotations

import numpy as np
import pytest

import lstmlab.numpy as ref
from lstmlab.gradcheck import numerical_gradient, rel_error
from lstmlab.numpy.gru_variants import (
    gru_cho_backward,
    gru_cho_forward,
    gru_cho_step_backward,
    gru_cho_step_forward,
)

THRESHOLD = 1e-7
W = ("W_ih", "W_hh", "b_ih", "b_hh")
SHAPES = [(4, 3, 5, 6), (1, 2, 3, 4), (5, 1, 2, 3), (3, 2, 7, 2)]  # (T, N, D, H)


def _inputs(T, N, D, H, seed, sequence):
    rng = np.random.default_rng(seed)
    # Weights scaled up so the gates are neither linear nor saturated (as the other cell tests).
    p = {k: v * 0.5 * np.sqrt(H) for k, v in ref.init_params("gru", D, H, rng).items()}
    x = rng.standard_normal((T, N, D) if sequence else (N, D))
    h = rng.standard_normal((N, H)) * 0.5
    return x, h, p


@pytest.mark.parametrize("shape", SHAPES, ids=lambda s: "T{}N{}D{}H{}".format(*s))
@pytest.mark.parametrize("sequence", [False, True], ids=["step", "sequence"])
def test_backward_matches_numerical_gradient(shape, sequence):
    x, h, p = _inputs(*shape, seed=sum(shape), sequence=sequence)
    fwd, bwd = (gru_cho_forward, gru_cho_backward) if sequence else (gru_cho_step_forward, gru_cho_step_backward)
    args = {"x": x, "h": h, **p}
    out, cache = fwd(*args.values())
    dout = np.random.default_rng(1).standard_normal(out.shape)
    grads = bwd(dout, cache)
    assert len(grads) == 6
    for (name, value), grad in zip(args.items(), grads):
        assert grad.shape == value.shape, f"d{name} has the wrong shape"
        numeric = numerical_gradient(lambda _: fwd(*args.values())[0], value, dout)
        err = rel_error(numeric, grad)
        assert err <= THRESHOLD, f"d{name}: rel_error {err:.2e} > {THRESHOLD}"


def test_matches_torch_autograd_float64():
    """The same equations written in torch and differentiated by autograd agree to 1e-12."""
    torch = pytest.importorskip("torch")
    x, h0, p = _inputs(6, 3, 4, 5, seed=7, sequence=True)
    hs, cache = gru_cho_forward(x, h0, *p.values())
    dhs = np.random.default_rng(2).standard_normal(hs.shape)
    ours = gru_cho_backward(dhs, cache)

    tx, th0 = (torch.tensor(a, requires_grad=True) for a in (x, h0))
    tp = {k: torch.tensor(v, requires_grad=True) for k, v in p.items()}
    H = h0.shape[1]
    h, outs = th0, []
    for t in range(x.shape[0]):
        xw = tx[t] @ tp["W_ih"].T + tp["b_ih"]
        r = torch.sigmoid(xw[:, :H] + h @ tp["W_hh"][:H].T + tp["b_hh"][:H])
        z = torch.sigmoid(xw[:, H:2 * H] + h @ tp["W_hh"][H:2 * H].T + tp["b_hh"][H:2 * H])
        n = torch.tanh(xw[:, 2 * H:] + (r * h) @ tp["W_hh"][2 * H:].T + tp["b_hh"][2 * H:])
        h = (1 - z) * n + z * h
        outs.append(h)
    torch_hs = torch.stack(outs)
    assert np.abs(torch_hs.detach().numpy() - hs).max() <= 1e-12
    (torch_hs * torch.from_numpy(dhs)).sum().backward()
    for name, grad, leaf in zip(("x", "h0", *W), ours, (tx, th0, *tp.values())):
        diff = np.abs(leaf.grad.numpy() - grad).max()
        assert diff <= 1e-12, f"d{name} differs from autograd by {diff:.1e}"


def test_sequence_equals_loop_of_steps():
    x, h0, p = _inputs(4, 2, 3, 5, seed=3, sequence=True)
    hs, cache = gru_cho_forward(x, h0, *p.values())
    dhs = np.random.default_rng(4).standard_normal(hs.shape)
    seq_grads = gru_cho_backward(dhs, cache)
    h, caches = h0, []
    for t in range(x.shape[0]):
        h, c = gru_cho_step_forward(x[t], h, *p.values())
        np.testing.assert_allclose(h, hs[t], rtol=0, atol=1e-14)
        caches.append(c)
    dh = np.zeros_like(h0)
    dx = np.empty_like(x)
    totals = [np.zeros_like(v) for v in p.values()]
    for t in reversed(range(x.shape[0])):
        dx[t], dh, *dw = gru_cho_step_backward(dhs[t] + dh, caches[t])
        totals = [a + b for a, b in zip(totals, dw)]
    for ours, theirs in zip((dx, dh, *totals), seq_grads):
        np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-12)


def test_differs_from_torch_form_and_agrees_without_hidden_candidate_weights():
    """The two GRUs are different functions of the same parameters; they coincide exactly when
    W_hn = 0 and b_hn = 0, where it no longer matters where r is applied."""
    x, h0, p = _inputs(5, 3, 4, 6, seed=11, sequence=True)
    cho, _ = gru_cho_forward(x, h0, *p.values())
    torch_form, _ = ref.gru_forward(x, h0, *p.values())
    assert np.abs(cho - torch_form).max() > 1e-2
    H = h0.shape[1]
    p["W_hh"][2 * H:] = 0.0
    p["b_hh"][2 * H:] = 0.0
    cho, _ = gru_cho_forward(x, h0, *p.values())
    torch_form, _ = ref.gru_forward(x, h0, *p.values())
    np.testing.assert_allclose(cho, torch_form, rtol=0, atol=1e-15)


def test_none_initial_state_is_zeros():
    x, h0, p = _inputs(3, 2, 4, 5, seed=5, sequence=True)
    a, _ = gru_cho_forward(x, None, *p.values())
    b, _ = gru_cho_forward(x, np.zeros_like(h0), *p.values())
    np.testing.assert_array_equal(a, b)


def test_errors_name_the_argument_and_shapes():
    x, h0, p = _inputs(3, 2, 4, 5, seed=6, sequence=True)
    with pytest.raises(ValueError, match=r"gru_cho_forward: argument 'W_hh'.*\(3H, H\).*Hint: .*G=3"):
        gru_cho_forward(x, h0, p["W_ih"], p["W_hh"].T.copy(), p["b_ih"], p["b_hh"])
    with pytest.raises(ValueError, match=r"gru_cho_step_forward: argument 'h_prev'.*\(N, H\) = \(2, 5\)"):
        gru_cho_step_forward(x[0], h0[:, :4], *p.values())
    hs, cache = gru_cho_forward(x, h0, *p.values())
    with pytest.raises(ValueError, match=r"gru_cho_backward: argument 'dhs'.*\(T, N, H\) = \(3, 2, 5\)"):
        gru_cho_backward(hs[:-1], cache)
    _, step_cache = gru_cho_step_forward(x[0], h0, *p.values())
    with pytest.raises(ValueError, match=r"gru_cho_step_backward: argument 'dh'.*\(N, H\) = \(2, 5\)"):
        gru_cho_step_backward(hs, step_cache)
