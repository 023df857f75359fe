"""PyTorch RNN, LSTM and GRU written from the gate equations; drop-in for torch.nn.

Parameter names, shapes, initialisation and forward signatures follow torch.nn, so
``load_state_dict`` works both ways and code can swap ``torch.nn.LSTM`` for
``lstmlab.torch.LSTM``: PackedSequence input, the LSTM's ``proj_size`` and torch.nn's
error types and messages included.  The forward pass is ordinary tensor operations that
autograd differentiates (no fused RNN kernels), and runs on any device and dtype;
``fused=True`` swaps autograd's per-step backward for a hand-written one
(:mod:`lstmlab.torch.fused`), with its products in oneDNN on a CPU
(:mod:`lstmlab.torch.products`).
``to_numpy`` / ``from_numpy`` move one layer's weights to and from the float64
dicts of ``lstmlab.numpy``.

Importing this subpackage imports torch; ``import lstmlab`` alone does not.
"""

from lstmlab.torch._checks import RNNInputError
from lstmlab.torch._equations import gru_step, input_projection, lstm_step, rnn_step
from lstmlab.torch.cells import GRUCell, LSTMCell, RNNCell
from lstmlab.torch.convert import from_numpy, to_numpy
from lstmlab.torch.modules import GRU, LSTM, RNN

__all__ = [
    "RNN", "LSTM", "GRU",
    "RNNCell", "LSTMCell", "GRUCell",
    "to_numpy", "from_numpy",
    "RNNInputError",
    "rnn_step", "lstm_step", "gru_step", "input_projection",
]
