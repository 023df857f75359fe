"""Tests of lstmlab.diagnostics on cases with known answers, and against the reference BPTT."""

import numpy as np
import pytest

from lstmlab.diagnostics import (
    cell_gradient_norms,
    hidden_gradient_norms,
    jacobian_product_norms,
    scale_to_spectral_radius,
    spectral_radius,
    state_gradients,
    step_jacobians,
)
from lstmlab.gradcheck import numerical_gradient, rel_error
from lstmlab.numpy import (
    gru_backward,
    gru_forward,
    gru_step_forward,
    init_params,
    lstm_backward,
    lstm_forward,
    lstm_step_forward,
    rnn_backward,
    rnn_forward,
    rnn_step_forward,
)

T, N, D, H = 12, 3, 2, 4


def _setup(kind, seed=0):
    rng = np.random.default_rng(seed)
    return init_params(kind, D, H, rng), rng.normal(size=(T, N, D)), rng


def test_linear_regime_rnn_decays_exactly_as_rho_to_the_k():
    # x = 0, h0 = 0, biases 0: every h_t = 0, so tanh' = 1 and dh_{t-1} = rho * dh_t exactly.
    rho = 0.7
    params = {"W_ih": np.ones((H, D)), "W_hh": rho * np.eye(H), "b_ih": np.zeros(H), "b_hh": np.zeros(H)}
    norms = hidden_gradient_norms("rnn", params, np.zeros((T, N, D)))
    k = np.arange(T)[::-1]  # steps back from the last
    np.testing.assert_allclose(norms, rho**k, rtol=1e-14)
    prods = jacobian_product_norms("rnn", params, np.zeros((T, N, D)))
    np.testing.assert_allclose(prods, rho ** np.arange(T + 1), rtol=1e-13)


@pytest.mark.parametrize("kind", ["rnn", "gru", "lstm"])
def test_state_gradients_agree_with_sequence_bptt(kind):
    params, x, rng = _setup(kind)
    h0 = rng.normal(size=(N, H)) * 0.5
    c0 = rng.normal(size=(N, H)) if kind == "lstm" else None
    upstream = rng.normal(size=(T, N, H))
    g = state_gradients(kind, params, x, h0, c0, loss_at="all", upstream=upstream)
    weights = [params[k] for k in ("W_ih", "W_hh", "b_ih", "b_hh")]
    if kind == "rnn":
        _, cache = rnn_forward(x, h0, *weights)
        dh0 = rnn_backward(upstream, cache)[1]
    elif kind == "gru":
        _, cache = gru_forward(x, h0, *weights)
        dh0 = gru_backward(upstream, cache)[1]
    else:
        _, _, cache = lstm_forward(x, h0, c0, *weights)
        out = lstm_backward(upstream, cache)
        dh0 = out[1]
        np.testing.assert_allclose(g.dc0, out[2], rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(g.dh0, dh0, rtol=1e-12, atol=1e-15)
    np.testing.assert_array_equal(g.dh[-1], upstream[-1])  # nothing flows into the last step


@pytest.mark.parametrize("kind", ["rnn", "gru", "lstm"])
def test_dh_at_each_step_is_the_numerical_gradient(kind):
    # dL/dh_t for L = sum(h_{T-1} * u): perturb h_t by restarting the sequence from step t+1.
    params, x, rng = _setup(kind, seed=1)
    u = rng.normal(size=(N, H))
    g = state_gradients(kind, params, x, loss_at="last", upstream=u)
    weights = [params[k] for k in ("W_ih", "W_hh", "b_ih", "b_hh")]
    fwd = {"rnn": rnn_forward, "gru": gru_forward}
    t = 4
    # states at step t from a plain forward
    if kind == "lstm":
        hs, cs, _ = lstm_forward(x, None, None, *weights)
        h_t, c_t = hs[t].copy(), cs[t].copy()
        num_h = numerical_gradient(lambda v: lstm_forward(x[t + 1 :], v, c_t, *weights)[0][-1], h_t, u)
        # dc is the gradient at the node c_t, which also feeds h_t = o_t * tanh(c_t):
        # perturb c_t and recompute h_t from it with the step's output gate.
        o_t = lstm_step_forward(x[t], hs[t - 1], cs[t - 1], *weights)[2].gates.o

        def from_c(v):
            return lstm_forward(x[t + 1 :], o_t * np.tanh(v), v, *weights)[0][-1]

        num_c = numerical_gradient(from_c, c_t, u)
        assert rel_error(g.dc[t], num_c) < 1e-7
    else:
        hs, _ = fwd[kind](x, None, *weights)
        h_t = hs[t].copy()
        num_h = numerical_gradient(lambda v: fwd[kind](x[t + 1 :], v, *weights)[0][-1], h_t, u)
    assert rel_error(g.dh[t], num_h) < 1e-7


def test_lstm_saturated_forget_gate_keeps_dc_constant():
    # f = sigmoid(50) == 1.0 in float64 and W_hh = 0: the only path back is along c, times 1.
    params, x, _ = _setup("lstm", seed=2)
    params["W_hh"][:] = 0.0
    params["W_ih"][H : 2 * H] = 0.0  # forget gate independent of the input
    params["b_ih"][H : 2 * H] = 50.0
    params["b_hh"][H : 2 * H] = 0.0
    dc = cell_gradient_norms(params, x)
    assert dc[-1] > 1e-3
    np.testing.assert_array_equal(dc, dc[-1])  # exactly constant over all steps
    dh = hidden_gradient_norms("lstm", params, x)
    assert np.all(dh[:-1] == 0.0) and dh[-1] == pytest.approx(1.0)


def test_lstm_constant_forget_gate_decays_as_f_to_the_k():
    params, x, _ = _setup("lstm", seed=3)
    params["W_hh"][:] = 0.0
    params["W_ih"][H : 2 * H] = 0.0
    params["b_ih"][H : 2 * H] = 1.0
    params["b_hh"][H : 2 * H] = 0.0
    f = 1 / (1 + np.exp(-1.0))
    dc = cell_gradient_norms(params, x)
    np.testing.assert_allclose(dc, dc[-1] * f ** np.arange(T)[::-1], rtol=1e-12)


@pytest.mark.parametrize("kind", ["rnn", "gru", "lstm"])
def test_step_jacobians_match_finite_differences(kind):
    params, x, rng = _setup(kind, seed=4)
    h0 = rng.normal(size=(N, H)) * 0.5
    c0 = rng.normal(size=(N, H)) if kind == "lstm" else None
    J = step_jacobians(kind, params, x[:3], h0, c0)
    S = 2 * H if kind == "lstm" else H
    assert J.shape == (3, N, S, S)
    weights = [params[k] for k in ("W_ih", "W_hh", "b_ih", "b_hh")]
    # Jacobian of step 0 for sequence n, column by column: d s_0 / d s_{-1}[j]
    n = 1
    s_prev = np.concatenate([h0, c0], axis=1) if kind == "lstm" else h0.copy()

    def step(s):
        if kind == "lstm":
            h, c, _ = lstm_step_forward(x[0], s[:, :H], s[:, H:], *weights)
            return np.concatenate([h, c], axis=1)
        f = gru_step_forward if kind == "gru" else rnn_step_forward
        return f(x[0], s, *weights)[0]

    for i in range(S):
        df = np.zeros((N, S))
        df[n, i] = 1.0
        row = numerical_gradient(step, s_prev, df)[n]  # d s_0[n, i] / d s_{-1}[n, :]
        assert rel_error(J[0, n, i], row) < 1e-7


def test_rnn_step_jacobian_is_diag_tanh_prime_times_W():
    params, x, _ = _setup("rnn", seed=5)
    J = step_jacobians("rnn", params, x)
    hs, _ = rnn_forward(x, None, *(params[k] for k in ("W_ih", "W_hh", "b_ih", "b_hh")))
    expected = (1 - hs**2)[..., None] * params["W_hh"]  # (T, N, H, H)
    np.testing.assert_allclose(J, expected, rtol=1e-13, atol=1e-15)


def test_product_norms_bound_the_gradient_norms():
    params, x, _ = _setup("rnn", seed=6)
    params["W_hh"] = scale_to_spectral_radius(params["W_hh"], 1.5)
    norms = hidden_gradient_norms("rnn", params, x, reduce="geometric")
    assert np.all(norms > 0)
    bound = jacobian_product_norms("rnn", params, x)
    # a unit vector pushed back k steps is never longer than the product's spectral norm
    per_seq = np.linalg.norm(state_gradients("rnn", params, x).dh, axis=-1)  # (T, N)
    J = step_jacobians("rnn", params, x)
    for n in range(N):
        P = np.eye(H)
        for k in range(1, T):
            P = P @ J[T - k, n]
            assert per_seq[T - 1 - k, n] <= np.linalg.norm(P, 2) * (1 + 1e-12)
    assert norms.shape == (T,) and bound.shape == (T + 1,) and bound[0] == 1.0


def test_vanishing_and_exploding_regimes_are_visible():
    rng = np.random.default_rng(7)
    Hs = 16
    A = rng.normal(size=(Hs, Hs))
    x = 0.1 * rng.normal(size=(40, 4, D))
    base = init_params("rnn", D, Hs, rng)
    small = dict(base, W_hh=scale_to_spectral_radius(A, 0.5))
    large = dict(base, W_hh=scale_to_spectral_radius(A, 3.0))
    assert hidden_gradient_norms("rnn", small, x)[0] < 1e-8
    # saturation (1 - h^2 < 1) tempers the growth, but it still grows by two orders over 40 steps
    assert hidden_gradient_norms("rnn", large, x)[0] > 1e2


def test_spectral_radius_and_rescaling():
    W = np.array([[0.0, 2.0], [-2.0, 0.0]])  # eigenvalues +-2i
    assert spectral_radius(W) == pytest.approx(2.0)
    V = scale_to_spectral_radius(W, 0.5)
    assert spectral_radius(V) == pytest.approx(0.5)
    np.testing.assert_array_equal(W, [[0.0, 2.0], [-2.0, 0.0]])  # input untouched


def test_geometric_reduce_handles_exact_zeros():
    params, x, _ = _setup("rnn", seed=8)
    params["W_hh"][:] = 0.0
    norms = hidden_gradient_norms("rnn", params, x, reduce="geometric")
    assert np.all(norms[:-1] == 0.0) and norms[-1] == pytest.approx(1.0)


def test_loss_at_a_step_and_all_steps():
    params, x, _ = _setup("gru", seed=9)
    at5 = hidden_gradient_norms("gru", params, x, loss_at=5)
    assert np.all(at5[6:] == 0.0) and at5[5] == pytest.approx(1.0)
    np.testing.assert_allclose(hidden_gradient_norms("gru", params, x, loss_at=-1),
                               hidden_gradient_norms("gru", params, x))
    everywhere = hidden_gradient_norms("gru", params, x, loss_at="all")
    assert np.all(everywhere > 0)


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda p, x: hidden_gradient_norms("lstmx", p, x), r"^hidden_gradient_norms: argument 'kind' must be one of"),
        (lambda p, x: hidden_gradient_norms("rnn", {"W_ih": 1}, x), r"argument 'params' must be a dict with keys"),
        (lambda p, x: hidden_gradient_norms("rnn", p, x[0]), r"argument 'x' should have shape \(T, N, D\)"),
        (lambda p, x: hidden_gradient_norms("rnn", p, x, loss_at="first"),
         r"argument 'loss_at' must be 'last', 'all' or a step"),
        (lambda p, x: hidden_gradient_norms("rnn", p, x, loss_at=T),
         r"argument 'loss_at' must be a step in \[-T, T\) = \[-12, 12\), got 12"),
        (lambda p, x: hidden_gradient_norms("rnn", p, x, upstream=np.ones((N, H + 1))),
         r"argument 'upstream' should have shape \(N, H\) = \(3, 4\)"),
        (lambda p, x: hidden_gradient_norms("rnn", p, x, reduce="median"),
         r"hidden_gradient_norms: argument 'reduce' must be 'mean' or 'geometric'"),
        (lambda p, x: hidden_gradient_norms("rnn", p, x, c0=np.zeros((N, H))), r"argument 'c0' is only for the LSTM"),
        (lambda p, x: spectral_radius(np.ones((3, 2))),
         r"spectral_radius: argument 'W' should have shape \(H, H\).*W_hh\[H:2\*H\]"),
        (lambda p, x: scale_to_spectral_radius(np.eye(2), -1.0), r"argument 'rho' must be a finite number >= 0"),
        (lambda p, x: scale_to_spectral_radius(np.zeros((2, 2)), 1.0), r"argument 'W' has spectral radius 0"),
    ],
)
def test_argument_messages(call, match):
    params, x, _ = _setup("rnn")
    with pytest.raises(ValueError, match=match):
        call(params, x)
