"""Checks for the RNN and LSTM forward and backward passes (steps and whole sequences).

Every check runs the learner's function on several cases -- fixed values, random values
(``seed``), N=1, T=1, T=N (where a batch-major loop still gives the right shapes) and large
inputs that saturate the activations -- and compares with ``lstmlab.numpy`` in float64.
Backward checks call the learner's own forward to get the cache their backward expects;
the forward must pass first.
"""

from __future__ import annotations

import itertools

import numpy as np

from . import _variants
from ._check import Case, Check
from ._reference import ref

_GATES = "ifgo"


class _Kind:
    """What differs between the four layers: arguments, outputs and shapes."""

    def __init__(self, name, G, step, state_names, forward_out, backward_out):
        self.name, self.G, self.step = name, G, step
        self.state_names = state_names  # ("h_prev",) / ("h_prev", "c_prev") / ("h0", "c0")
        self.forward_out, self.backward_out = forward_out, backward_out

    @property
    def lstm(self):
        return self.G == 4

    @property
    def forward_name(self):
        return f"{self.name}_forward"

    @property
    def backward_name(self):
        return f"{self.name}_backward"

    def upstream_names(self):
        """Names of the upstream gradients the backward takes before the cache."""
        if self.step:
            return ("dh", "dc") if self.lstm else ("dh",)
        return ("dhs",)

    def dims(self, name):
        g = "4H" if self.lstm else "H"
        x = ("N", "D") if self.step else ("T", "N", "D")
        seq = ("N", "H") if self.step else ("T", "N", "H")
        table = {"h": seq, "c": seq, "hs": seq, "cs": seq, "dx": x, "dW_ih": (g, "D"), "dW_hh": (g, "H"),
                 "db_ih": (g,), "db_hh": (g,)}
        return table.get(name, ("N", "H"))  # dh_prev, dc_prev, dh0, dc0


KINDS = {
    "rnn_step": _Kind("rnn_step", 1, True, ("h_prev",), ("h",),
                      ("dx", "dh_prev", "dW_ih", "dW_hh", "db_ih", "db_hh")),
    "rnn": _Kind("rnn", 1, False, ("h0",), ("hs",), ("dx", "dh0", "dW_ih", "dW_hh", "db_ih", "db_hh")),
    "lstm_step": _Kind("lstm_step", 4, True, ("h_prev", "c_prev"), ("h", "c"),
                       ("dx", "dh_prev", "dc_prev", "dW_ih", "dW_hh", "db_ih", "db_hh")),
    "lstm": _Kind("lstm", 4, False, ("h0", "c0"), ("hs", "cs"),
                  ("dx", "dh0", "dc0", "dW_ih", "dW_hh", "db_ih", "db_hh")),
}


# ------------------------------------------------------------------------------- cases

def _cases(kind: _Kind, seed: int) -> list[Case]:
    rng = np.random.default_rng(seed)
    sizes = [
        ("fixed values", dict(T=2, N=2, D=3, H=2), "fixed", 1.0),
        (f"random, seed {seed}", dict(T=4 + seed % 3, N=3, D=4, H=5 + seed % 2), "random", 1.0),
        ("T = N", dict(T=3, N=3, D=2, H=3), "random", 1.0),
        ("N=1", dict(T=4, N=1, D=3, H=5), "random", 1.0),
        ("T=1", dict(T=1, N=3, D=2, H=4), "random", 1.0),
        ("large inputs", dict(T=3, N=2, D=3, H=4), "random", 10000.0),
    ]
    cases = []
    for label, s, how, scale in sizes:
        if kind.step and label in ("T = N", "T=1"):
            continue
        T, N, D, H = s["T"], s["N"], s["D"], s["H"]
        GH = kind.G * H
        if kind.step:
            s = dict(N=N, D=D, H=H)
        if how == "fixed":  # smooth, asymmetric values: every gate and weight distinct
            def make(*shape, offset):
                n = int(np.prod(shape))
                return 0.5 * np.sin(1.3 * np.arange(n) + offset).reshape(shape)
        else:
            def make(*shape, offset):
                return rng.uniform(-1.0, 1.0, size=shape) / np.sqrt(max(shape[-1], 1))
        x = make(*((N, D) if kind.step else (T, N, D)), offset=0.1) * scale
        arrays = {"x": x}
        for k, name in enumerate(kind.state_names):
            arrays[name] = make(N, H, offset=1.0 + k)
        arrays.update(W_ih=make(GH, D, offset=2.0), W_hh=make(GH, H, offset=3.0),
                      b_ih=make(GH, offset=4.0), b_hh=make(GH, offset=5.0))
        up_shape = (N, H) if kind.step else (T, N, H)
        upstream = {name: rng.standard_normal(up_shape) if kind.step or name == "dhs" else None
                    for name in kind.upstream_names()}
        cases.append(Case(label, s, **arrays, **{f"up_{k}": v for k, v in upstream.items()}))
    return cases


def _args(kind: _Kind, case: Case) -> tuple:
    a = case.arrays
    return (a["x"], *(a[n] for n in kind.state_names), a["W_ih"], a["W_hh"], a["b_ih"], a["b_hh"])


def _upstream(kind: _Kind, case: Case) -> tuple:
    return tuple(case.arrays[f"up_{n}"] for n in kind.upstream_names())


# ---------------------------------------------------------------------- reference side

def _reference_forward(kind: _Kind, args) -> dict:
    out = getattr(ref, kind.forward_name)(*args)
    return dict(zip(kind.forward_out, out))


def _reference_backward(kind: _Kind, args, upstream) -> dict:
    out = getattr(ref, kind.forward_name)(*args)
    grads = getattr(ref, kind.backward_name)(*upstream, out[-1])
    return dict(zip(kind.backward_out, grads))


def _as_sequence(kind: _Kind, args):
    """Step arguments -> sequence arguments with T = 1 (the variants work on sequences)."""
    if not kind.step:
        return args
    return (args[0][None], *args[1:])


def _variant_forward(kind: _Kind, args, **flags) -> dict:
    seq = _as_sequence(kind, args)
    if kind.lstm:
        hs, cs, _ = _variants.lstm_forward(*seq, **flags)
        outs = (hs, cs)
    else:
        outs = (_variants.rnn_forward(*seq, **flags)[0],)
    if kind.step:
        outs = tuple(o[0] for o in outs)
    return dict(zip(kind.forward_out, outs))


def _variant_backward(kind: _Kind, args, upstream, **flags) -> dict:
    seq = _as_sequence(kind, args)
    if kind.lstm:
        _, _, cache = _variants.lstm_forward(*seq)
        dhs = upstream[0][None] if kind.step else upstream[0]
        if kind.step:
            flags.setdefault("dc_last", upstream[1])
        grads = _variants.lstm_backward(dhs, cache, **flags)
    else:
        _, cache = _variants.rnn_forward(*seq)
        grads = _variants.rnn_backward(upstream[0][None] if kind.step else upstream[0], cache, **flags)
    if kind.step:
        grads = (grads[0][0], *grads[1:])
    return dict(zip(kind.backward_out, grads))


def _with(args, kind, **replace):
    names = ("x", *kind.state_names, "W_ih", "W_hh", "b_ih", "b_hh")
    return tuple(replace.get(n, a) for n, a in zip(names, args))


def _forward_variants(kind: _Kind, args):
    """[(hint, outputs)] for typical forward mistakes."""
    out = []
    x = args[0]
    zeros_b = np.zeros_like(args[-1])
    out.append(("both biases are added: a = x @ W_ih.T + b_ih + h @ W_hh.T + b_hh (b_hh is missing).",
                _variant_forward(kind, _with(args, kind, b_hh=zeros_b))))
    out.append(("both biases are added: a = x @ W_ih.T + b_ih + h @ W_hh.T + b_hh (b_ih is missing).",
                _variant_forward(kind, _with(args, kind, b_ih=zeros_b))))
    if kind.lstm:
        for order in itertools.permutations(_GATES):
            order = "".join(order)
            if order == _GATES:
                continue
            extra = " (i, f, o, g is the order some other courses use)" if order == "ifog" else ""
            out.append((
                f"gate order: your code slices the pre-activation as {', '.join(order)}{extra}; lstmlab, "
                "like torch.nn.LSTM, uses i, f, g, o: i = a[:, :H], f = a[:, H:2H], g = a[:, 2H:3H], "
                "o = a[:, 3H:].", _variant_forward(kind, args, order=order)))
        out.append(("the hidden state is h = o * tanh(c): the tanh on the cell state is missing.",
                    _variant_forward(kind, args, tanh_c=False)))
    else:
        out.append(("the new hidden state is the tanh of the pre-activation: the tanh is missing.",
                    _variant_forward(kind, args, no_tanh=True)))
    if not kind.step:
        out.append(("each step must start from the previous step's hidden state; yours starts every step "
                    "from h0 (update h inside the loop).", _variant_forward(kind, args, stale_h=True)))
        if kind.lstm:
            out.append(("each step must start from the previous step's cell state; yours starts every "
                        "step from c0 (update c inside the loop).", _variant_forward(kind, args, stale_c=True)))
        if x.shape[0] == x.shape[1]:
            swapped = (x.transpose(1, 0, 2), *args[1:])
            bm = _variant_forward(kind, swapped)
            hint = ("your loop runs over axis 1 of x (batch-major); lstmlab is time-major: x is (T, N, D) "
                    "and x[t] is the whole batch at step t.")
            out.append((hint, {k: v.transpose(1, 0, 2) for k, v in bm.items()}))
            out.append((hint, bm))
    return out


def _backward_variants(kind: _Kind, args, upstream):
    out = []
    carried = "dh_prev" if kind.step else "dh0"
    if kind.lstm:
        for order in itertools.permutations(_GATES):
            order = "".join(order)
            if order != _GATES:
                out.append((
                    f"your gate gradients are concatenated as {', '.join(order)}, but the forward "
                    "slices a as i, f, g, o: da must follow the same order (np.concatenate([di, df, dg, do], axis=1)).",
                    _variant_backward(kind, args, upstream, da_order=order)))
        if kind.step:
            out.append(("the dc argument (gradient arriving along the cell state) is ignored: the total "
                        "gradient at c is dc + dh * o * (1 - tanh(c)**2).",
                        _variant_backward(kind, args, upstream, use_dc=False)))
        out.append(("the cell state also gets gradient through h = o * tanh(c): add dh * o * (1 - tanh(c)**2) "
                    "to the gradient at c.", _variant_backward(kind, args, upstream, h_to_c=False)))
        out.append(("h = o * tanh(c), so the gradient reaching c from h is dh * o * (1 - tanh(c)**2): the factor "
                    "(1 - tanh(c)**2) is missing.", _variant_backward(kind, args, upstream, tanh_c_grad=False)))
        out.append(("the gradient carried along the cell state is dropped: the gradient at c_{t-1} is "
                    "(total gradient at c_t) * f_t, and it must be carried to the previous step "
                    f"({'dc_prev' if kind.step else 'dc0 and every earlier step'}).",
                    _variant_backward(kind, args, upstream, carry_c=False)))
        out.append((f"{carried} is da @ W_hh: h_prev enters through h_prev @ W_hh.T, so its gradient is not zero.",
                    _variant_backward(kind, args, upstream, dh_prev=False)))
    else:
        out.append(("the gradient at the pre-activation is dh * (1 - h**2): the tanh derivative is missing.",
                    _variant_backward(kind, args, upstream, tanh_grad=False)))
        out.append((f"{carried} = da @ W_hh: the W_hh factor is missing (h_prev enters through h_prev @ W_hh.T).",
                    _variant_backward(kind, args, upstream, dh_prev="da")))
        out.append((f"{carried} is da @ W_hh, not zero.", _variant_backward(kind, args, upstream, dh_prev="none")))
    if not kind.step:
        out.append(("the gradient reaching h_t is dhs[t] plus the gradient coming back from step t+1 "
                    "(da_{t+1} @ W_hh); it isn't added at each step.",
                    _variant_backward(kind, args, upstream, **({"carry_h": False} if kind.lstm else {"carry": False}))))
        out.append(("the weights and biases are shared by all steps, so their gradients are sums over t (use +=); "
                    "yours keeps only one step's contribution.",
                    _variant_backward(kind, args, upstream, sum_weights=False)))
        out.append(("the loss looks at every step: add dhs[t] at every t, not only at the last step.",
                    _variant_backward(kind, args, upstream, only_last=True)))
    return out


_GENERIC = {
    "dx": "dx[t] = da_t @ W_ih, where da_t is the gradient at the pre-activation of step t.",
    "dW_ih": "dW_ih is the sum over steps (and the batch) of da_t.T @ x_t.",
    "dW_hh": "dW_hh is the sum over steps of da_t.T @ h_{t-1} (h_{-1} = h0): it uses the previous hidden state.",
    "db_ih": "db_ih is da summed over the batch (and over time).",
    "db_hh": "db_hh equals db_ih: both biases enter the pre-activation the same way.",
}


# --------------------------------------------------------------------------- the checks

def check_forward(kind_name: str, fn, seed: int, check_name: str) -> None:
    kind = KINDS[kind_name]
    check = Check(check_name)
    for case in _cases(kind, seed):
        args = _args(kind, case)
        names = ("x", *kind.state_names, "W_ih", "W_hh", "b_ih", "b_hh")
        result = check.call(fn, args, case, kind.forward_name, names)
        outputs = check.unpack(result, (*kind.forward_out, "cache"), case, kind.forward_name)
        expected = _reference_forward(kind, args)
        for name, value in zip(kind.forward_out, outputs):
            check.array(name, value, kind.dims(name), case, kind.forward_name)
        for name, value in zip(kind.forward_out, outputs):
            check.compare(name, value, expected[name], case, kind.forward_name,
                          variants=lambda: _forward_variants(kind, args))
    check.finish()


def resolve_grads(kind_name: str, grads) -> tuple:
    names = KINDS[kind_name].backward_out
    if grads is None:
        return names
    if isinstance(grads, str):
        grads = (grads,)
    unknown = [g for g in grads if g not in names]
    if unknown or not grads:
        raise ValueError(
            f"grads: expected a tuple of gradient names from {names}, got {tuple(grads)!r}. "
            f"Hint: e.g. grads=({names[0]!r},) checks only {names[0]}.")
    return tuple(grads)


def check_backward(kind_name: str, forward, backward, seed: int, grads, check_name: str) -> None:
    kind = KINDS[kind_name]
    selected = resolve_grads(kind_name, grads)
    check = Check(check_name)
    for case in _cases(kind, seed):
        args = _args(kind, case)
        upstream = _upstream(kind, case)
        result = check.call(forward, args, case, kind.forward_name)
        outputs = check.unpack(result, (*kind.forward_out, "cache"), case, kind.forward_name)
        expected_fw = _reference_forward(kind, args)
        for name, value in zip(kind.forward_out, outputs):
            check.array(name, value, kind.dims(name), case, kind.forward_name)
            check.compare(name, value, expected_fw[name], case, kind.forward_name,
                          preface=f"{kind.backward_name} can't be checked until {kind.forward_name} is right:",
                          generic_hint=f"run the check of {kind.forward_name} for a full diagnosis.")
        result = check.call(backward, (*upstream, outputs[-1]), case, kind.backward_name,
                            (*kind.upstream_names(), "cache"))
        got = dict(zip(kind.backward_out,
                       check.unpack(result, kind.backward_out, case, kind.backward_name)))
        expected = _reference_backward(kind, args, upstream)
        for name in selected:
            check.array(name, got[name], kind.dims(name), case, kind.backward_name)
        cached = []

        def variants():
            if not cached:
                cached.extend(_backward_variants(kind, args, upstream))
            return cached

        for name in selected:
            check.compare(name, got[name], expected[name], case, kind.backward_name,
                          variants=variants, generic_hint=_GENERIC.get(name))
    check.finish()
