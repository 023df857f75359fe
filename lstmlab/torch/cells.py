"""Single-step cells ``RNNCell``, ``LSTMCell``, ``GRUCell``: drop-in for torch.nn's.

Shapes: N batch, D input size (``input_size``), H hidden size (``hidden_size``),
G gates (RNN 1, GRU 3, LSTM 4).  A cell maps one time step:
input (N, D) or unbatched (D,), hidden (N, H) or (H,) -> new hidden of the same rank.

Parameters have torch.nn's names, shapes, registration order and initialisation
(``U(-1/sqrt(H), 1/sqrt(H))``), so ``load_state_dict`` works in both directions:
``weight_ih (G*H, D)``, ``weight_hh (G*H, H)``, ``bias_ih (G*H,)``, ``bias_hh (G*H,)``
(the biases are ``None`` when ``bias=False``).  The forward pass is the gate
equations in :mod:`lstmlab.torch._equations`, differentiated by autograd.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn

from lstmlab.torch import _checks
from lstmlab.torch._equations import gru_step, input_projection, lstm_step, rnn_step

__all__ = ["RNNCell", "LSTMCell", "GRUCell"]


class _CellBase(nn.Module):
    """Parameters, initialisation and input checks shared by the three cells."""

    _gates = 1  # G, set by each subclass

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, device=None, dtype=None):
        super().__init__()
        check_sizes(type(self).__name__, input_size, hidden_size, bias)
        factory = {"device": device, "dtype": dtype}
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.bias = bias
        gh = self._gates * hidden_size
        self.weight_ih = nn.Parameter(torch.empty((gh, input_size), **factory))  # (G*H, D)
        self.weight_hh = nn.Parameter(torch.empty((gh, hidden_size), **factory))  # (G*H, H)
        if bias:
            self.bias_ih = nn.Parameter(torch.empty(gh, **factory))  # (G*H,)
            self.bias_hh = nn.Parameter(torch.empty(gh, **factory))  # (G*H,)
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Draw every parameter from ``U(-1/sqrt(H), 1/sqrt(H))``, in registration order (as torch.nn)."""
        bound = 1.0 / math.sqrt(self.hidden_size)
        for p in self.parameters():
            nn.init.uniform_(p, -bound, bound)

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if not self.bias:
            s += ", bias=False"
        if getattr(self, "nonlinearity", "tanh") != "tanh":
            s += f", nonlinearity={self.nonlinearity!r}"
        return s

    # -- input handling ---------------------------------------------------------------
    def _prepare_input(self, input: Tensor) -> tuple[Tensor, bool]:
        """Check ``input`` and return it as (N, D) with a flag saying whether it was batched."""
        name = type(self).__name__
        _checks.check_tensor(name, "input", input)
        _checks.check_rank(
            name, "input", input, {1: "(D,) unbatched", 2: "(N, D) batched"},
            "a cell takes one time step; loop over time or use the sequence module.",
        )
        _checks.check_features(name, "input", input, "(N, D)" if input.dim() == 2 else "(D,)", self.input_size)
        _checks.check_dtype_device(name, "input", input, self.weight_ih)
        batched = input.dim() == 2
        return (input if batched else input.unsqueeze(0)), batched

    def _prepare_state(self, label: str, state: Tensor | None, x: Tensor, batched: bool) -> Tensor:
        """Return the state as (N, H): zeros when None, else checked against the input."""
        name = type(self).__name__
        n, hsz = x.shape[0], self.hidden_size
        if state is None:
            return x.new_zeros(n, hsz)  # follows the input's dtype and device
        _checks.check_tensor(name, label, state)
        if batched:
            _checks.check_shape(
                name, label, state, "(N, H)", (n, hsz),
                f"{label} holds one H={hsz} vector per batch row of the input (N={n}).",
            )
            out = state
        else:
            _checks.check_shape(
                name, label, state, "(H,)", (hsz,),
                f"for unbatched (D,) input, {label} must be unbatched too: (H,) with H={hsz}.",
            )
            out = state.unsqueeze(0)
        _checks.check_dtype_device(name, label, state, self.weight_ih)
        return out

    def _folded_bias(self) -> Tensor | None:
        """``b_ih + b_hh`` (both add to the same pre-activation), or None without biases."""
        return None if self.bias_ih is None else self.bias_ih + self.bias_hh


class RNNCell(_CellBase):
    """Elman cell ``h' = act(x @ W_ih.T + b_ih + h @ W_hh.T + b_hh)``, act tanh or relu.

    forward(input (N, D) or (D,), hx (N, H) or (H,) or None = zeros) -> h' (N, H) or (H,).
    """

    _gates = 1

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True,
                 nonlinearity: str = "tanh", device=None, dtype=None):
        check_nonlinearity("RNNCell", nonlinearity)
        super().__init__(input_size, hidden_size, bias, device=device, dtype=dtype)
        self.nonlinearity = nonlinearity

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:
        x, batched = self._prepare_input(input)
        h = self._prepare_state("hx", hx, x, batched)
        gx = input_projection(x, self.weight_ih, self._folded_bias())  # (N, H)
        h = rnn_step(gx, h, self.weight_hh, relu=self.nonlinearity == "relu")
        return h if batched else h.squeeze(0)


class LSTMCell(_CellBase):
    """LSTM cell, gates i, f, g, o: ``c' = f*c + i*g``, ``h' = o*tanh(c')``.

    forward(input (N, D) or (D,), hx = (h, c) each (N, H) or (H,), or None = zeros)
    -> (h', c'), each (N, H) or (H,).
    """

    _gates = 4

    def forward(self, input: Tensor, hx: tuple[Tensor, Tensor] | None = None) -> tuple[Tensor, Tensor]:
        x, batched = self._prepare_input(input)
        if hx is None:
            h = c = x.new_zeros(x.shape[0], self.hidden_size)
        else:
            check_pair("LSTMCell", hx, "(h_0, c_0)")
            h = self._prepare_state("hx[0]", hx[0], x, batched)
            c = self._prepare_state("hx[1]", hx[1], x, batched)
        gx = input_projection(x, self.weight_ih, self._folded_bias())  # (N, 4H)
        h, c = lstm_step(gx, h, c, self.weight_hh)
        return (h, c) if batched else (h.squeeze(0), c.squeeze(0))


class GRUCell(_CellBase):
    """GRU cell, gates r, z, n: ``n = tanh(W_in x + b_in + r * (W_hn h + b_hn))``, ``h' = (1-z)*n + z*h``.

    forward(input (N, D) or (D,), hx (N, H) or (H,) or None = zeros) -> h' (N, H) or (H,).
    """

    _gates = 3

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:
        x, batched = self._prepare_input(input)
        h = self._prepare_state("hx", hx, x, batched)
        gx = input_projection(x, self.weight_ih, self.bias_ih)  # (N, 3H)
        h = gru_step(gx, h, self.weight_hh, self.bias_hh)
        return h if batched else h.squeeze(0)


# -- constructor checks, shared with the sequence modules ----------------------------------
def check_sizes(owner: str, input_size, hidden_size, bias) -> None:
    for label, value in (("input_size", input_size), ("hidden_size", hidden_size)):
        if not isinstance(value, int) or isinstance(value, bool):
            raise TypeError(f"{owner}: {label} should be of type int, got: {type(value).__name__}")
        if value <= 0:
            raise ValueError(f"{owner}: {label} must be greater than zero, got {value}")
    if not isinstance(bias, bool):
        raise TypeError(f"{owner}: bias should be of type bool, got: {type(bias).__name__}")


def check_nonlinearity(owner: str, nonlinearity) -> None:
    if nonlinearity not in ("tanh", "relu"):
        raise ValueError(f"{owner}: unknown nonlinearity {nonlinearity!r}. Select from 'tanh' or 'relu'.")


def check_pair(owner: str, hx, symbolic: str) -> None:
    """An LSTM state must be a pair of tensors ``(h, c)``."""
    if not isinstance(hx, (tuple, list)) or len(hx) != 2:
        raise _checks.RNNInputError(
            f"{owner}: argument 'hx' must be a pair {symbolic} of tensors, got {type(hx).__name__}"
            + (f" of length {len(hx)}" if isinstance(hx, (tuple, list)) else "")
            + ". Hint: pass hx=(h_0, c_0), or None for zeros."
        )
