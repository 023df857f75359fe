"""lstmlab.numpy against torch.nn in float64: same weights in, outputs and every gradient equal.

torch.nn is the layout standard; these tests pin the reference to it to ~1e-10.
"""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from .cells import CELL_IDS, CELLS, run_forward  # noqa: E402

TOL = 1e-10

MODULES = {"rnn": torch.nn.RNN, "lstm": torch.nn.LSTM, "gru": torch.nn.GRU}
CELL_MODULES = {"rnn": torch.nn.RNNCell, "lstm": torch.nn.LSTMCell, "gru": torch.nn.GRUCell}


def _load(module, params, suffix):
    with torch.no_grad():
        for ours, theirs in (("W_ih", "weight_ih"), ("W_hh", "weight_hh"), ("b_ih", "bias_ih"), ("b_hh", "bias_hh")):
            getattr(module, theirs + suffix).copy_(torch.from_numpy(params[ours]))


def _t(a):
    return torch.tensor(a, dtype=torch.float64, requires_grad=True)


@pytest.mark.parametrize("shape", [(6, 4, 3, 5), (1, 1, 2, 2), (3, 1, 5, 3)], ids=str)
@pytest.mark.parametrize("cell", CELLS, ids=CELL_IDS)
def test_parity_with_torch_nn(cell, shape):
    T, N, D, H = shape
    rng = np.random.default_rng(T * 100 + N * 10 + D)
    inputs = cell.make_inputs(rng, T, N, D, H, scale=1.0)
    outputs, cache = run_forward(cell, inputs)
    upstream = cell.upstream(rng, outputs)
    grads = dict(zip(cell.args, cell.backward(*upstream, cache)))

    if cell.sequence:
        module = MODULES[cell.kind](D, H).double()
        _load(module, inputs, "_l0")
        x, h0 = _t(inputs["x"]), _t(inputs["h0"][None])  # torch's states are (layers, N, H)
        if cell.kind == "lstm":
            c0 = _t(inputs["c0"][None])
            out, _ = module(x, (h0, c0))
            torch_outs, leaves = [out], {"x": x, "h0": h0, "c0": c0}
        else:
            out, _ = module(x, h0)
            torch_outs, leaves = [out], {"x": x, "h0": h0}
    else:
        module = CELL_MODULES[cell.kind](D, H).double()
        _load(module, inputs, "")
        x, h = _t(inputs["x"]), _t(inputs["h_prev"])
        if cell.kind == "lstm":
            c = _t(inputs["c_prev"])
            torch_outs = list(module(x, (h, c)))
            leaves = {"x": x, "h_prev": h, "c_prev": c}
        else:
            torch_outs, leaves = [module(x, h)], {"x": x, "h_prev": h}
    leaves.update(W_ih=module.weight_ih_l0 if cell.sequence else module.weight_ih,
                  W_hh=module.weight_hh_l0 if cell.sequence else module.weight_hh,
                  b_ih=module.bias_ih_l0 if cell.sequence else module.bias_ih,
                  b_hh=module.bias_hh_l0 if cell.sequence else module.bias_hh)

    # Outputs: hidden states (and, for the LSTM, the cell states: checked against stepping torch).
    np.testing.assert_allclose(outputs[0], torch_outs[0].detach().numpy(), rtol=0, atol=TOL)
    if not cell.sequence and cell.kind == "lstm":
        np.testing.assert_allclose(outputs[1], torch_outs[1].detach().numpy(), rtol=0, atol=TOL)

    loss = sum((o * torch.from_numpy(u)).sum() for o, u in zip(torch_outs, upstream))
    loss.backward()
    for name in cell.args:
        theirs = leaves[name].grad.numpy().reshape(grads[name].shape)
        diff = np.max(np.abs(grads[name] - theirs))
        assert diff <= TOL, f"{cell.name}: d{name} differs from torch.nn by {diff:.2e}"


def test_lstm_cell_states_match_torch_final_state():
    """The reference's cs[-1] is torch.nn.LSTM's c_n."""
    import lstmlab.numpy as ref

    rng = np.random.default_rng(7)
    params = ref.init_params("lstm", 3, 4, rng)
    x = rng.standard_normal((5, 2, 3))
    hs, cs, _ = ref.lstm_forward(x, None, None, **params)
    module = torch.nn.LSTM(3, 4).double()
    _load(module, params, "_l0")
    _, (h_n, c_n) = module(torch.from_numpy(x))
    np.testing.assert_allclose(hs[-1], h_n[0].detach().numpy(), rtol=0, atol=TOL)
    np.testing.assert_allclose(cs[-1], c_n[0].detach().numpy(), rtol=0, atol=TOL)


def test_init_matches_torch_distribution_and_forget_bias():
    import lstmlab.numpy as ref

    p = ref.init_params("lstm", 16, 64, 0)
    bound = 1 / np.sqrt(64)
    for name, shape in (("W_ih", (256, 16)), ("W_hh", (256, 64)), ("b_ih", (256,)), ("b_hh", (256,))):
        assert p[name].shape == shape and p[name].dtype == np.float64
        assert np.abs(p[name]).max() <= bound
        # U(-b, b) has standard deviation b / sqrt(3)
        assert abs(p[name].std() - bound / np.sqrt(3)) < 0.15 * bound
    q = ref.init_params("lstm", 16, 64, 0, forget_bias=1.0)
    np.testing.assert_array_equal(q["b_ih"][64:128] + q["b_hh"][64:128], np.ones(64))
    np.testing.assert_array_equal(q["b_ih"][:64], p["b_ih"][:64])  # other gates untouched
