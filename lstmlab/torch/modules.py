"""Sequence modules ``RNN``, ``LSTM``, ``GRU``: drop-in for torch.nn's, from the equations.

Shapes: T time steps, N batch, D input size (``input_size``), H hidden size
(``hidden_size``), L layers (``num_layers``), K directions (2 if ``bidirectional``
else 1), G gates (RNN 1, GRU 3, LSTM 4).

- input (T, N, D), or (N, T, D) with ``batch_first=True``, or unbatched (T, D);
- hx (L*K, N, H) or unbatched (L*K, H) (never batch-first, as in torch.nn); the LSTM
  takes the pair (h_0, c_0); None means zeros;
- output (T, N, K*H) (batch-first / unbatched like the input), h_n (L*K, N, H)
  (and c_n for the LSTM).

Parameters: ``weight_ih_l{k}{suffix} (G*H, D or K*H)``, ``weight_hh_l{k}{suffix} (G*H, H)``,
``bias_ih_l{k}{suffix}``, ``bias_hh_l{k}{suffix} (G*H,)``, suffix ``_reverse`` for the
backward direction; registered in torch.nn's order and initialised from
``U(-1/sqrt(H), 1/sqrt(H))``, so state dicts load both ways.

How it runs (and why it is fast enough without fused kernels): for each layer and
direction the input projection of all T steps is one matrix product, each step does
one more product (the hidden projection of all gates at once) and a few elementwise
ops, and the outputs are collected in a list and stacked.  Nothing in the time loop
reads a tensor's values, so on a GPU the loop only queues kernels.
"""

from __future__ import annotations

import math
import numbers
import warnings

import torch
from torch import Tensor, nn

from lstmlab.torch import _checks
from lstmlab.torch._equations import gru_step, input_projection, lstm_step, rnn_step
from lstmlab.torch.cells import check_nonlinearity, check_pair, check_sizes

__all__ = ["RNN", "LSTM", "GRU"]


class _RNNBase(nn.Module):
    """Parameters, checks and the layer/direction loop shared by RNN, LSTM and GRU."""

    _gates = 1  # G
    _has_cell = False  # True for the LSTM (state is the pair (h, c))

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
                 batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False,
                 proj_size: int = 0, device=None, dtype=None):
        super().__init__()
        name = type(self).__name__
        check_sizes(name, input_size, hidden_size, bias)
        if not isinstance(num_layers, int) or isinstance(num_layers, bool) or num_layers <= 0:
            raise ValueError(f"{name}: num_layers must be an int greater than zero, got {num_layers!r}")
        if not isinstance(batch_first, bool):
            raise TypeError(f"{name}: batch_first should be of type bool, got: {type(batch_first).__name__}")
        if not isinstance(bidirectional, bool):
            raise TypeError(f"{name}: bidirectional should be of type bool, got: {type(bidirectional).__name__}")
        if isinstance(dropout, bool) or not isinstance(dropout, numbers.Number) or not 0 <= dropout <= 1:
            raise ValueError(
                f"{name}: dropout should be a number in range [0, 1] (the probability of zeroing "
                f"an element), got {dropout!r}"
            )
        if proj_size != 0:
            raise ValueError(
                f"{name}: proj_size={proj_size!r} is not supported by lstmlab.torch (only 0). "
                "Hint: use torch.nn.LSTM for projected LSTMs."
            )
        if dropout > 0 and num_layers == 1:
            # Same warning as torch.nn: dropout only acts between stacked layers.
            warnings.warn(
                "dropout option adds dropout after all but last recurrent layer, so non-zero "
                f"dropout expects num_layers greater than 1, but got dropout={dropout} and "
                f"num_layers={num_layers}",
                stacklevel=3,
            )
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.bias = bias
        self.batch_first = batch_first
        self.dropout = float(dropout)
        self.bidirectional = bidirectional
        self.proj_size = 0

        factory = {"device": device, "dtype": dtype}
        gh = self._gates * hidden_size
        k = 2 if bidirectional else 1
        self._all_weights: list[list[str]] = []
        for layer in range(num_layers):
            layer_in = input_size if layer == 0 else k * hidden_size
            for direction in range(k):
                sfx = f"_l{layer}" + ("_reverse" if direction == 1 else "")
                names = [f"weight_ih{sfx}", f"weight_hh{sfx}"]
                setattr(self, names[0], nn.Parameter(torch.empty((gh, layer_in), **factory)))
                setattr(self, names[1], nn.Parameter(torch.empty((gh, hidden_size), **factory)))
                if bias:
                    names += [f"bias_ih{sfx}", f"bias_hh{sfx}"]
                    setattr(self, names[2], nn.Parameter(torch.empty(gh, **factory)))
                    setattr(self, names[3], nn.Parameter(torch.empty(gh, **factory)))
                self._all_weights.append(names)
        self.reset_parameters()

    # -- torch.nn compatibility -------------------------------------------------------
    def reset_parameters(self) -> None:
        """Draw every parameter from ``U(-1/sqrt(H), 1/sqrt(H))``, in registration order (as torch.nn)."""
        bound = 1.0 / math.sqrt(self.hidden_size)
        for p in self.parameters():
            nn.init.uniform_(p, -bound, bound)

    def flatten_parameters(self) -> None:
        """No-op kept for code written against torch.nn (there is no cuDNN weight buffer here)."""

    @property
    def all_weights(self) -> list[list[nn.Parameter]]:
        """Parameters grouped per layer and direction, as ``torch.nn.RNNBase.all_weights``."""
        return [[getattr(self, n) for n in names] for names in self._all_weights]

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        for attr, default in (("num_layers", 1), ("bias", True), ("batch_first", False),
                              ("dropout", 0.0), ("bidirectional", False)):
            if getattr(self, attr) != default:
                s += f", {attr}={getattr(self, attr)}"
        if getattr(self, "nonlinearity", "tanh") != "tanh":
            s += f", nonlinearity={self.nonlinearity!r}"
        return s

    # -- forward ----------------------------------------------------------------------
    def forward(self, input: Tensor, hx=None):
        """Run all layers and directions over the sequence; see the module docstring for shapes."""
        name = type(self).__name__
        _checks.check_tensor(name, "input", input)
        layout = "(N, T, D)" if self.batch_first else "(T, N, D)"
        _checks.check_rank(
            name, "input", input, {2: "(T, D) unbatched", 3: f"{layout} batched"},
            "add a batch dimension of size 1 or drop extra dimensions.",
        )
        batched = input.dim() == 3
        _checks.check_features(name, "input", input, layout if batched else "(T, D)", self.input_size)
        w0 = self.weight_ih_l0
        _checks.check_dtype_device(name, "input", input, w0)

        if not batched:
            x = input.unsqueeze(1)  # (T, 1, D)
        elif self.batch_first:
            x = input.transpose(0, 1)  # (T, N, D), a view
        else:
            x = input
        n = x.shape[1]
        lk = self.num_layers * (2 if self.bidirectional else 1)

        if self._has_cell:
            if hx is None:
                h0 = c0 = x.new_zeros(lk, n, self.hidden_size)
            else:
                check_pair(name, hx, "(h_0, c_0)")
                h0 = self._prepare_state("hx[0]", hx[0], n, batched, lk)
                c0 = self._prepare_state("hx[1]", hx[1], n, batched, lk)
        else:
            h0 = x.new_zeros(lk, n, self.hidden_size) if hx is None else self._prepare_state("hx", hx, n, batched, lk)
            c0 = None

        out, h_n, c_n = self._run(x, h0, c0)

        if not batched:
            out, h_n = out.squeeze(1), h_n.squeeze(1)
            c_n = None if c_n is None else c_n.squeeze(1)
        elif self.batch_first:
            out = out.transpose(0, 1).contiguous()  # (N, T, K*H), contiguous like torch.nn's
        return (out, (h_n, c_n)) if self._has_cell else (out, h_n)

    def _prepare_state(self, label: str, state, n: int, batched: bool, lk: int) -> Tensor:
        """Check one initial state and return it as (L*K, N, H)."""
        name = type(self).__name__
        _checks.check_tensor(name, label, state)
        hsz = self.hidden_size
        hint = (f"the state holds one (N, H) slice per layer and direction: L*K = num_layers * "
                f"num_directions = {self.num_layers} * {lk // self.num_layers} = {lk}, N = the "
                f"input's batch size ({n}), H = hidden_size ({hsz}); it is never batch-first.")
        if batched:
            _checks.check_shape(name, label, state, "(L*K, N, H)", (lk, n, hsz), hint)
        else:
            _checks.check_shape(name, label, state, "(L*K, H)", (lk, hsz),
                                "the input is unbatched (T, D), so the state is unbatched too; " + hint)
            state = state.unsqueeze(1)
        _checks.check_dtype_device(name, label, state, self.weight_ih_l0)
        return state

    def _run(self, x: Tensor, h0: Tensor, c0: Tensor | None):
        """x (T, N, D), h0/c0 (L*K, N, H) -> output (T, N, K*H), h_n, c_n (L*K, N, H)."""
        k = 2 if self.bidirectional else 1
        h_last, c_last = [], []
        layer_in = x
        for layer in range(self.num_layers):
            if layer > 0 and self.dropout > 0 and self.training:
                # Between layers only, never after the last one (torch.nn's rule).
                layer_in = nn.functional.dropout(layer_in, p=self.dropout, training=True)
            outs = []
            for direction in range(k):
                idx = layer * k + direction
                params = [getattr(self, n) for n in self._all_weights[idx]]
                seq, h, c = self._direction(layer_in, params, h0[idx], None if c0 is None else c0[idx],
                                            reverse=direction == 1)
                outs.append(seq)
                h_last.append(h)
                c_last.append(c)
            layer_in = outs[0] if k == 1 else torch.cat(outs, dim=2)  # (T, N, K*H)
        h_n = torch.stack(h_last)  # (L*K, N, H)
        c_n = torch.stack(c_last) if c0 is not None else None
        return layer_in, h_n, c_n

    def _direction(self, x: Tensor, params: list[Tensor], h: Tensor, c: Tensor | None, reverse: bool):
        """One layer, one direction. x (T, N, D) -> outputs (T, N, H), final h (and c) (N, H)."""
        raise NotImplementedError


def _time_steps(gx: Tensor, reverse: bool):
    """Split (T, N, G*H) into T views; unbind has one backward node (indexing gx[t] has T)."""
    steps = gx.unbind(0)
    return reversed(steps) if reverse else steps


def _stack(outs: list[Tensor], reverse: bool) -> Tensor:
    """Stack per-step outputs into (T, N, H) in forward time order."""
    if reverse:
        outs.reverse()
    return torch.stack(outs)


class RNN(_RNNBase):
    """Multi-layer Elman RNN, ``h_t = act(x_t @ W_ih.T + b_ih + h_{t-1} @ W_hh.T + b_hh)``.

    Same constructor as torch.nn.RNN (``nonlinearity='tanh'`` or ``'relu'``); forward(input, hx=None)
    -> (output, h_n).  Shapes in the module docstring.
    """

    _gates = 1

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1,
                 nonlinearity: str = "tanh", bias: bool = True, batch_first: bool = False,
                 dropout: float = 0.0, bidirectional: bool = False, device=None, dtype=None):
        check_nonlinearity("RNN", nonlinearity)
        super().__init__(input_size, hidden_size, num_layers, bias, batch_first, dropout,
                         bidirectional, device=device, dtype=dtype)
        self.nonlinearity = nonlinearity

    def _direction(self, x, params, h, c, reverse):
        w_ih, w_hh = params[0], params[1]
        bias = params[2] + params[3] if self.bias else None  # both biases add to one pre-activation
        gx = input_projection(x, w_ih, bias)  # (T, N, H) for all steps at once
        relu = self.nonlinearity == "relu"
        outs = []
        for g in _time_steps(gx, reverse):
            h = rnn_step(g, h, w_hh, relu)
            outs.append(h)
        return _stack(outs, reverse), h, None


class LSTM(_RNNBase):
    """Multi-layer LSTM, gates i, f, g, o: ``c_t = f*c_{t-1} + i*g``, ``h_t = o*tanh(c_t)``.

    Same constructor as torch.nn.LSTM (``proj_size`` must be 0); forward(input, hx=None)
    with hx = (h_0, c_0) -> (output, (h_n, c_n)).  Shapes in the module docstring.
    """

    _gates = 4
    _has_cell = True

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
                 batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False,
                 proj_size: int = 0, device=None, dtype=None):
        super().__init__(input_size, hidden_size, num_layers, bias, batch_first, dropout,
                         bidirectional, proj_size, device=device, dtype=dtype)

    def _direction(self, x, params, h, c, reverse):
        w_ih, w_hh = params[0], params[1]
        bias = params[2] + params[3] if self.bias else None
        gx = input_projection(x, w_ih, bias)  # (T, N, 4H) for all steps at once
        outs = []
        for g in _time_steps(gx, reverse):
            h, c = lstm_step(g, h, c, w_hh)
            outs.append(h)
        return _stack(outs, reverse), h, c


class GRU(_RNNBase):
    """Multi-layer GRU, gates r, z, n: ``n = tanh(W_in x + b_in + r * (W_hn h + b_hn))``, ``h = (1-z)*n + z*h``.

    Same constructor as torch.nn.GRU; forward(input, hx=None) -> (output, h_n).
    Shapes in the module docstring.
    """

    _gates = 3

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
                 batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False,
                 device=None, dtype=None):
        super().__init__(input_size, hidden_size, num_layers, bias, batch_first, dropout,
                         bidirectional, device=device, dtype=dtype)

    def _direction(self, x, params, h, c, reverse):
        w_ih, w_hh = params[0], params[1]
        b_ih, b_hh = (params[2], params[3]) if self.bias else (None, None)
        gx = input_projection(x, w_ih, b_ih)  # (T, N, 3H); b_hh stays inside the step (r * ...)
        outs = []
        for g in _time_steps(gx, reverse):
            h = gru_step(g, h, w_hh, b_hh)
            outs.append(h)
        return _stack(outs, reverse), h, None
