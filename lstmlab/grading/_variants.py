"""Known-wrong implementations, used to name a learner's mistake.

When a learner's output differs from the reference, the checks recompute the output with
each typical mistake switched on (flags below) and, if one matches, say so.  The forward
functions take the same arguments as ``lstmlab.numpy``'s; the flags switch on one mistake
each, so that with no flags they reproduce the reference (tested in tests/grading/).

Shapes: T steps, N batch, D input, H hidden; x (T, N, D), time-major.
"""

from __future__ import annotations

import numpy as np


def _sigmoid(a):
    e = np.exp(-np.abs(a))
    return np.where(a >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


# ---------------------------------------------------------------------------- RNN

def rnn_forward(x, h0, W_ih, W_hh, b_ih, b_hh, *, stale_h=False, no_tanh=False):
    """hs (T, N, H) and a cache.  ``stale_h``: every step uses h0; ``no_tanh``: linear."""
    h, hs, h_prevs = h0, [], []
    for t in range(x.shape[0]):
        h_prev = h0 if stale_h else h
        a = x[t] @ W_ih.T + b_ih + h_prev @ W_hh.T + b_hh
        h = a if no_tanh else np.tanh(a)
        hs.append(h)
        h_prevs.append(h_prev)
    return np.stack(hs), {"x": x, "h_prevs": h_prevs, "hs": hs, "W_ih": W_ih, "W_hh": W_hh}


def rnn_backward(dhs, cache, *, carry=True, dh_prev="W_hh", sum_weights=True, tanh_grad=True,
                 only_last=False):
    """Gradients (dx, dh0, dW_ih, dW_hh, db_ih, db_hh).

    ``carry=False``: the gradient from step t+1 is not added at step t; ``dh_prev="none"``
    or ``"da"``: dh_prev is zero or lacks the ``@ W_hh``; ``sum_weights=False``: weight
    gradients overwritten at each step (only t=0 survives); ``tanh_grad=False``: no
    ``1 - h**2``; ``only_last``: only ``dhs[-1]`` is used.
    """
    x, hs, W_ih, W_hh = cache["x"], cache["hs"], cache["W_ih"], cache["W_hh"]
    T = x.shape[0]
    dx = np.zeros_like(x)
    dW_ih, dW_hh = np.zeros_like(W_ih), np.zeros_like(W_hh)
    db = np.zeros(W_hh.shape[0])
    dh = np.zeros_like(hs[0])
    for t in reversed(range(T)):
        up = dhs[t] if (not only_last or t == T - 1) else np.zeros_like(dh)
        dht = up + dh if carry else up
        da = dht * (1.0 - hs[t] * hs[t]) if tanh_grad else dht
        parts = (da.T @ x[t], da.T @ cache["h_prevs"][t], da.sum(axis=0))
        if sum_weights:
            dW_ih, dW_hh, db = dW_ih + parts[0], dW_hh + parts[1], db + parts[2]
        else:
            dW_ih, dW_hh, db = parts
        dx[t] = da @ W_ih
        dh = {"W_hh": lambda: da @ W_hh, "none": lambda: np.zeros_like(da), "da": lambda: da}[dh_prev]()
    return dx, dh, dW_ih, dW_hh, db, db.copy()


# ---------------------------------------------------------------------------- LSTM

def lstm_forward(x, h0, c0, W_ih, W_hh, b_ih, b_hh, *, order="ifgo", tanh_c=True,
                 stale_h=False, stale_c=False):
    """hs, cs (T, N, H) and a cache.  ``order``: how the learner slices the 4H
    pre-activation (lstmlab: "ifgo"); ``tanh_c=False``: h = o * c; ``stale_h``/``stale_c``:
    every step starts from h0 / c0."""
    H = W_hh.shape[1]
    h, c, hs, cs, steps = h0, c0, [], [], []
    for t in range(x.shape[0]):
        h_prev, c_prev = (h0 if stale_h else h), (c0 if stale_c else c)
        a = x[t] @ W_ih.T + b_ih + h_prev @ W_hh.T + b_hh  # (N, 4H)
        block = {name: a[:, k * H:(k + 1) * H] for k, name in enumerate(order)}
        i, f, o = _sigmoid(block["i"]), _sigmoid(block["f"]), _sigmoid(block["o"])
        g = np.tanh(block["g"])
        c = f * c_prev + i * g
        tc = np.tanh(c) if tanh_c else c
        h = o * tc
        hs.append(h)
        cs.append(c)
        steps.append((x[t], h_prev, c_prev, i, f, g, o, tc))
    cache = {"steps": steps, "W_ih": W_ih, "W_hh": W_hh, "order": order, "tanh_c": tanh_c}
    return np.stack(hs), np.stack(cs), cache


def lstm_backward(dhs, cache, *, dc_last=None, da_order=None, carry_h=True, dh_prev=True,
                  carry_c=True, use_dc=True, h_to_c=True, tanh_c_grad=True, sum_weights=True,
                  only_last=False):
    """Gradients (dx, dh0, dc0, dW_ih, dW_hh, db_ih, db_hh).

    ``dc_last``: gradient at the last cell state (the step backward's ``dc``);
    ``da_order``: order in which the gate gradients are concatenated (default: as sliced);
    ``carry_h``/``carry_c=False``: the gradient along h / c from step t+1 is dropped;
    ``dh_prev=False``: dh_prev = 0; ``use_dc=False``: the ``dc`` argument is ignored;
    ``h_to_c=False``: the path h_t -> c_t through tanh is missing; ``tanh_c_grad=False``:
    that path lacks ``1 - tanh(c)**2``; ``sum_weights`` / ``only_last``: as for the RNN.
    """
    steps, W_ih, W_hh = cache["steps"], cache["W_ih"], cache["W_hh"]
    order = cache["order"]
    T = len(steps)
    N, H = steps[0][1].shape
    dx = np.zeros((T,) + steps[0][0].shape)
    dW_ih, dW_hh, db = np.zeros_like(W_ih), np.zeros_like(W_hh), np.zeros(4 * H)
    dh = np.zeros((N, H))
    dc = dc_last if (dc_last is not None and use_dc) else np.zeros((N, H))
    for t in reversed(range(T)):
        xt, hp, cp, i, f, g, o, tc = steps[t]
        up = dhs[t] if (not only_last or t == T - 1) else np.zeros((N, H))
        dht = up + dh if carry_h else up
        if h_to_c:
            local = (1.0 - tc * tc) if (cache["tanh_c"] and tanh_c_grad) else 1.0
            dct = dc + dht * o * local
        else:
            dct = dc
        grads = {"i": dct * g * i * (1 - i), "f": dct * cp * f * (1 - f),
                 "g": dct * i * (1 - g * g), "o": dht * tc * o * (1 - o)}
        da = np.concatenate([grads[name] for name in (da_order or order)], axis=1)  # (N, 4H)
        parts = (da.T @ xt, da.T @ hp, da.sum(axis=0))
        if sum_weights:
            dW_ih, dW_hh, db = dW_ih + parts[0], dW_hh + parts[1], db + parts[2]
        else:
            dW_ih, dW_hh, db = parts
        dx[t] = da @ W_ih
        dh = da @ W_hh if dh_prev else np.zeros((N, H))
        dc = dct * f if carry_c else np.zeros((N, H))
    return dx, dh, dc, dW_ih, dW_hh, db, db.copy()
