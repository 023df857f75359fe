"""Sequence modules ``RNN``, ``LSTM``, ``GRU``: drop-in for torch.nn's, from the equations.

Shapes: T time steps, N batch, D input size (``input_size``), H hidden size
(``hidden_size``), P projection size (``proj_size``, LSTM only; P = H without one),
L layers (``num_layers``), K directions (2 if ``bidirectional`` else 1), G gates
(RNN 1, GRU 3, LSTM 4).

- input (T, N, D), or (N, T, D) with ``batch_first=True``, or unbatched (T, D), or a
  ``torch.nn.utils.rnn.PackedSequence`` of variable-length sequences;
- hx (L*K, N, H) or unbatched (L*K, H) (never batch-first, as in torch.nn); the LSTM
  takes the pair (h_0 (L*K, N, P), c_0 (L*K, N, H)); None means zeros;
- output (T, N, K*H) (batch-first / unbatched like the input; a PackedSequence for a
  packed input), h_n (L*K, N, H) (and c_n for the LSTM).

Parameters: ``weight_ih_l{k}{suffix} (G*H, D or K*P)``, ``weight_hh_l{k}{suffix} (G*H, P)``,
``bias_ih_l{k}{suffix}``, ``bias_hh_l{k}{suffix} (G*H,)``, and with a projection
``weight_hr_l{k}{suffix} (P, H)``; suffix ``_reverse`` for the backward direction;
registered in torch.nn's order and initialised from ``U(-1/sqrt(H), 1/sqrt(H))``, so
state dicts load both ways.

How it runs: for each layer and direction the input projection of all T steps is one
matrix product; each step then does one more product (the hidden projection of all
gates at once) and a few elementwise ops on the rows of the batch still running.  A
packed batch is sorted by decreasing length, so the rows still running at step t are
a prefix of the batch, ``batch_sizes[t]`` long: the step works on that prefix and a
finished row keeps its final state.  Nothing in the time loop reads a tensor's values,
so on a GPU the loop only queues kernels.  ``fused=True`` swaps the step loop for the
hand-written forward and backward of :mod:`lstmlab.torch.fused` (same numbers).
"""

from __future__ import annotations

import math
import numbers
import warnings

import torch
from torch import Tensor, nn
from torch.nn.utils.rnn import PackedSequence

from lstmlab.torch import fused as fused_kernels
from lstmlab.torch._checks import (
    check_dtype_device, check_features, check_not_empty, check_nonlinearity,
    check_pair, check_rank, check_shape, check_sizes, check_tensor,
)
from lstmlab.torch._equations import gru_step, input_projection, lstm_step, rnn_step

__all__ = ["RNN", "LSTM", "GRU"]


class _RNNBase(nn.Module):
    """Parameters, checks and the layer/direction loop shared by RNN, LSTM and GRU."""

    _gates = 1  # G
    _has_cell = False  # True for the LSTM (state is the pair (h, c))

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
                 batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False,
                 proj_size: int = 0, fused: bool = False, device=None, dtype=None):
        super().__init__()
        name = type(self).__name__
        if isinstance(dropout, bool) or not isinstance(dropout, numbers.Number) or not 0 <= dropout <= 1:
            raise ValueError(
                f"{name}: dropout should be a number in range [0, 1] representing the probability "
                f"of an element being zeroed, got {dropout!r}"
            )
        check_sizes(name, input_size, hidden_size, bias)
        if not isinstance(batch_first, bool):
            raise TypeError(f"{name}: batch_first should be of type bool, got: {type(batch_first).__name__}")
        if not isinstance(bidirectional, bool):
            raise TypeError(f"{name}: bidirectional should be of type bool, got: {type(bidirectional).__name__}")
        if not isinstance(fused, bool):
            raise TypeError(f"{name}: fused should be of type bool, got: {type(fused).__name__}")
        if not isinstance(num_layers, int) or isinstance(num_layers, bool):
            raise TypeError(f"{name}: num_layers should be of type int, got: {type(num_layers).__name__}")
        if num_layers <= 0:
            raise ValueError(f"{name}: num_layers must be greater than zero, got {num_layers}. "
                             "Hint: num_layers counts stacked recurrent layers, at least 1.")
        if not isinstance(proj_size, int) or isinstance(proj_size, bool):
            raise TypeError(f"{name}: proj_size should be of type int, got: {type(proj_size).__name__}")
        if proj_size < 0:
            raise ValueError(f"{name}: proj_size should be a positive integer or zero to disable "
                             f"projections, got {proj_size}")
        if proj_size >= hidden_size:
            raise ValueError(f"{name}: proj_size has to be smaller than hidden_size, got proj_size="
                             f"{proj_size} and hidden_size={hidden_size}. Hint: the projection "
                             "maps the H-vector o * tanh(c) to a shorter P-vector.")
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
        self.proj_size = proj_size
        self.fused = fused

        factory = {"device": device, "dtype": dtype}
        gh = self._gates * hidden_size
        k = 2 if bidirectional else 1
        out_size = proj_size or hidden_size  # P: what h holds
        self._all_weights: list[list[str]] = []
        for layer in range(num_layers):
            layer_in = input_size if layer == 0 else k * out_size
            for direction in range(k):
                sfx = f"_l{layer}" + ("_reverse" if direction == 1 else "")
                shapes = {f"weight_ih{sfx}": (gh, layer_in), f"weight_hh{sfx}": (gh, out_size)}
                if bias:
                    shapes |= {f"bias_ih{sfx}": (gh,), f"bias_hh{sfx}": (gh,)}
                if proj_size:
                    shapes[f"weight_hr{sfx}"] = (proj_size, hidden_size)  # registered last, as torch.nn
                for pname, shape in shapes.items():
                    setattr(self, pname, nn.Parameter(torch.empty(shape, **factory)))
                self._all_weights.append(list(shapes))
        self.reset_parameters()

    # -- torch.nn compatibility -------------------------------------------------------
    def reset_parameters(self) -> None:
        """Draw every parameter from ``U(-1/sqrt(H), 1/sqrt(H))``, in registration order (as torch.nn)."""
        bound = 1.0 / math.sqrt(self.hidden_size)
        for p in self.parameters():
            nn.init.uniform_(p, -bound, bound)

    def flatten_parameters(self) -> None:
        """No-op kept for code written against torch.nn (there is no cuDNN weight buffer here)."""

    def __setstate__(self, state: dict) -> None:
        # Modules pickled before an attribute existed load with its default (torch.nn
        # does the same for proj_size, which arrived in PyTorch 1.8).
        state.setdefault("proj_size", 0)
        state.setdefault("fused", False)
        super().__setstate__(state)

    @property
    def all_weights(self) -> list[list[nn.Parameter]]:
        """Parameters grouped per layer and direction, as ``torch.nn.RNNBase.all_weights``."""
        return [[getattr(self, n) for n in names] for names in self._all_weights]

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        for attr, default in (("proj_size", 0), ("num_layers", 1), ("bias", True), ("batch_first", False),
                              ("dropout", 0.0), ("bidirectional", False), ("fused", False)):
            if getattr(self, attr) != default:
                s += f", {attr}={getattr(self, attr)}"
        if getattr(self, "nonlinearity", "tanh") != "tanh":
            s += f", nonlinearity={self.nonlinearity!r}"
        return s

    # -- forward ----------------------------------------------------------------------
    def forward(self, input, hx=None):
        """Run all layers and directions over the sequence; see the module docstring for shapes."""
        name = type(self).__name__
        if isinstance(input, PackedSequence):
            return self._forward_packed(input, hx)
        check_tensor(name, "input", input)
        layout = "(N, T, D)" if self.batch_first else "(T, N, D)"
        check_rank(
            name, "input", input, {2: "(T, D) unbatched", 3: f"{layout} batched"},
            "add a batch dimension of size 1 or drop extra dimensions.",
        )
        batched = input.dim() == 3
        check_features(name, "input", input, layout if batched else "(T, D)", self.input_size)
        check_dtype_device(name, "input", input, self.weight_ih_l0)

        if not batched:
            x = input.unsqueeze(1)  # (T, 1, D)
        elif self.batch_first:
            x = input.transpose(0, 1)  # (T, N, D), a view
        else:
            x = input
        check_not_empty(name, x.shape[0])
        h0, c0 = self._initial_state(hx, x, x.shape[1], batched)
        out, h_n, c_n = self._run(x, None, h0, c0)

        if not batched:
            out, h_n = out.squeeze(1), h_n.squeeze(1)
            c_n = None if c_n is None else c_n.squeeze(1)
        elif self.batch_first:
            out = out.transpose(0, 1).contiguous()  # (N, T, K*H), contiguous like torch.nn's
        return (out, (h_n, c_n)) if self._has_cell else (out, h_n)

    def _forward_packed(self, packed: PackedSequence, hx):
        """PackedSequence in, PackedSequence out; the states follow the caller's batch order."""
        name = type(self).__name__
        data, batch_sizes, sorted_indices, unsorted_indices = packed
        check_tensor(name, "input.data", data)
        check_rank(name, "input.data", data, {2: "(sum of lengths, D) packed"},
                   "pack a (T, N, D) batch with torch.nn.utils.rnn.pack_padded_sequence.",
                   torch_wording=f"input must have 2 dimensions, got {data.dim()}")
        check_features(name, "input.data", data, "(sum of lengths, D)", self.input_size)
        check_dtype_device(name, "input", data, self.weight_ih_l0)
        sizes = batch_sizes.tolist()  # batch_sizes lives on the CPU: no device synchronisation
        h0, c0 = self._initial_state(hx, data, sizes[0], True)
        if sorted_indices is not None:
            # The caller's row i is row unsorted_indices[i] of the length-sorted batch.
            h0 = h0.index_select(1, sorted_indices)
            c0 = None if c0 is None else c0.index_select(1, sorted_indices)
        out, h_n, c_n = self._run(data, sizes, h0, c0)
        if unsorted_indices is not None:
            h_n = h_n.index_select(1, unsorted_indices)
            c_n = None if c_n is None else c_n.index_select(1, unsorted_indices)
        out = PackedSequence(out, batch_sizes, sorted_indices, unsorted_indices)
        return (out, (h_n, c_n)) if self._has_cell else (out, h_n)

    def _initial_state(self, hx, x: Tensor, n: int, batched: bool):
        """h0 (L*K, N, P) and, for the LSTM, c0 (L*K, N, H): zeros for None, else checked."""
        name = type(self).__name__
        lk = self.num_layers * (2 if self.bidirectional else 1)
        p = self.proj_size or self.hidden_size
        if not self._has_cell:
            if hx is None:
                return x.new_zeros(lk, n, self.hidden_size), None
            return self._prepare_state("hx", hx, n, batched, lk, self.hidden_size), None
        if hx is None:
            return x.new_zeros(lk, n, p), x.new_zeros(lk, n, self.hidden_size)
        check_pair(name, hx, "(h_0, c_0)")
        return (self._prepare_state("hx[0]", hx[0], n, batched, lk, p),
                self._prepare_state("hx[1]", hx[1], n, batched, lk, self.hidden_size))

    def _prepare_state(self, label: str, state, n: int, batched: bool, lk: int, hsz: int) -> Tensor:
        """Check one initial state and return it as (L*K, N, hsz); torch.nn's messages first."""
        name = type(self).__name__
        check_tensor(name, label, state)
        rank = 3 if batched else 2
        symbol = "P" if label == "hx[0]" and self.proj_size else "H"
        hint = (f"the state holds one (N, {symbol}) slice per layer and direction: L*K = num_layers * "
                f"num_directions = {self.num_layers} * {lk // self.num_layers} = {lk}, N = the "
                f"input's batch size ({n}), {symbol} = {hsz}; it is never batch-first.")
        which = "cx" if label == "hx[1]" else "hx"
        check_rank(name, label, state, {rank: "(L*K, N, H)" if batched else "(L*K, H)"}, hint,
                   torch_wording=(f"For {'batched 3-D' if batched else 'unbatched 2-D'} input, {which} "
                                  f"should also be {rank}-D but got {state.dim()}-D tensor"))
        expected = (lk, n, hsz)
        if not batched:
            state = state.unsqueeze(1)
        wording = f"Expected hidden{label[2:]} size {expected}, got {list(state.shape)}"
        check_shape(name, label, state, f"(L*K, N, {symbol})", expected,
                    hint if batched else "the input is unbatched (T, D), so the state is unbatched "
                    "too, (L*K, H) without the N; " + hint, wording)
        check_dtype_device(name, label, state, self.weight_ih_l0)
        return state

    def _run(self, x: Tensor, sizes: list[int] | None, h0: Tensor, c0: Tensor | None):
        """All layers and directions.

        Padded: x (T, N, D), sizes None -> output (T, N, K*P).  Packed: x (sum of lengths, D)
        with ``sizes[t]`` rows at step t -> output (sum of lengths, K*P).  h0 (L*K, N, P),
        c0 (L*K, N, H) -> h_n, c_n of the same shapes.
        """
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
                state = (h0[idx],) if c0 is None else (h0[idx], c0[idx])
                seq, final = self._direction(layer_in, sizes, params, state, reverse=direction == 1)
                outs.append(seq)
                h_last.append(final[0])
                c_last.append(final[-1])
            layer_in = outs[0] if k == 1 else torch.cat(outs, dim=-1)  # (..., K*P)
        h_n = torch.stack(h_last)  # (L*K, N, P)
        c_n = torch.stack(c_last) if c0 is not None else None
        return layer_in, h_n, c_n

    def _direction(self, x: Tensor, sizes, params: list[Tensor], state: tuple, reverse: bool):
        """One layer, one direction: (outputs, final state tuple)."""
        w_ih, gx_bias, step = self._step_parts(params)
        if sizes is None and self.fused and self.proj_size == 0:
            gx = fused_kernels.project(x, w_ih, gx_bias)  # (T, N, G*H), backward written out
            return fused_kernels.scan(self._kind, gx, state, params, reverse, self._fused_options())
        gx = input_projection(x, w_ih, gx_bias)  # every time step at once: (T, N, G*H) or (S, G*H)
        steps = gx.unbind(0) if sizes is None else gx.split(sizes)  # views of one tensor
        outs, final = scan_steps(step, steps, state, reverse)
        return (torch.stack(outs) if sizes is None else torch.cat(outs)), final

    def _step_parts(self, params: list[Tensor]):
        """(W_ih, the bias added to the input projection, step(g, *state) -> new state)."""
        raise NotImplementedError

    _kind = ""

    def _fused_options(self) -> dict:
        """Extra arguments of :func:`lstmlab.torch.fused.scan` for this kind."""
        return {"bias": self.bias}


def scan_steps(step, steps, state: tuple[Tensor, ...], reverse: bool):
    """Run ``step`` over time on the still-active prefix of the batch.

    steps: per-step input projections in time order, step t of shape (b_t, G*H), with
    b_0 >= b_1 >= ... (a packed batch; all equal for a padded one).  state: tensors
    (N, *) with N = b_0.  step(g, *state) -> new state tuple; its first entry is the
    output h.  Returns (list of outputs in time order, final state tuple (N, *)), where a
    row's final state is its state after its own last step.
    """
    outs = []
    if not reverse:
        done = []  # states of rows that have finished, the last rows first
        cur = state
        for g in steps:
            b = g.shape[0]
            if b < cur[0].shape[0]:  # rows b.. end here: keep their state, drop them
                done.append(tuple(s[b:] for s in cur))
                cur = tuple(s[:b] for s in cur)
            cur = step(g, *cur)
            outs.append(cur[0])
        if done:
            done.append(cur)
            cur = tuple(torch.cat(parts[::-1]) for parts in zip(*done))
        return outs, cur
    # Backwards in time the batch grows: a row joins, from its initial state, at its last step.
    b_last = steps[-1].shape[0]
    cur = tuple(s[:b_last] for s in state) if b_last < state[0].shape[0] else state
    for g in reversed(steps):
        b = g.shape[0]
        if b > cur[0].shape[0]:
            cur = tuple(torch.cat([c, s[c.shape[0]:b]]) for c, s in zip(cur, state))
        cur = step(g, *cur)
        outs.append(cur[0])
    outs.reverse()
    return outs, cur


class RNN(_RNNBase):
    """Multi-layer Elman RNN, ``h_t = act(x_t @ W_ih.T + b_ih + h_{t-1} @ W_hh.T + b_hh)``.

    Same constructor as torch.nn.RNN (``nonlinearity='tanh'`` or ``'relu'``), plus ``fused``;
    ``proj_size`` is refused with torch.nn's ValueError.  forward(input, hx=None) -> (output, h_n).
    ``bias`` must be a bool.  Shapes in the module docstring.
    """

    _gates = 1
    _kind = "RNN"

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1,
                 nonlinearity: str = "tanh", bias: bool = True, batch_first: bool = False,
                 dropout: float = 0.0, bidirectional: bool = False, device=None, dtype=None,
                 fused: bool = False, **kwargs):
        _refuse_proj_size("RNN", kwargs)
        check_nonlinearity("RNN", nonlinearity)
        super().__init__(input_size, hidden_size, num_layers, bias, batch_first, dropout,
                         bidirectional, fused=fused, device=device, dtype=dtype)
        self.nonlinearity = nonlinearity

    def _step_parts(self, params):
        w_hh = params[1]
        relu = self.nonlinearity == "relu"
        bias = params[2] + params[3] if self.bias else None  # both biases add to one pre-activation
        return params[0], bias, lambda g, h: (rnn_step(g, h, w_hh, relu),)

    def _fused_options(self):
        return {"relu": self.nonlinearity == "relu", "bias": self.bias}


class LSTM(_RNNBase):
    """Multi-layer LSTM, gates i, f, g, o: ``c_t = f*c_{t-1} + i*g``, ``h_t = o*tanh(c_t)``.

    Same constructor as torch.nn.LSTM, plus ``fused``; with ``proj_size`` P > 0,
    ``h_t = W_hr (o*tanh(c_t))`` (Sak et al. 2014).  forward(input, hx=None) with
    hx = (h_0, c_0) -> (output, (h_n, c_n)).  ``bias`` must be a bool (torch.nn checks it
    too; lstmlab also does for the cells).  Shapes in the module docstring.
    """

    _gates = 4
    _has_cell = True
    _kind = "LSTM"

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
                 batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False,
                 proj_size: int = 0, device=None, dtype=None, fused: bool = False):
        super().__init__(input_size, hidden_size, num_layers, bias, batch_first, dropout,
                         bidirectional, proj_size, fused=fused, device=device, dtype=dtype)

    def _step_parts(self, params):
        w_hh = params[1]
        bias = params[2] + params[3] if self.bias else None  # both biases add to one pre-activation
        if not self.proj_size:
            return params[0], bias, lambda g, h, c: lstm_step(g, h, c, w_hh)
        w_hr = params[-1]  # (P, H)

        def projected_step(g, h, c):
            h_new, c_new = lstm_step(g, h, c, w_hh)
            return torch.mm(h_new, w_hr.t()), c_new  # h_t = W_hr (o * tanh(c_t)): (N, P)

        return params[0], bias, projected_step


class GRU(_RNNBase):
    """Multi-layer GRU, gates r, z, n: ``n = tanh(W_in x + b_in + r * (W_hn h + b_hn))``, ``h = (1-z)*n + z*h``.

    Same constructor as torch.nn.GRU, plus ``fused``; ``proj_size`` is refused with
    torch.nn's ValueError.  forward(input, hx=None) -> (output, h_n).  ``bias`` must be
    a bool.  Shapes in the module docstring.
    """

    _gates = 3
    _kind = "GRU"

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
                 batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False,
                 device=None, dtype=None, fused: bool = False, **kwargs):
        _refuse_proj_size("GRU", kwargs)
        super().__init__(input_size, hidden_size, num_layers, bias, batch_first, dropout,
                         bidirectional, fused=fused, device=device, dtype=dtype)

    def _step_parts(self, params):
        w_hh = params[1]
        b_ih, b_hh = (params[2], params[3]) if self.bias else (None, None)
        # b_hh stays inside the step: the reset gate multiplies W_hn h + b_hn.
        return params[0], b_ih, lambda g, h: (gru_step(g, h, w_hh, b_hh),)


def _refuse_proj_size(owner: str, kwargs: dict) -> None:
    """torch.nn's RNN and GRU refuse ``proj_size`` (even 0) with a ValueError; so do we."""
    if "proj_size" in kwargs:
        raise ValueError(f"{owner}: proj_size argument is only supported for LSTM, not RNN or GRU. "
                         "Hint: use lstmlab.torch.LSTM(..., proj_size=P).")
    if kwargs:
        raise TypeError(f"{owner}.__init__() got an unexpected keyword argument {next(iter(kwargs))!r}")

