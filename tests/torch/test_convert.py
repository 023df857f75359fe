"""``to_numpy`` / ``from_numpy``, and lstmlab.torch against the NumPy reference (float64).

The NumPy reference has hand-written BPTT; lstmlab.torch gets its gradients from
autograd.  With the same weights (moved by ``to_numpy``) the two must agree on
outputs and on every gradient to 1e-10, for one layer of each kind and each cell.
"""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import lstmlab.torch as lt  # noqa: E402
from lstmlab import numpy as lnp  # noqa: E402
from lstmlab.torch import from_numpy, to_numpy  # noqa: E402

TOL = 1e-10
KIND = {"RNN": "rnn", "LSTM": "lstm", "GRU": "gru"}
T, N, D, H = 7, 3, 5, 4


def _t(a: np.ndarray) -> torch.Tensor:
    return torch.tensor(a, dtype=torch.float64, requires_grad=True)


def _maxdiff(a, b) -> float:
    return float(np.max(np.abs(np.asarray(a) - np.asarray(b))))


# -- parity with lstmlab.numpy ------------------------------------------------------------
@pytest.mark.parametrize("kind", ["RNN", "LSTM", "GRU"])
@pytest.mark.parametrize("bias", [True, False])
def test_sequence_module_matches_numpy_reference(kind, bias):
    rng = np.random.default_rng(0)
    m = getattr(lt, kind)(D, H, bias=bias, dtype=torch.float64)
    p = to_numpy(m)
    x, h0, c0 = rng.standard_normal((T, N, D)), rng.standard_normal((N, H)), rng.standard_normal((N, H))
    dhs = rng.standard_normal((T, N, H))  # upstream gradient at every step

    xt, h0t, c0t = _t(x), _t(h0), _t(c0)
    if kind == "LSTM":
        out, _ = m(xt, (h0t[None], c0t[None]))
        hs, _, cache = lnp.lstm_forward(x, h0, c0, **p)
        dx, dh0, dc0, *dparams = lnp.lstm_backward(dhs, cache)
        leaves = [xt, h0t, c0t]
        expected = [dx, dh0, dc0]
    else:
        fwd, bwd = getattr(lnp, f"{KIND[kind]}_forward"), getattr(lnp, f"{KIND[kind]}_backward")
        out, _ = m(xt, h0t[None])
        hs, cache = fwd(x, h0, **p)
        dx, dh0, *dparams = bwd(dhs, cache)
        leaves = [xt, h0t]
        expected = [dx, dh0]
    assert _maxdiff(out.detach().numpy(), hs) <= TOL

    params = list(m.parameters())  # weight_ih, weight_hh[, bias_ih, bias_hh]
    grads = torch.autograd.grad(out, leaves + params, torch.from_numpy(dhs))
    expected += dparams[: len(params)]  # without biases the NumPy db's have no counterpart
    assert len(grads) == len(expected)
    for got, want in zip(grads, expected):
        assert _maxdiff(got.numpy(), want) <= TOL


@pytest.mark.parametrize("kind", ["RNNCell", "LSTMCell", "GRUCell"])
def test_cell_matches_numpy_step(kind):
    rng = np.random.default_rng(1)
    m = getattr(lt, kind)(D, H, dtype=torch.float64)
    p = to_numpy(m)
    x, h, c = rng.standard_normal((N, D)), rng.standard_normal((N, H)), rng.standard_normal((N, H))
    dh, dc = rng.standard_normal((N, H)), rng.standard_normal((N, H))
    name = kind[:-4].lower()
    xt, ht, ct = _t(x), _t(h), _t(c)
    if name == "lstm":
        h1, c1, cache = lnp.lstm_step_forward(x, h, c, **p)
        want = lnp.lstm_step_backward(dh, dc, cache)
        h1t, c1t = m(xt, (ht, ct))
        assert _maxdiff(h1t.detach().numpy(), h1) <= TOL and _maxdiff(c1t.detach().numpy(), c1) <= TOL
        got = torch.autograd.grad([h1t, c1t], [xt, ht, ct, *m.parameters()],
                                  [torch.from_numpy(dh), torch.from_numpy(dc)])
    else:
        h1, cache = getattr(lnp, f"{name}_step_forward")(x, h, **p)
        want = getattr(lnp, f"{name}_step_backward")(dh, cache)
        h1t = m(xt, ht)
        assert _maxdiff(h1t.detach().numpy(), h1) <= TOL
        got = torch.autograd.grad(h1t, [xt, ht, *m.parameters()], torch.from_numpy(dh))
    assert len(got) == len(want)
    for g, w in zip(got, want):
        assert _maxdiff(g.numpy(), w) <= TOL


def test_numpy_initialised_weights_run_in_torch():
    # from_numpy is the way in: NumPy-initialised weights, same outputs on both sides.
    rng = np.random.default_rng(2)
    p = lnp.init_params("lstm", D, H, rng, forget_bias=1.0)
    m = from_numpy(lt.LSTM(D, H, dtype=torch.float64), p)
    x = rng.standard_normal((T, N, D))
    with torch.no_grad():
        out, (h_n, c_n) = m(torch.from_numpy(x))
    hs, cs, _ = lnp.lstm_forward(x, None, None, **p)
    assert _maxdiff(out.numpy(), hs) <= TOL
    assert _maxdiff(c_n[0].numpy(), cs[-1]) <= TOL


# -- to_numpy / from_numpy ------------------------------------------------------------------
@pytest.mark.parametrize("impl", [torch.nn, lt], ids=["torch.nn", "lstmlab"])
def test_to_numpy_reads_the_named_layer_and_direction(impl):
    m = impl.GRU(D, H, num_layers=2, bidirectional=True)
    p = to_numpy(m, layer=1, direction=1)
    assert set(p) == {"W_ih", "W_hh", "b_ih", "b_hh"}
    assert all(v.dtype == np.float64 for v in p.values())
    assert p["W_ih"].shape == (3 * H, 2 * H) and p["W_hh"].shape == (3 * H, H)
    np.testing.assert_array_equal(p["W_ih"], m.weight_ih_l1_reverse.detach().double().numpy())
    np.testing.assert_array_equal(p["b_hh"], m.bias_hh_l1_reverse.detach().double().numpy())
    # A copy, not a view: editing it leaves the module alone.
    p["W_hh"][:] = 0
    assert float(m.weight_hh_l1_reverse.detach().abs().sum()) > 0


@pytest.mark.parametrize("impl", [torch.nn, lt], ids=["torch.nn", "lstmlab"])
def test_to_numpy_without_bias_gives_zero_biases(impl):
    for m, g in ((impl.LSTM(D, H, bias=False), 4), (impl.RNNCell(D, H, bias=False), 1)):
        p = to_numpy(m)
        assert p["b_ih"].shape == p["b_hh"].shape == (g * H,)
        assert not p["b_ih"].any() and not p["b_hh"].any()


@pytest.mark.parametrize("impl", [torch.nn, lt], ids=["torch.nn", "lstmlab"])
def test_from_numpy_round_trip_keeps_dtype_and_only_touches_its_layer(impl):
    m = impl.LSTM(D, H, num_layers=2, bidirectional=True)  # float32
    before = {n: p.detach().clone() for n, p in m.named_parameters()}
    p = lnp.init_params("lstm", 2 * H, H, np.random.default_rng(3))
    from_numpy(m, p, layer=1, direction=0)
    back = to_numpy(m, layer=1, direction=0)
    for k in p:
        np.testing.assert_allclose(back[k], p[k], atol=1e-7)  # float32 rounding only
    assert m.weight_ih_l1.dtype == torch.float32
    for n, q in m.named_parameters():
        if not n.endswith("_l1"):
            assert torch.equal(q, before[n]), n


def test_cells_convert_both_ways():
    for impl in (torch.nn, lt):
        m = impl.GRUCell(D, H, dtype=torch.float64)
        p = lnp.init_params("gru", D, H, np.random.default_rng(4))
        from_numpy(m, p)
        for k, v in to_numpy(m).items():
            np.testing.assert_array_equal(v, p[k])


def test_from_numpy_accepts_zero_biases_for_bias_free_module():
    m = lt.RNN(D, H, bias=False)
    p = {"W_ih": np.ones((H, D)), "W_hh": np.ones((H, H)), "b_ih": np.zeros(H), "b_hh": np.zeros(H)}
    from_numpy(m, p)
    assert float(m.weight_ih_l0.detach().sum()) == H * D
    from_numpy(m, {"W_ih": p["W_ih"], "W_hh": p["W_hh"]})  # biases may be left out too


def test_convert_errors():
    m = lt.LSTM(D, H)
    good = lnp.init_params("lstm", D, H, np.random.default_rng(0))
    with pytest.raises(ValueError, match=r"params\['W_hh'\] must have shape \(G\*H, H\) = \(16, 4\) "
                       r"to match LSTM.weight_hh_l0, got \(12, 4\)\. Hint: check the kind"):
        from_numpy(m, {**good, "W_hh": np.zeros((12, H))})
    with pytest.raises(ValueError, match=r"params has unknown keys \['W_hr'\]"):
        from_numpy(m, {**good, "W_hr": np.zeros(3)})
    with pytest.raises(ValueError, match=r"params is missing \['b_hh'\] for LSTM \(bias=True\)"):
        from_numpy(m, {k: v for k, v in good.items() if k != "b_hh"})
    with pytest.raises(ValueError, match=r"params\['b_ih'\] is non-zero but RNN was built with bias=False"):
        from_numpy(lt.RNN(D, H, bias=False), lnp.init_params("rnn", D, H, np.random.default_rng(0)))
    with pytest.raises(ValueError, match=r"layer=2 is out of range: LSTM has num_layers=2 \(valid: 0\.\.1\)"):
        to_numpy(lt.LSTM(D, H, num_layers=2), layer=2)
    with pytest.raises(ValueError, match=r"direction=1 is out of range: LSTM has bidirectional=False \(valid: 0\)"):
        to_numpy(m, direction=1)
    with pytest.raises(ValueError, match=r"LSTMCell is a single cell: layer and direction must be 0"):
        to_numpy(torch.nn.LSTMCell(D, H), layer=1)
    with pytest.raises(TypeError, match=r"expected an RNN/LSTM/GRU module or cell"):
        to_numpy(torch.nn.Linear(3, 4))


def test_failed_from_numpy_leaves_module_untouched():
    m = lt.GRU(D, H)
    before = [p.detach().clone() for p in m.parameters()]
    bad = lnp.init_params("gru", D, H, np.random.default_rng(0))
    bad["b_hh"] = np.zeros(5)  # the last key fails after the first ones were checked
    with pytest.raises(ValueError, match="b_hh"):
        from_numpy(m, bad)
    assert all(torch.equal(a, p.detach()) for a, p in zip(before, m.parameters()))
