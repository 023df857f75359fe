"""Fused sequence kernels: the step loop with a hand-written backward (``fused=True``).

The plain path of :mod:`lstmlab.torch.modules` lets autograd record every operation of
every step, and replays ~10 small backward operations per step.  Here each layer and
direction is one ``torch.autograd.Function``: the forward runs the same equations
without recording, keeping the gate activations; the backward is back-propagation
through time written out (chapter 6), arranged so that

- everything that does not depend on the recurrence is computed for all T steps at
  once before the backward loop (the local derivatives of every gate);
- each backward step is one matrix product (the gradient flowing to h_{t-1}) and 2-5
  elementwise operations writing into preallocated buffers;
- the gradient of ``W_hh`` is one (G*H, T*N) x (T*N, H) product after the loop, instead
  of T small ones accumulated.

The input projection and its gradients (``W_ih``, the biases, the input) stay outside,
in autograd, as one large matrix product each way.  These backward passes are differentiable
once: ``create_graph=True`` raises; use the plain path for gradients of gradients.

Shapes: T steps, N batch, H hidden size, G gates.  ``scan(kind, gx, state, params,
reverse, options)``: gx (T, N, G*H) input projections (the LSTM's and RNN's with both
biases folded in, the GRU's with b_ih only), state (h0,) or (h0, c0) each (N, H) ->
(outputs (T, N, H), final state tuple).
"""

from __future__ import annotations

import functools

import torch
from torch import Tensor

__all__ = ["scan", "LSTMScan", "GRUScan", "RNNScan"]


def _first_order_only(backward):
    """Refuse ``create_graph=True``: the hand-written backward is not itself differentiable.

    (torch's ``once_differentiable`` would return a silently constant gradient when the
    upstream gradients do not require grad, so double backward would be wrong, not refused.)
    """

    @functools.wraps(backward)
    def wrapper(ctx, *grads):
        if torch.is_grad_enabled():
            raise RuntimeError(
                "lstmlab.torch (fused=True): the fused backward is differentiable only once, but "
                "it was asked for a graph of the gradient (create_graph=True). Hint: build the "
                "module with fused=False for gradients of gradients."
            )
        return backward(ctx, *grads)

    return wrapper


def _order(steps: int, reverse: bool) -> range:
    return range(steps - 1, -1, -1) if reverse else range(steps)


def _previous(seq: Tensor, first: Tensor, reverse: bool) -> Tensor:
    """The state each step started from: (T, N, H), entry t = state before step t."""
    if reverse:
        return torch.cat([seq[1:], first.unsqueeze(0)])
    return torch.cat([first.unsqueeze(0), seq[:-1]])


class LSTMScan(torch.autograd.Function):
    """(gx (T, N, 4H), h0, c0 (N, H), w_hh (4H, H), reverse) -> hs (T, N, H), h_T, c_T."""

    @staticmethod
    def forward(ctx, gx, h0, c0, w_hh, reverse):
        steps, n, g4 = gx.shape
        hsz = g4 // 4
        act = torch.empty_like(gx)  # i, f, g, o activations of every step
        cs = gx.new_empty(steps, n, hsz)
        hs = gx.new_empty(steps, n, hsz)
        h, c, wt = h0, c0, w_hh.t()
        for t in _order(steps, reverse):
            gates = torch.addmm(gx[t], h, wt)
            a = act[t]
            torch.sigmoid(gates, out=a)  # g's block is overwritten on the next line
            torch.tanh(gates[:, 2 * hsz:3 * hsz], out=a[:, 2 * hsz:3 * hsz])
            i, f, g, o = a.chunk(4, dim=1)
            c_new = torch.mul(f, c, out=cs[t]).addcmul_(i, g)
            h = torch.mul(o, torch.tanh(c_new), out=hs[t])
            c = c_new
        ctx.reverse = reverse
        ctx.save_for_backward(h0, c0, w_hh, act, cs, hs)
        return hs, h.clone(), c.clone()

    @staticmethod
    @_first_order_only
    def backward(ctx, d_hs, d_h, d_c):
        h0, c0, w_hh, act, cs, hs = ctx.saved_tensors
        reverse = ctx.reverse
        steps, n, hsz = cs.shape
        i, f, g, o = act.chunk(4, dim=2)  # (T, N, H) each
        tcs = torch.tanh(cs)
        c_prev = _previous(cs, c0, reverse)
        # d gates = [dc, dc, dc, dh] * local, with every local derivative computed at once
        # (written into one buffer, no concatenation):
        # di: g i(1-i), df: c_prev f(1-f), dg: i (1-g^2), do: tanh(c) o(1-o).
        local = act.new_empty(steps, n, 4, hsz)
        torch.mul(g * i, 1 - i, out=local[:, :, 0])
        torch.mul(c_prev * f, 1 - f, out=local[:, :, 1])
        torch.mul(i, 1 - g * g, out=local[:, :, 2])
        torch.mul(tcs * o, 1 - o, out=local[:, :, 3])
        dc_from_h = o * (1 - tcs * tcs)  # dc += dh * o (1 - tanh(c)^2)
        d_gates = torch.empty_like(act)
        dgv = d_gates.view(steps, n, 4, hsz)
        order = list(_order(steps, reverse))[::-1]  # the backward visits steps in reverse
        dh = d_hs[order[0]] + d_h
        dc = d_c
        for k, t in enumerate(order):
            dc = torch.addcmul(dc, dh, dc_from_h[t])
            torch.mul(local[t, :, :3], dc.unsqueeze(1), out=dgv[t, :, :3])
            torch.mul(local[t, :, 3], dh, out=dgv[t, :, 3])
            dc = dc * f[t]
            if k + 1 < len(order):
                dh = torch.addmm(d_hs[order[k + 1]], d_gates[t], w_hh)
            else:
                dh = torch.mm(d_gates[t], w_hh)
        h_prev = _previous(hs, h0, reverse)
        d_w_hh = torch.mm(d_gates.view(-1, 4 * hsz).t(), h_prev.reshape(-1, hsz))
        return d_gates, dh, dc, d_w_hh, None


class RNNScan(torch.autograd.Function):
    """(gx (T, N, H), h0 (N, H), w_hh (H, H), relu, reverse) -> hs (T, N, H), h_T."""

    @staticmethod
    def forward(ctx, gx, h0, w_hh, relu, reverse):
        steps = gx.shape[0]
        hs = torch.empty_like(gx)
        h, wt = h0, w_hh.t()
        for t in _order(steps, reverse):
            pre = torch.addmm(gx[t], h, wt)
            h = torch.clamp_min(pre, 0, out=hs[t]) if relu else torch.tanh(pre, out=hs[t])
        ctx.relu, ctx.reverse = relu, reverse
        ctx.save_for_backward(h0, w_hh, hs)
        return hs, h.clone()

    @staticmethod
    @_first_order_only
    def backward(ctx, d_hs, d_h):
        h0, w_hh, hs = ctx.saved_tensors
        reverse = ctx.reverse
        local = (hs > 0).to(hs.dtype) if ctx.relu else 1 - hs * hs  # act'(pre) from the output
        d_pre = torch.empty_like(hs)
        order = list(_order(hs.shape[0], reverse))[::-1]
        dh = d_hs[order[0]] + d_h
        for k, t in enumerate(order):
            torch.mul(dh, local[t], out=d_pre[t])
            if k + 1 < len(order):
                dh = torch.addmm(d_hs[order[k + 1]], d_pre[t], w_hh)
            else:
                dh = torch.mm(d_pre[t], w_hh)
        hsz = hs.shape[2]
        h_prev = _previous(hs, h0, reverse)
        d_w_hh = torch.mm(d_pre.view(-1, hsz).t(), h_prev.reshape(-1, hsz))
        return d_pre, dh, d_w_hh, None, None


class GRUScan(torch.autograd.Function):
    """(gx (T, N, 3H) with b_ih, h0 (N, H), w_hh (3H, H), b_hh (3H,) or None, reverse)
    -> hs (T, N, H), h_T."""

    @staticmethod
    def forward(ctx, gx, h0, w_hh, b_hh, reverse):
        steps, n, g3 = gx.shape
        hsz = g3 // 3
        rz = gx.new_empty(steps, n, 2 * hsz)  # reset and update gates
        cand = gx.new_empty(steps, n, hsz)  # n, the candidate
        gh_n = gx.new_empty(steps, n, hsz)  # W_hn h + b_hn, which r multiplies
        hs = gx.new_empty(steps, n, hsz)
        h, wt = h0, w_hh.t()
        for t in _order(steps, reverse):
            gh = torch.mm(h, wt) if b_hh is None else torch.addmm(b_hh, h, wt)
            torch.sigmoid(gx[t, :, :2 * hsz] + gh[:, :2 * hsz], out=rz[t])
            gh_n[t] = gh[:, 2 * hsz:]
            torch.tanh(torch.addcmul(gx[t, :, 2 * hsz:], rz[t, :, :hsz], gh_n[t]), out=cand[t])
            h = torch.lerp(cand[t], h, rz[t, :, hsz:], out=hs[t])  # n + z (h - n)
        ctx.reverse, ctx.has_bias = reverse, b_hh is not None
        ctx.save_for_backward(h0, w_hh, rz, cand, gh_n, hs)
        return hs, h.clone()

    @staticmethod
    @_first_order_only
    def backward(ctx, d_hs, d_h):
        h0, w_hh, rz, cand, gh_n, hs = ctx.saved_tensors
        reverse = ctx.reverse
        steps, n, hsz = hs.shape
        r, z = rz[..., :hsz], rz[..., hsz:]
        h_prev = _previous(hs, h0, reverse)
        # Local derivatives for all steps at once; per step they multiply dh (or d pre_n).
        to_pre_n = (1 - z) * (1 - cand * cand)  # dh -> d(pre-activation of n)
        to_pre_z = (h_prev - cand) * z * (1 - z)  # dh -> d(pre-activation of z)
        to_pre_r = gh_n * r * (1 - r)  # d pre_n -> d(pre-activation of r)
        d_gh = hs.new_empty(steps, n, 3 * hsz)  # d(W_hh h + b_hh): r, z, r * d pre_n
        d_pre_n = torch.empty_like(hs)
        order = list(_order(steps, reverse))[::-1]
        dh = d_hs[order[0]] + d_h
        for k, t in enumerate(order):
            torch.mul(dh, to_pre_n[t], out=d_pre_n[t])
            torch.mul(dh, to_pre_z[t], out=d_gh[t, :, hsz:2 * hsz])
            torch.mul(d_pre_n[t], to_pre_r[t], out=d_gh[t, :, :hsz])
            torch.mul(d_pre_n[t], r[t], out=d_gh[t, :, 2 * hsz:])
            direct = dh * z[t] if k + 1 == len(order) else torch.addcmul(d_hs[order[k + 1]], dh, z[t])
            dh = torch.addmm(direct, d_gh[t], w_hh)
        d_gx = torch.cat([d_gh[..., :2 * hsz], d_pre_n], dim=2)
        flat = d_gh.view(-1, 3 * hsz)
        d_w_hh = torch.mm(flat.t(), h_prev.reshape(-1, hsz))
        d_b_hh = flat.sum(0) if ctx.has_bias else None
        return d_gx, dh, d_w_hh, d_b_hh, None


def scan(kind: str, gx: Tensor, state: tuple, params: list[Tensor], reverse: bool, options: dict):
    """One layer and direction over a padded (T, N, G*H) sequence; see the module docstring."""
    w_hh = params[1]
    if kind == "LSTM":
        hs, h, c = LSTMScan.apply(gx, state[0], state[1], w_hh, reverse)
        return hs, (h, c)
    if kind == "GRU":
        b_hh = params[3] if options["bias"] else None
        hs, h = GRUScan.apply(gx, state[0], w_hh, b_hh, reverse)
        return hs, (h,)
    hs, h = RNNScan.apply(gx, state[0], w_hh, options["relu"], reverse)
    return hs, (h,)
