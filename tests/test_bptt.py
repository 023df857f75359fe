"""Truncated BPTT: exact limits, a closed form, and parity with PyTorch's detach-between-chunks."""

import numpy as np
import pytest

from lstmlab.bptt import full_bptt, truncated_bptt
from lstmlab.numpy import init_params, lstm_forward

KINDS = ["rnn", "lstm", "gru"]


def _problem(kind, T=7, N=3, D=2, H=4, seed=0):
    rng = np.random.default_rng(seed)
    params = init_params(kind, D, H, rng)
    x = rng.standard_normal((T, N, D))
    dhs = rng.standard_normal((T, N, H))
    h0 = rng.standard_normal((N, H)) * 0.5
    c0 = rng.standard_normal((N, H)) * 0.5 if kind == "lstm" else None
    return params, x, dhs, h0, c0


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("k2, k1", [(7, 1), (7, 7), (9, 3), (20, 20)])
def test_windows_reaching_step_zero_give_full_bptt(kind, k2, k1):
    params, x, dhs, h0, c0 = _problem(kind)  # T = 7
    full = full_bptt(kind, params, x, dhs, h0, c0)
    trunc = truncated_bptt(kind, params, x, dhs, k2=k2, k1=k1, h0=h0, c0=c0)
    for name in full:
        np.testing.assert_allclose(trunc[name], full[name], rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("kind", KINDS)
def test_short_windows_are_biased(kind):
    params, x, dhs, h0, c0 = _problem(kind)
    full = full_bptt(kind, params, x, dhs, h0, c0)
    trunc = truncated_bptt(kind, params, x, dhs, k2=2, h0=h0, c0=c0)
    assert np.abs(trunc["W_hh"] - full["W_hh"]).max() > 1e-6


def test_one_step_window_of_an_rnn_is_the_local_gradient():
    # k2 = 1: each loss reaches only its own step, so dW_hh = sum_t (dh_t * (1 - h_t^2))^T h_{t-1}.
    params, x, dhs, h0, _ = _problem("rnn")
    pre = x @ params["W_ih"].T + params["b_ih"] + params["b_hh"]
    hs, h = [], h0
    for t in range(x.shape[0]):
        h = np.tanh(pre[t] + h @ params["W_hh"].T)
        hs.append(h)
    hs = np.stack(hs)
    h_prev = np.concatenate([h0[None], hs[:-1]])
    da = dhs * (1.0 - hs**2)
    expected = np.einsum("tnh,tnk->hk", da, h_prev)
    got = truncated_bptt("rnn", params, x, dhs, k2=1, k1=1, h0=h0)
    np.testing.assert_allclose(got["W_hh"], expected, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(got["b_ih"], da.sum(axis=(0, 1)), rtol=1e-12, atol=1e-12)


def _torch_layer(torch, kind, params, D, H):
    layer_cls = {"rnn": torch.nn.RNN, "lstm": torch.nn.LSTM, "gru": torch.nn.GRU}[kind]
    layer = layer_cls(D, H).double()
    with torch.no_grad():
        for name in ("W_ih", "W_hh", "b_ih", "b_hh"):
            getattr(layer, _TORCH_NAMES[name]).copy_(torch.from_numpy(params[name]))
    return layer


_TORCH_NAMES = {"W_ih": "weight_ih_l0", "W_hh": "weight_hh_l0", "b_ih": "bias_ih_l0", "b_hh": "bias_hh_l0"}


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("k", [1, 3, 5])
def test_chunks_match_torch_with_detach_between_chunks(kind, k):
    torch = pytest.importorskip("torch")
    T, N, D, H = 7, 3, 2, 4
    params, x, dhs, h0, c0 = _problem(kind, T, N, D, H)
    layer = _torch_layer(torch, kind, params, D, H)
    xt = torch.from_numpy(x)
    state = torch.from_numpy(h0)[None]
    if kind == "lstm":
        state = (state, torch.from_numpy(c0)[None])
    loss = 0.0
    for s in range(0, T, k):
        out, state = layer(xt[s : s + k], state)
        loss = loss + (out * torch.from_numpy(dhs[s : s + k])).sum()
        # Detach: the next chunk starts from these values but sends no gradient into them.
        state = tuple(v.detach() for v in state) if kind == "lstm" else state.detach()
    loss.backward()
    got = truncated_bptt(kind, params, x, dhs, k2=k, h0=h0, c0=c0)
    for name, torch_name in _TORCH_NAMES.items():
        expected = getattr(layer, torch_name).grad.numpy()
        np.testing.assert_allclose(got[name], expected, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("kind", ["rnn", "lstm"])
@pytest.mark.parametrize("k2, k1", [(3, 1), (4, 2), (2, 1)])
def test_overlapping_windows_match_torch_restarted_from_detached_states(kind, k2, k1):
    # Each pass reruns torch from the (detached) state k2 - k1 steps before its block.
    torch = pytest.importorskip("torch")
    T, N, D, H = 7, 3, 2, 4
    params, x, dhs, h0, c0 = _problem(kind, T, N, D, H)
    layer = _torch_layer(torch, kind, params, D, H)
    xt, dt = torch.from_numpy(x), torch.from_numpy(dhs)
    with torch.no_grad():
        init = torch.from_numpy(h0)[None]
        init = (init, torch.from_numpy(c0)[None]) if kind == "lstm" else init
        out, _ = layer(xt, init)  # (T, N, H): the states every window restarts from
    # torch.nn.LSTM returns the last cell state only; take every step's from the forward.
    cs = lstm_forward(x, h0, c0, *(params[n] for n in _TORCH_NAMES))[1] if kind == "lstm" else None
    for s in range(0, T, k1):
        start = max(0, s + k1 - k2)
        if start == 0:
            state = init
        elif kind == "lstm":
            state = (out[start - 1][None], torch.from_numpy(cs[start - 1])[None])
        else:
            state = out[start - 1][None]
        window_out, _ = layer(xt[start : s + k1], state)
        (window_out[s - start :] * dt[s : s + k1]).sum().backward()
    got = truncated_bptt(kind, params, x, dhs, k2=k2, k1=k1, h0=h0, c0=c0)
    for name, torch_name in _TORCH_NAMES.items():
        expected = getattr(layer, torch_name).grad.numpy()
        np.testing.assert_allclose(got[name], expected, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"kind": "lstmx"}, r"'kind' must be one of \['gru', 'lstm', 'rnn'\], got 'lstmx'"),
        ({"k2": 0}, r"'k2' must be a positive int .* got 0"),
        ({"k2": 2.5}, r"'k2' must be a positive int .* got 2.5"),
        ({"k2": 2, "k1": 3}, r"'k1' \(= 3\) must not exceed 'k2' \(= 2\).*Hint"),
        ({"params": {"W_ih": 1}}, r"'params' must be a dict with keys .* got \['W_ih'\].*init_params"),
        ({"dhs": np.zeros((7, 3, 5))}, r"'dhs' should have shape \(T, N, H\) = \(7, 3, 4\) but has shape \(7, 3, 5\)"),
        ({"c0": np.zeros((3, 4))}, r"'c0' is only for kind='lstm', got kind='rnn'.*Hint"),
    ],
)
def test_bad_arguments_name_the_argument(kwargs, match):
    params, x, dhs, _, _ = _problem("rnn")
    args = {"kind": "rnn", "params": params, "x": x, "dhs": dhs, "k2": 3}
    args.update(kwargs)
    with pytest.raises(ValueError, match=match):
        truncated_bptt(**args)


@pytest.mark.parametrize("k2, k1", [(3, 1), (4, 4), (7, 7)])
def test_a_loss_on_the_last_step_only_reaches_back_k2_steps(k2, k1):
    # Blocks without a loss are skipped; the last step's loss must still see exactly its window.
    params, x, dhs, h0, c0 = _problem("lstm")
    last = np.zeros_like(dhs)
    last[-1] = dhs[-1]
    got = truncated_bptt("lstm", params, x, last, k2=k2, k1=k1, h0=h0, c0=c0)
    T = x.shape[0]
    start = max(0, (T - 1) // k1 * k1 + k1 - k2)  # the last block's window
    _, cs, _ = lstm_forward(x, h0, c0, *(params[n] for n in ("W_ih", "W_hh", "b_ih", "b_hh")))
    hs = lstm_forward(x, h0, c0, *(params[n] for n in ("W_ih", "W_hh", "b_ih", "b_hh")))[0]
    h_start = h0 if start == 0 else hs[start - 1]
    c_start = c0 if start == 0 else cs[start - 1]
    expected = full_bptt("lstm", params, x[start:], last[start:], h_start, c_start)
    for name in expected:
        np.testing.assert_allclose(got[name], expected[name], rtol=1e-12, atol=1e-12)
