"""The float64 NumPy reference: RNN, LSTM and GRU with hand-written BPTT.

Shapes: T time steps, N batch, D input size, H hidden size; sequences are time-major
``(T, N, D)``.  Weights use torch.nn's layout and gate order (LSTM i, f, g, o; GRU r, z, n).
Every ``*_forward`` returns its outputs and a named cache; every ``*_backward`` takes the
upstream gradient(s) and that cache and returns ``d<input>`` in the forward's argument order.
Bad arguments raise ``ValueError`` in the one format of :mod:`lstmlab.errors` (built here, in
:mod:`.validate`).

Import rule: modules of this package import each other **relatively** (``from .lstm import
...``) and import nothing else from ``lstmlab``.  The grading checks execute this package again
from its source files under a private name, as the reference a notebook cannot patch
(``lstmlab/grading/_reference.py``); an absolute ``from lstmlab.numpy.x import y`` would reach
the public, patchable module instead.  ``tests/test_import_rules.py`` enforces it.
"""

from .activations import sigmoid, tanh
from .gru import gru_backward, gru_forward, gru_step_backward, gru_step_forward
from .layers import (
    log_softmax,
    mse_loss,
    softmax,
    softmax_cross_entropy,
    temporal_linear_backward,
    temporal_linear_forward,
)
from .lstm import lstm_backward, lstm_forward, lstm_step_backward, lstm_step_forward
from .optim import Adam, clip_grad_norm, clip_grad_value, sgd
from .params import GATES, init_params
from .rnn import rnn_backward, rnn_forward, rnn_step_backward, rnn_step_forward

__all__ = [
    "Adam",
    "GATES",
    "clip_grad_norm",
    "clip_grad_value",
    "log_softmax",
    "mse_loss",
    "sgd",
    "softmax",
    "softmax_cross_entropy",
    "temporal_linear_backward",
    "temporal_linear_forward",
    "gru_backward",
    "gru_forward",
    "gru_step_backward",
    "gru_step_forward",
    "init_params",
    "lstm_backward",
    "lstm_forward",
    "lstm_step_backward",
    "lstm_step_forward",
    "rnn_backward",
    "rnn_forward",
    "rnn_step_backward",
    "rnn_step_forward",
    "sigmoid",
    "tanh",
]
