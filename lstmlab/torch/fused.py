"""Fused sequence kernels: the step loop with a hand-written backward (``fused=True``).

The plain path of :mod:`lstmlab.torch.modules` lets autograd record every operation of
every step, and replays ~10 small backward operations per step.  Here the input
projection and each layer-direction's recurrence are one ``torch.autograd.Function``
each, with back-propagation through time written out (chapter 6), arranged so that

- the input projection, and its two gradients, are one large matrix product each;
- the forward step, while its values are still in the cache, also computes the local
  derivatives the backward will need (only when a gradient is needed);
- each backward step is then one matrix product (the gradient flowing to h_{t-1}) and
  six elementwise operations writing into preallocated buffers;
- the gradient of ``W_hh`` is one (G*H, T*N) x (T*N, H) product after the loop, instead
  of T small ones accumulated;
- the products go to the fastest library for the device and the tanh takes the cheaper
  route (:mod:`lstmlab.torch.products`: oneDNN with a prepacked weight on a CPU).

These backward passes are differentiable once: ``create_graph=True`` raises; use the
plain path for gradients of gradients.

Shapes: T steps, N batch, D input size, H hidden size, G gates.  ``project(x, w_ih, bias)``:
x (T, N, D) -> gx (T, N, G*H).  ``scan(kind, gx, state, params, reverse, options)``: gx
the input projections (the LSTM's and RNN's with both biases folded in, the GRU's with
b_ih only), state (h0,) or (h0, c0) each (N, H) -> (outputs (T, N, H), final state tuple).
"""

from __future__ import annotations

import functools

import torch
from torch import Tensor

from .products import RepeatedWeight, mm_t, tanh_by_sigmoid, tanh_into

__all__ = ["project", "scan", "Projection", "LSTMScan", "GRUScan", "RNNScan"]


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


def _hidden_weight_grad(d_pre: Tensor, hs: Tensor, h0: Tensor, reverse: bool) -> Tensor:
    """sum over t of d_pre[t].T @ h_{t-1}: d_pre (T, N, G*H), hs (T, N, H), h0 (N, H) -> (G*H, H).

    h_{t-1} is hs[t-1] (hs[t+1] in reverse) except at the first step, where it is h0: one
    large product over the T-1 shifted steps (contiguous views, no copy) plus one small one.
    """
    steps, _, gh = d_pre.shape
    hsz = hs.shape[2]
    first = steps - 1 if reverse else 0
    grad = torch.mm(d_pre[first].t(), h0)  # (G*H, H)
    if steps > 1:
        d_rest, h_rest = (d_pre[:-1], hs[1:]) if reverse else (d_pre[1:], hs[:-1])
        # (h_rest^T d_rest)^T: oneDNN is fastest with the long T*N axis inner on both sides.
        grad += mm_t(h_rest.reshape(-1, hsz).t(), d_rest.reshape(-1, gh).t()).t()
    return grad


class Projection(torch.autograd.Function):
    """(x (..., D), w (G*H, D), bias (G*H,) or None) -> x @ w.T + bias (..., G*H), every step at once."""

    @staticmethod
    def forward(ctx, x, w, bias):
        flat = x.reshape(-1, x.shape[-1])  # (T*N, D)
        ctx.save_for_backward(flat, w)
        ctx.x_shape = x.shape
        return mm_t(flat, w, bias).view(*x.shape[:-1], w.shape[0])

    @staticmethod
    @_first_order_only
    def backward(ctx, d_out):
        flat, w = ctx.saved_tensors
        need_x, need_w, need_b = ctx.needs_input_grad
        d = d_out.reshape(-1, w.shape[0])  # (T*N, G*H)
        d_x = mm_t(d, w.t()).view(ctx.x_shape) if need_x else None  # d @ W
        d_w = mm_t(flat.t(), d.t()).t() if need_w else None  # (x^T d)^T = d^T x
        d_b = d.sum(0) if need_b else None
        return d_x, d_w, d_b


def project(x: Tensor, w_ih: Tensor, bias: Tensor | None) -> Tensor:
    """The input projection of every step, x (T, N, D) -> (T, N, G*H), with a written-out backward."""
    return Projection.apply(x, w_ih, bias)


def _lstm_activations(gates: Tensor, out: Tensor, hsz: int) -> None:
    """out (N, 4H) = sigmoid of the i, f, o blocks of gates (N, 4H) and tanh of the g block.

    On a CPU the g block of ``gates`` is doubled in place and one sigmoid covers all four
    blocks (tanh(z) = 2 sigmoid(2z) - 1, see :mod:`lstmlab.torch.products`).
    """
    g = slice(2 * hsz, 3 * hsz)
    if tanh_by_sigmoid(gates):
        gates[:, g].mul_(2)
        torch.sigmoid(gates, out=out)
        out[:, g].mul_(2).sub_(1)
    else:
        torch.sigmoid(gates, out=out)
        torch.tanh(gates[:, g], out=out[:, g])


class LSTMScan(torch.autograd.Function):
    """(gx (T, N, 4H), h0, c0 (N, H), w_hh (4H, H), reverse, grads) -> hs (T, N, H), h_T, c_T.

    grads: whether a backward can follow (else the forward keeps nothing for it).
    """

    @staticmethod
    def forward(ctx, gx, h0, c0, w_hh, reverse, grads):
        steps, n, g4 = gx.shape
        hsz = g4 // 4
        a = gx.new_empty(n, g4)  # i, f, g, o of the current step
        fs = gx.new_empty(steps, n, hsz) if grads else None  # f of every step, for dc_{t-1} = f dc_t
        # For the backward, per step: local (N, 4H) turns (dc, dc, dc, dh) into the gates'
        # gradients, dc_from_h (N, H) = o (1 - tanh(c)^2) turns dh into dc.  Each is built
        # from products the step computes anyway, one fused multiply-add per block:
        # s (1 - s) = s - s * s for a sigmoid s, 1 - g^2 for the tanh.
        local = torch.empty_like(gx) if grads else None
        dc_from_h = gx.new_empty(steps, n, hsz) if grads else None
        hs = gx.new_empty(steps, n, hsz)
        c_bufs = (gx.new_empty(n, hsz), gx.new_empty(n, hsz))  # c_t alternates between two buffers
        tc, ig, fc = (gx.new_empty(n, hsz) for _ in range(3))  # tanh(c_t), i g, f c_{t-1}
        recurrent = RepeatedWeight(w_hh, n)
        # Per-step views made once, before the loop, so the loop body is only the arithmetic.
        i, f, g, o = a.chunk(4, dim=1)
        gx_t, hs_t = gx.unbind(0), hs.unbind(0)
        if grads:
            fs_t, dch_t = fs.unbind(0), dc_from_h.unbind(0)
            li_t, lf_t, lg_t, lo_t = (blk.unbind(0) for blk in local.view(steps, n, 4, hsz).unbind(2))
        h, c = h0, c0
        for k, t in enumerate(_order(steps, reverse)):
            _lstm_activations(recurrent.times(h, add=gx_t[t]), a, hsz)
            torch.mul(i, g, out=ig)
            torch.mul(f, c, out=fc)
            c = torch.add(fc, ig, out=c_bufs[k % 2])  # c_t = f c_{t-1} + i g
            tanh_into(c, tc)
            h = torch.mul(o, tc, out=hs_t[t])  # h_t = o tanh(c_t)
            if grads:
                fs_t[t].copy_(f)
                torch.addcmul(ig, ig, i, value=-1, out=li_t[t])  # d c / d i-pre = g i (1 - i)
                torch.addcmul(fc, fc, f, value=-1, out=lf_t[t])  # d c / d f-pre = c_{t-1} f (1 - f)
                torch.addcmul(i, ig, g, value=-1, out=lg_t[t])  # d c / d g-pre = i (1 - g^2)
                torch.addcmul(h, h, o, value=-1, out=lo_t[t])  # d h / d o-pre = tanh(c) o (1 - o)
                torch.addcmul(o, h, tc, value=-1, out=dch_t[t])  # d h / d c = o (1 - tanh(c)^2)
        ctx.reverse = reverse
        if grads:
            ctx.save_for_backward(h0, w_hh, fs, local, dc_from_h, hs)
        return hs, h.clone(), c.clone()

    @staticmethod
    @_first_order_only
    def backward(ctx, d_hs, d_h, d_c):
        h0, w_hh, f, local, dc_from_h, hs = ctx.saved_tensors
        reverse = ctx.reverse
        steps, n, hsz = hs.shape
        back = RepeatedWeight(w_hh.t(), n)  # d h_{t-1} = d gates @ W_hh
        d_gates = torch.empty_like(local)
        # Per-step views made once, before the loop: blocks i, f, g, o of local and d_gates.
        l_t = [blk.unbind(0) for blk in local.view(steps, n, 4, hsz).unbind(2)]
        d_t = [blk.unbind(0) for blk in d_gates.view(steps, n, 4, hsz).unbind(2)]
        d_gates_t, d_hs_t, f_t, dch_t = d_gates.unbind(0), d_hs.unbind(0), f.unbind(0), dc_from_h.unbind(0)
        order = list(_order(steps, reverse))[::-1]  # the backward visits steps in reverse
        dh = d_hs_t[order[0]] + d_h
        dc = d_c.clone(memory_format=torch.contiguous_format)
        for k, t in enumerate(order):
            dc.addcmul_(dh, dch_t[t])
            for block in range(3):  # i, f, g from dc
                torch.mul(l_t[block][t], dc, out=d_t[block][t])
            torch.mul(l_t[3][t], dh, out=d_t[3][t])  # o from dh
            dc.mul_(f_t[t])
            dh = back.times(d_gates_t[t], add=d_hs_t[order[k + 1]] if k + 1 < steps else None)
        return d_gates, dh, dc, _hidden_weight_grad(d_gates, hs, h0, reverse), None, None


class RNNScan(torch.autograd.Function):
    """(gx (T, N, H), h0 (N, H), w_hh (H, H), relu, reverse) -> hs (T, N, H), h_T."""

    @staticmethod
    def forward(ctx, gx, h0, w_hh, relu, reverse):
        steps, n, _ = gx.shape
        hs = torch.empty_like(gx)
        recurrent = RepeatedWeight(w_hh, n)
        h = h0
        for t in _order(steps, reverse):
            pre = recurrent.times(h, add=gx[t])
            h = torch.clamp_min(pre, 0, out=hs[t]) if relu else tanh_into(pre, hs[t])
        ctx.relu, ctx.reverse = relu, reverse
        ctx.save_for_backward(h0, w_hh, hs)
        return hs, h.clone()

    @staticmethod
    @_first_order_only
    def backward(ctx, d_hs, d_h):
        h0, w_hh, hs = ctx.saved_tensors
        reverse = ctx.reverse
        steps, n, _ = hs.shape
        local = (hs > 0).to(hs.dtype) if ctx.relu else 1 - hs * hs  # act'(pre) from the output
        back = RepeatedWeight(w_hh.t(), n)
        d_pre = torch.empty_like(hs)
        order = list(_order(steps, reverse))[::-1]
        dh = d_hs[order[0]] + d_h
        for k, t in enumerate(order):
            torch.mul(dh, local[t], out=d_pre[t])
            dh = back.times(d_pre[t], add=d_hs[order[k + 1]] if k + 1 < steps else None)
        return d_pre, dh, _hidden_weight_grad(d_pre, hs, h0, reverse), None, None


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
        recurrent = RepeatedWeight(w_hh, n)
        h = h0
        for t in _order(steps, reverse):
            gh = recurrent.times(h, bias=b_hh)  # (N, 3H)
            torch.sigmoid(gh[:, :2 * hsz].add_(gx[t, :, :2 * hsz]), out=rz[t])
            gh_n[t] = gh[:, 2 * hsz:]
            tanh_into(torch.addcmul(gx[t, :, 2 * hsz:], rz[t, :, :hsz], gh_n[t]), cand[t])
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
        h_prev = torch.cat([hs[1:], h0.unsqueeze(0)]) if reverse else torch.cat([h0.unsqueeze(0), hs[:-1]])
        # Local derivatives for all steps at once; per step they multiply dh (or d pre_n).
        to_pre_n = (1 - z) * (1 - cand * cand)  # dh -> d(pre-activation of n)
        to_pre_z = (h_prev - cand) * z * (1 - z)  # dh -> d(pre-activation of z)
        to_pre_r = gh_n * r * (1 - r)  # d pre_n -> d(pre-activation of r)
        back = RepeatedWeight(w_hh.t(), n)
        d_gh = hs.new_empty(steps, n, 3 * hsz)  # d(W_hh h + b_hh): r, z, r * d pre_n
        d_pre_n = torch.empty_like(hs)
        order = list(_order(steps, reverse))[::-1]
        dh = d_hs[order[0]] + d_h
        for k, t in enumerate(order):
            torch.mul(dh, to_pre_n[t], out=d_pre_n[t])
            torch.mul(dh, to_pre_z[t], out=d_gh[t, :, hsz:2 * hsz])
            torch.mul(d_pre_n[t], to_pre_r[t], out=d_gh[t, :, :hsz])
            torch.mul(d_pre_n[t], r[t], out=d_gh[t, :, 2 * hsz:])
            direct = dh * z[t] if k + 1 == steps else torch.addcmul(d_hs[order[k + 1]], dh, z[t])
            dh = back.times(d_gh[t], add=direct)
        d_gx = torch.cat([d_gh[..., :2 * hsz], d_pre_n], dim=2)
        d_b_hh = d_gh.view(-1, 3 * hsz).sum(0) if ctx.has_bias else None
        return d_gx, dh, _hidden_weight_grad(d_gh, hs, h0, reverse), d_b_hh, None


def scan(kind: str, gx: Tensor, state: tuple, params: list[Tensor], reverse: bool, options: dict):
    """One layer and direction over a padded (T, N, G*H) sequence; see the module docstring."""
    w_hh = params[1]
    if kind == "LSTM":
        grads = torch.is_grad_enabled() and any(t.requires_grad for t in (gx, *state, w_hh))
        hs, h, c = LSTMScan.apply(gx, state[0], state[1], w_hh, reverse, grads)
        return hs, (h, c)
    if kind == "GRU":
        b_hh = params[3] if options["bias"] else None
        hs, h = GRUScan.apply(gx, state[0], w_hh, b_hh, reverse)
        return hs, (h,)
    hs, h = RNNScan.apply(gx, state[0], w_hh, options["relu"], reverse)
    return hs, (h,)
