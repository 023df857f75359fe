"""``import lstmlab`` stays light; ``lstmlab.torch`` exposes exactly its public names."""

from __future__ import annotations

import subprocess
import sys

import pytest

pytest.importorskip("torch")


def test_import_lstmlab_does_not_import_torch():
    code = "import sys, lstmlab; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_lstmlab_torch_public_names():
    import torch

    import lstmlab.torch as lt

    assert set(lt.__all__) == {"RNN", "LSTM", "GRU", "RNNCell", "LSTMCell", "GRUCell",
                               "to_numpy", "from_numpy", "RNNInputError",
                               "rnn_step", "lstm_step", "gru_step", "input_projection"}
    for name in ("RNN", "LSTM", "GRU", "RNNCell", "LSTMCell", "GRUCell"):
        cls = getattr(lt, name)
        assert issubclass(cls, torch.nn.Module)
        # Written from the equations: not a subclass of torch's RNN machinery.
        assert not issubclass(cls, (torch.nn.RNNBase, torch.nn.RNNCellBase))
