"""Known-wrong implementations, used to name a learner's mistake and to carry credit forward.

When a learner's output differs from the reference, the checks recompute the output with
each typical mistake switched on (flags below) and, if one matches, say so.  The forward
functions take the same arguments as ``lstmlab.numpy``'s; the flags switch on one mistake
each, so that with no flags they reproduce the reference (tested in tests/grading/).

The forward flags are kept in the cache, and the backward functions with no flags of their
own return the *exact* gradient of whatever forward made the cache: the gradient of the
learner's mistaken forward, which error-carried-forward credit compares a backward with.

Each flag has one name and one type wherever it appears:

* forward: ``stale_h`` / ``stale_c`` (bool, every step starts from h0 / c0), ``drop_bias``
  (``None``, ``"b_ih"`` or ``"b_hh"``: that bias is left out), ``hs_before`` (bool, the
  stored states are the ones *before* each step), ``no_tanh`` (RNN, bool), ``order``,
  ``tanh_c``, ``g_act`` (LSTM);
* backward: ``carry_h`` / ``carry_c`` (bool, the gradient from step t+1 is added),
  ``dh_prev`` (``"W_hh"`` right, ``"zero"``, ``"da"`` no ``@ W_hh``), ``dc_prev`` (LSTM:
  ``"dc * f"`` right, ``"zero"``), ``tanh_grad``
  (``"1 - h**2"`` right, ``"missing"``, ``"1 + h**2"``, ``"1 - h"``), ``sigmoid_grad``
  (``"s * (1 - s)"`` right, ``"s * s"``), ``sum_weights``, ``only_last`` and the LSTM's own.

Shapes: T steps, N batch, D input, H hidden; x (T, N, D), time-major.
"""

from __future__ import annotations

import numpy as np

TANH_GRADS = ("1 - h**2", "missing", "1 + h**2", "1 - h")
SIGMOID_GRADS = ("s * (1 - s)", "s * s")
DH_PREVS = ("W_hh", "zero", "da")
DC_PREVS = ("dc * f", "zero")


def _sigmoid(a):
    e = np.exp(-np.abs(a))
    return np.where(a >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def _choice(value, allowed, fn, arg):
    if value not in allowed:
        raise ValueError(f"{fn}: {arg} must be one of {allowed}, got {value!r}. "
                         f"Hint: {allowed[0]!r} is the right one.")
    return value


def _tanh_local(t, how):
    """d tanh(a)/da written the learner's way, from t = tanh(a)."""
    return {"1 - h**2": lambda: 1.0 - t * t, "missing": lambda: 1.0, "1 + h**2": lambda: 1.0 + t * t,
            "1 - h": lambda: 1.0 - t}[how]()


def _sigmoid_local(s, how):
    return s * (1.0 - s) if how == "s * (1 - s)" else s * s


def _biases(b_ih, b_hh, drop_bias):
    if drop_bias not in (None, "b_ih", "b_hh"):
        raise ValueError(f"drop_bias must be None, 'b_ih' or 'b_hh', got {drop_bias!r}.")
    zero = np.zeros_like(b_ih)
    return (zero if drop_bias == "b_ih" else b_ih), (zero if drop_bias == "b_hh" else b_hh)


def _stored(states, first, hs_before):
    """The sequence a forward returns: the states after each step, or (``hs_before``) before."""
    return np.stack([first, *states[:-1]] if hs_before else states)


def _upstream(dhs, t, T, cache, only_last):
    """Gradient arriving from the loss at the output of step t (h_t)."""
    if cache["hs_before"]:  # the returned hs[t + 1] is h_t; h_{T-1} is never returned
        s = t + 1
        return dhs[s] if s < T and (not only_last or s == T - 1) else np.zeros_like(dhs[0])
    return dhs[t] if (not only_last or t == T - 1) else np.zeros_like(dhs[0])


def _weight_grads(dW, parts, sum_weights):
    """Add (or, ``sum_weights=False``, overwrite with) one step's (dW_ih, dW_hh, db)."""
    return tuple(a + b for a, b in zip(dW, parts)) if sum_weights else parts


def _bias_grads(db, dropped):
    """(db_ih, db_hh): a bias the forward left out has gradient zero."""
    zero = np.zeros_like(db)
    return (zero if dropped == "b_ih" else db.copy()), (zero if dropped == "b_hh" else db.copy())


# ---------------------------------------------------------------------------- RNN

def rnn_forward(x, h0, W_ih, W_hh, b_ih, b_hh, *, stale_h=False, no_tanh=False, drop_bias=None,
                hs_before=False):
    """hs (T, N, H) and a cache.  ``stale_h``: every step uses h0; ``no_tanh``: linear;
    ``drop_bias``: one bias left out; ``hs_before``: hs[t] is the state before step t."""
    b_ih, b_hh = _biases(b_ih, b_hh, drop_bias)
    h, outs, h_prevs = h0, [], []
    for t in range(x.shape[0]):
        h_prev = h0 if stale_h else h
        a = x[t] @ W_ih.T + b_ih + h_prev @ W_hh.T + b_hh
        h = a if no_tanh else np.tanh(a)
        outs.append(h)
        h_prevs.append(h_prev)
    cache = {"x": x, "h_prevs": h_prevs, "hs": outs, "W_ih": W_ih, "W_hh": W_hh, "no_tanh": no_tanh,
             "stale_h": stale_h, "drop_bias": drop_bias, "hs_before": hs_before}
    return _stored(outs, h0, hs_before), cache


def rnn_backward(dhs, cache, *, carry_h=True, dh_prev="W_hh", sum_weights=True, tanh_grad="1 - h**2",
                 only_last=False):
    """Gradients (dx, dh0, dW_ih, dW_hh, db_ih, db_hh) of ``sum(dhs * hs)``.

    With no flags: the exact gradient of the forward that made ``cache``.  ``carry_h=False``:
    the gradient from step t+1 is not added at step t; ``dh_prev``: see the module doc;
    ``sum_weights=False``: weight gradients overwritten at each step (only t=0 survives);
    ``tanh_grad``: how the tanh derivative is written; ``only_last``: only ``dhs[-1]`` is used.
    """
    _choice(dh_prev, DH_PREVS, "rnn_backward", "dh_prev")
    _choice(tanh_grad, TANH_GRADS, "rnn_backward", "tanh_grad")
    x, outs, W_ih, W_hh = cache["x"], cache["hs"], cache["W_ih"], cache["W_hh"]
    T = x.shape[0]
    dx = np.zeros_like(x)
    grads = (np.zeros_like(W_ih), np.zeros_like(W_hh), np.zeros(W_hh.shape[0]))
    dh_next = np.zeros_like(outs[0])  # gradient reaching h_t through step t+1
    dh0 = np.zeros_like(outs[0])  # stale_h: every step's h_prev is h0
    for t in reversed(range(T)):
        up = _upstream(dhs, t, T, cache, only_last)
        dht = up + dh_next if carry_h else up
        da = dht * (1.0 if cache["no_tanh"] else _tanh_local(outs[t], tanh_grad))
        parts = (da.T @ x[t], da.T @ cache["h_prevs"][t], da.sum(axis=0))
        grads = _weight_grads(grads, parts, sum_weights)
        dx[t] = da @ W_ih
        back = {"W_hh": lambda: da @ W_hh, "zero": lambda: np.zeros_like(da), "da": lambda: da}[dh_prev]()
        if cache["stale_h"]:
            dh0, dh_next = dh0 + back, np.zeros_like(back)
        else:
            dh_next = back
    dh0 = dh0 + dh_next
    if cache["hs_before"] and not only_last:
        dh0 = dh0 + dhs[0]  # the returned hs[0] is h0 itself
    return (dx, dh0, grads[0], grads[1], *_bias_grads(grads[2], cache["drop_bias"]))


# ---------------------------------------------------------------------------- LSTM

def lstm_forward(x, h0, c0, W_ih, W_hh, b_ih, b_hh, *, order="ifgo", tanh_c=True, stale_h=False,
                 stale_c=False, g_act="tanh", drop_bias=None, hs_before=False):
    """hs, cs (T, N, H) and a cache.  ``order``: how the learner slices the 4H
    pre-activation (lstmlab: "ifgo"); ``tanh_c=False``: h = o * c; ``stale_h``/``stale_c``:
    every step starts from h0 / c0; ``g_act="sigmoid"``: g = sigmoid(.) instead of tanh;
    ``drop_bias``, ``hs_before``: as for the RNN (``hs_before`` shifts hs and cs)."""
    if g_act not in ("tanh", "sigmoid"):
        raise ValueError(f"lstm_forward: g_act must be 'tanh' or 'sigmoid', got {g_act!r}.")
    b_ih, b_hh = _biases(b_ih, b_hh, drop_bias)
    H = W_hh.shape[1]
    h, c, hs, cs, steps = h0, c0, [], [], []
    for t in range(x.shape[0]):
        h_prev, c_prev = (h0 if stale_h else h), (c0 if stale_c else c)
        a = x[t] @ W_ih.T + b_ih + h_prev @ W_hh.T + b_hh  # (N, 4H)
        block = {name: a[:, k * H:(k + 1) * H] for k, name in enumerate(order)}
        i, f, o = _sigmoid(block["i"]), _sigmoid(block["f"]), _sigmoid(block["o"])
        g = np.tanh(block["g"]) if g_act == "tanh" else _sigmoid(block["g"])
        c = f * c_prev + i * g
        tc = np.tanh(c) if tanh_c else c
        h = o * tc
        hs.append(h)
        cs.append(c)
        steps.append((x[t], h_prev, c_prev, i, f, g, o, tc))
    cache = {"steps": steps, "W_ih": W_ih, "W_hh": W_hh, "order": order, "tanh_c": tanh_c,
             "stale_h": stale_h, "stale_c": stale_c, "g_act": g_act, "drop_bias": drop_bias,
             "hs_before": hs_before}
    return _stored(hs, h0, hs_before), _stored(cs, c0, hs_before), cache


def lstm_backward(dhs, cache, *, dc_last=None, da_order=None, carry_h=True, dh_prev="W_hh",
                  carry_c=True, dc_prev="dc * f", use_dc=True, h_to_c=True, tanh_c_grad=True, sum_weights=True,
                  only_last=False, tanh_grad="1 - h**2", sigmoid_grad="s * (1 - s)"):
    """Gradients (dx, dh0, dc0, dW_ih, dW_hh, db_ih, db_hh) of ``sum(dhs * hs)`` (plus
    ``sum(dc_last * c_{T-1})``).

    With no flags: the exact gradient of the forward that made ``cache``.  ``dc_last``:
    gradient at the last cell state (the step backward's ``dc``); ``da_order``: order in
    which the gate gradients are concatenated (default: as sliced); ``carry_h`` /
    ``carry_c=False``: the gradient along h / c from step t+1 is dropped; ``dh_prev`` /
    ``dc_prev``: see the module doc (``"da"`` has the wrong shape for an LSTM, so ``dh_prev`` is
    ``"W_hh"`` or ``"zero"``);
    ``use_dc=False``: the ``dc`` argument is ignored; ``h_to_c=False``: the path h_t -> c_t
    through tanh is missing; ``tanh_c_grad=False``: that path lacks its tanh derivative;
    ``tanh_grad`` / ``sigmoid_grad``: how the derivatives are written; ``sum_weights`` /
    ``only_last``: as for the RNN.
    """
    _choice(dh_prev, DH_PREVS[:2], "lstm_backward", "dh_prev")
    _choice(dc_prev, DC_PREVS, "lstm_backward", "dc_prev")
    _choice(tanh_grad, TANH_GRADS, "lstm_backward", "tanh_grad")
    _choice(sigmoid_grad, SIGMOID_GRADS, "lstm_backward", "sigmoid_grad")
    steps, W_ih, W_hh = cache["steps"], cache["W_ih"], cache["W_hh"]
    T = len(steps)
    N, H = steps[0][1].shape
    dx = np.zeros((T,) + steps[0][0].shape)
    grads = (np.zeros_like(W_ih), np.zeros_like(W_hh), np.zeros(4 * H))
    zero = np.zeros((N, H))
    dh_next, dh0, dc0 = zero, zero, zero
    dc_next = dc_last if (dc_last is not None and use_dc) else zero
    for t in reversed(range(T)):
        xt, hp, cp, i, f, g, o, tc = steps[t]
        dc_in = dc_next if (carry_c or t == T - 1) else zero  # the last step gets dc_last
        dht = _upstream(dhs, t, T, cache, only_last) + (dh_next if carry_h else 0.0)
        if h_to_c:
            local = _tanh_local(tc, tanh_grad if tanh_c_grad else "missing") if cache["tanh_c"] else 1.0
            dct = dc_in + dht * o * local
        else:
            dct = dc_in
        dg_local = _tanh_local(g, tanh_grad) if cache["g_act"] == "tanh" else _sigmoid_local(g, sigmoid_grad)
        gate = {"i": dct * g * _sigmoid_local(i, sigmoid_grad), "f": dct * cp * _sigmoid_local(f, sigmoid_grad),
                "g": dct * i * dg_local, "o": dht * tc * _sigmoid_local(o, sigmoid_grad)}
        da = np.concatenate([gate[name] for name in (da_order or cache["order"])], axis=1)  # (N, 4H)
        grads = _weight_grads(grads, (da.T @ xt, da.T @ hp, da.sum(axis=0)), sum_weights)
        dx[t] = da @ W_ih
        back_h = da @ W_hh if dh_prev == "W_hh" else zero
        back_c = dct * f if dc_prev == "dc * f" else zero
        if cache["stale_h"]:
            dh0, dh_next = dh0 + back_h, zero
        else:
            dh_next = back_h
        if cache["stale_c"]:
            dc0, dc_next = dc0 + back_c, zero
        else:
            dc_next = back_c
    dh0, dc0 = dh0 + dh_next, dc0 + dc_next
    if cache["hs_before"] and not only_last:
        dh0 = dh0 + dhs[0]
    return (dx, dh0, dc0, grads[0], grads[1], *_bias_grads(grads[2], cache["drop_bias"]))
