"""check_torch_lstm: passes the notebook's module, names swapped gates and a missing tanh,
and refuses wrappers around torch.nn.LSTM or lstmlab.torch."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")
from torch import nn  # noqa: E402

import lstmlab.grading as grading  # noqa: E402

from . import solutions as s  # noqa: E402

LSTM = s.solutions("pytorch")["LSTM"]


def _fails(cls) -> str:
    with pytest.raises(AssertionError) as info:
        grading.check_torch_lstm(cls)
    return str(info.value)


def _variant(order="ifgo", tanh_c=True):
    class Wrong(LSTM):
        def forward(self, x, state=None):
            T, N, _ = x.shape
            h = c = x.new_zeros(N, self.hidden_size)
            if state is not None:
                h, c = state[0][0], state[1][0]
            outs = []
            for t in range(T):
                a = x[t] @ self.weight_ih_l0.T + self.bias_ih_l0 + h @ self.weight_hh_l0.T + self.bias_hh_l0
                gates = dict(zip(order, a.chunk(4, dim=-1)))
                c = torch.sigmoid(gates["f"]) * c + torch.sigmoid(gates["i"]) * torch.tanh(gates["g"])
                h = torch.sigmoid(gates["o"]) * (torch.tanh(c) if tanh_c else c)
                outs.append(h)
            return torch.stack(outs), (h[None], c[None])

    return Wrong


def test_notebook_module_passes_quietly(capsys):
    grading.check_torch_lstm(LSTM, seed=3)
    assert capsys.readouterr() == ("", "")


def test_swapped_gates_and_missing_tanh_are_named():
    assert "you slice the gates as i, f, o, g" in _fails(_variant(order="ifog"))
    assert "tanh on the cell state is missing" in _fails(_variant(tanh_c=False))


def test_wrapping_torch_nn_lstm_fails():
    class Wrapper(nn.LSTM):
        pass

    msg = _fails(Wrapper)
    assert "called torch's own LSTM (torch/nn/modules/rnn.py" in msg and "not nn.LSTM" in msg


def test_using_lstmlab_torch_fails():
    from lstmlab.torch.modules import LSTM as Reference

    assert "lstmlab/torch" in _fails(Reference)


def test_wrong_parameter_names_fail():
    class Renamed(nn.Module):
        def __init__(self, input_size, hidden_size, batch_first=False):
            super().__init__()
            self.W = nn.Parameter(torch.zeros(4 * hidden_size, input_size))

    msg = _fails(Renamed)
    assert "parameters are named ['W']" in msg and "weight_ih_l0" in msg
