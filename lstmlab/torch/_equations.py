"""The recurrences of the three cells, written with ordinary tensor operations.

Shapes: N batch, H hidden size, G gates (RNN 1, GRU 3, LSTM 4).  Every function
takes the input projection ``gx = x @ W_ih.T + b_ih`` already computed, because
the sequence modules compute it for all time steps with one matrix product and
the cells compute it for one.  Autograd differentiates these functions; nothing
here calls torch's fused RNN kernels (``torch._VF``, cuDNN).

The LSTM and RNN also take the hidden bias already folded into ``gx``: both biases
add to the same pre-activation there, so ``gx = x @ W_ih.T + (b_ih + b_hh)`` saves
one addition per step and autograd still gives each bias its own (equal) gradient.
The GRU cannot fold ``b_hh``: its candidate gate multiplies ``W_hn h + b_hn`` by r.
"""

from __future__ import annotations

import torch
from torch import Tensor


def rnn_step(gx: Tensor, h: Tensor, w_hh: Tensor, relu: bool) -> Tensor:
    """One Elman step ``h' = act(gx + h @ W_hh.T)``.

    gx (N, H) with both biases folded in, h (N, H), w_hh (H, H) -> h' (N, H).
    """
    pre = torch.addmm(gx, h, w_hh.t())  # (N, H)
    return torch.relu(pre) if relu else torch.tanh(pre)


def lstm_step(gx: Tensor, h: Tensor, c: Tensor, w_hh: Tensor) -> tuple[Tensor, Tensor]:
    """One LSTM step, gate order i, f, g, o (torch.nn's).

    gx (N, 4H) with both biases folded in, h (N, P), c (N, H), w_hh (4H, P) -> h', c' (N, H);
    P = H, except in an LSTM with a projection, whose module maps h' to P columns after the step.
    """
    hsz = c.shape[1]  # H (h has P columns with a projection)
    gates = torch.addmm(gx, h, w_hh.t())  # (N, 4H): one product for all four gates
    # One sigmoid over all four blocks (g's is computed and thrown away): a single kernel
    # and autograd node is cheaper than three on (N, H) slices.
    i, f, _, o = torch.sigmoid(gates).chunk(4, dim=1)  # each (N, H)
    g = torch.tanh(gates[:, 2 * hsz : 3 * hsz])  # (N, H)
    c_new = torch.addcmul(f * c, i, g)  # f*c + i*g
    h_new = o * torch.tanh(c_new)
    return h_new, c_new


def gru_step(gx: Tensor, h: Tensor, w_hh: Tensor, b_hh: Tensor | None) -> Tensor:
    """One GRU step, gate order r, z, n (torch.nn's).

    ``n = tanh(gx_n + r * (W_hn h + b_hn))``, ``h' = (1 - z) * n + z * h``.
    gx (N, 3H) = x @ W_ih.T + b_ih, h (N, H), w_hh (3H, H), b_hh (3H,) or None -> h' (N, H).
    """
    if b_hh is None:
        gh = torch.mm(h, w_hh.t())  # (N, 3H)
    else:
        gh = torch.addmm(b_hh, h, w_hh.t())  # (N, 3H)
    hsz = h.shape[1]
    # r and z are adjacent blocks: one addition and one sigmoid for both.
    r, z = torch.sigmoid(gx[:, : 2 * hsz] + gh[:, : 2 * hsz]).chunk(2, dim=1)  # each (N, H)
    n = torch.tanh(torch.addcmul(gx[:, 2 * hsz :], r, gh[:, 2 * hsz :]))  # x_n + r * h_n
    # (1 - z) * n + z * h = n + z * (h - n): one lerp.
    return torch.lerp(n, h, z)


def input_projection(x: Tensor, w_ih: Tensor, bias: Tensor | None) -> Tensor:
    """``x @ W_ih.T + bias`` for every leading index at once: x (..., D) -> (..., G*H)."""
    if bias is None:
        return torch.matmul(x, w_ih.t())
    if x.dim() == 2:
        return torch.addmm(bias, x, w_ih.t())
    # One (T*N, D) x (D, G*H) product instead of T small ones.
    flat = torch.addmm(bias, x.reshape(-1, x.shape[-1]), w_ih.t())
    return flat.view(*x.shape[:-1], w_ih.shape[0])
