"""Single-step cells ``RNNCell``, ``LSTMCell``, ``GRUCell``: drop-in for torch.nn's.

Shapes: N batch, D input size (``input_size``), H hidden size (``hidden_size``),
G gates (RNN 1, GRU 3, LSTM 4).  A cell maps one time step:
input (N, D) or unbatched (D,), hidden (N, H) or (H,) -> new hidden of the same rank.

Parameters have torch.nn's names, shapes, registration order and initialisation
(``U(-1/sqrt(H), 1/sqrt(H))``), so ``load_state_dict`` works in both directions:
``weight_ih (G*H, D)``, ``weight_hh (G*H, H)``, ``bias_ih (G*H,)``, ``bias_hh (G*H,)``
(the biases are ``None`` when ``bias=False``).  The forward pass is the gate
equations in :mod:`lstmlab.torch._equations`, differentiated by autograd.

Differences from torch.nn, on purpose: ``bias`` must be a bool (torch.nn's cells take any
truthy value, so ``bias="False"`` would silently mean True), and the sizes must be ints.
Sizes of zero are accepted, as in torch.nn.  Errors repeat torch.nn's wording, then add
the argument, the expected and received shapes, and a hint.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn

from lstmlab.torch._checks import (
    check_dtype_device, check_features, check_nonlinearity, check_pair, check_rank, check_shape,
    check_sizes, check_tensor, fmt_shape,
)
from lstmlab.torch._equations import gru_step, input_projection, lstm_step, rnn_step

__all__ = ["RNNCell", "LSTMCell", "GRUCell"]


class _CellBase(nn.Module):
    """Parameters, initialisation and input checks shared by the three cells."""

    _gates = 1  # G, set by each subclass

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, device=None, dtype=None):
        super().__init__()
        # Sizes of zero are allowed, as in torch.nn's cells (the sequence modules refuse them).
        check_sizes(type(self).__name__, input_size, hidden_size, bias, allow_zero=True)
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
        bound = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0.0
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
        check_tensor(name, "input", input)
        check_rank(
            name, "input", input, {1: "(D,) unbatched", 2: "(N, D) batched"},
            "a cell takes one time step; loop over time or use the sequence module.",
        )
        check_features(name, "input", input, "(N, D)" if input.dim() == 2 else "(D,)",
                               self.input_size, cell=True)
        batched = input.dim() == 2
        return (input if batched else input.unsqueeze(0)), batched

    def _prepare_state(self, label: str, state: Tensor | None, x: Tensor, batched: bool) -> Tensor:
        """Return the state as (N, H): zeros when None, else checked against the input.

        ``label`` is 'hx', 'hx[0]' or 'hx[1]'; torch.nn calls them hidden0 / hidden1.
        """
        name = type(self).__name__
        n, hsz = x.shape[0], self.hidden_size
        if state is None:
            return x.new_zeros(n, hsz)  # follows the input's dtype and device
        check_tensor(name, label, state)
        check_rank(name, label, state, {1: "(H,) unbatched", 2: "(N, H) batched"},
                           "a cell's state is one H-vector per batch row.")
        torch_name = "hidden1" if label == "hx[1]" else "hidden0"
        if batched:
            hint = f"{label} holds one H={hsz} vector per batch row of the input (N={n})."
            if state.dim() == 2 and state.shape[0] != n:
                wording = f"Input batch size {n} doesn't match {torch_name} batch size {state.shape[0]}"
            else:
                wording = f"{torch_name} has inconsistent hidden_size: got {state.shape[-1]}, expected {hsz}"
            check_shape(name, label, state, "(N, H)", (n, hsz), hint, wording)
            out = state
        else:
            check_shape(
                name, label, state, "(H,)", (hsz,),
                f"for unbatched (D,) input, {label} must be unbatched too: (H,) with H={hsz}.",
                f"{torch_name} has inconsistent hidden_size: got {fmt_shape(state.shape)}, expected ({hsz},)",
            )
            out = state.unsqueeze(0)
        check_dtype_device(name, label, state, self.weight_ih)
        return out

    def _check_input_dtype(self, x: Tensor) -> None:
        """After the state checks, as torch.nn's cells (their C++ checks shapes before dtypes)."""
        check_dtype_device(type(self).__name__, "input", x, self.weight_ih)

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
        self._check_input_dtype(x)
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
        self._check_input_dtype(x)
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
        self._check_input_dtype(x)
        gx = input_projection(x, self.weight_ih, self.bias_ih)  # (N, 3H)
        h = gru_step(gx, h, self.weight_hh, self.bias_hh)
        return h if batched else h.squeeze(0)
