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

from lstmlab import evidence

from . import _safe, _variants
from ._check import ATOL, HINT_ATOL, HINT_RTOL, RTOL, Case, Check
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

# (label, sizes, how, scale, sequences only).  Within a case T, N, D and H all differ (bar the
# edge cases N=1, T=1 and T=N themselves), so a message about a wrong shape names one axis.
_SIZES = (
    ("fixed values", dict(T=2, N=3, D=4, H=5), "fixed", 1.0, False),
    ("random, seed {seed}", None, "random", 1.0, False),
    ("T = N", dict(T=3, N=3, D=2, H=4), "random", 1.0, True),
    ("N=1", dict(T=4, N=1, D=3, H=5), "random", 1.0, False),
    ("T=1", dict(T=1, N=3, D=2, H=4), "random", 1.0, True),
    ("large inputs", dict(T=3, N=2, D=5, H=4), "random", 10000.0, False),
)


def _cases(kind: _Kind, seed: int) -> list[Case]:
    rng = np.random.default_rng(seed)
    cases = []
    for label, s, how, scale, sequence_only in _SIZES:
        if kind.step and sequence_only:
            continue
        label = label.format(seed=seed)
        if s is None:  # T in 7..9, H in 4..5: never equal to each other, N=3 or D=2
            s = dict(T=7 + seed % 3, N=3, D=2, H=4 + seed % 2)
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
    """The forward outputs ({"h": ...} or {"hs": ..., "cs": ...}) with a mistake's ``flags``."""
    seq = _as_sequence(kind, args)
    if kind.lstm:
        hs, cs, _ = _variants.lstm_forward(*seq, **flags)
        outs = (hs, cs)
    else:
        outs = (_variants.rnn_forward(*seq, **flags)[0],)
    if kind.step:
        outs = tuple(o[0] for o in outs)
    return dict(zip(kind.forward_out, outs))


def _variant_backward(kind: _Kind, args, upstream, forward=None, **flags) -> dict:
    """The gradients computed with the backward mistake ``flags``, through the forward with
    the forward mistake ``forward`` (a dict of flags; none: the right forward).  With no
    ``flags`` this is the exact gradient of that forward."""
    seq = _as_sequence(kind, args)
    forward = forward or {}
    if kind.lstm:
        _, _, cache = _variants.lstm_forward(*seq, **forward)
        dhs = upstream[0][None] if kind.step else upstream[0]
        if kind.step:
            flags.setdefault("dc_last", upstream[1])
        grads = _variants.lstm_backward(dhs, cache, **flags)
    else:
        _, cache = _variants.rnn_forward(*seq, **forward)
        grads = _variants.rnn_backward(upstream[0][None] if kind.step else upstream[0], cache, **flags)
    if kind.step:
        grads = (grads[0][0], *grads[1:])
    return dict(zip(kind.backward_out, grads))


class _Mistake:
    """A known forward mistake: ``what`` names it in a note, ``hint`` explains it, ``flags``
    switch it on in :mod:`._variants` (so its exact gradient can be computed)."""

    def __init__(self, what: str, hint: str, flags: dict) -> None:
        self.what, self.hint, self.flags = what, hint, flags


def _forward_mistakes(kind: _Kind) -> list[_Mistake]:
    """The forward mistakes a diagnosis reproduces and whose gradient :mod:`._variants` knows."""
    out = []
    for bias in ("b_hh", "b_ih"):
        out.append(_Mistake(f"{bias} is missing",
                            f"both biases are added: a = x @ W_ih.T + b_ih + h @ W_hh.T + b_hh ({bias} is missing).",
                            {"drop_bias": bias}))
    if kind.lstm:
        for order in itertools.permutations(_GATES):
            order = "".join(order)
            if order == _GATES:
                continue
            extra = " (i, f, o, g is the order some other courses use)" if order == "ifog" else ""
            out.append(_Mistake(
                f"the gates are sliced as {', '.join(order)}",
                f"gate order: your code slices the pre-activation as {', '.join(order)}{extra}; lstmlab, "
                "like torch.nn.LSTM, uses i, f, g, o: i = a[:, :H], f = a[:, H:2H], g = a[:, 2H:3H], "
                "o = a[:, 3H:].", {"order": order}))
        out.append(_Mistake("h = o * c, without the tanh",
                            "the hidden state is h = o * tanh(c): the tanh on the cell state is missing.",
                            {"tanh_c": False}))
        out.append(_Mistake("g = sigmoid(...)",
                            "the candidate g is a tanh (values in (-1, 1)), not a sigmoid: g = np.tanh(a[:, 2H:3H]).",
                            {"g_act": "sigmoid"}))
    else:
        out.append(_Mistake("the tanh is missing",
                            "the new hidden state is the tanh of the pre-activation: the tanh is missing.",
                            {"no_tanh": True}))
    if not kind.step:
        out.append(_Mistake("every step starts from h0",
                            "each step must start from the previous step's hidden state; yours starts every step "
                            "from h0 (update h inside the loop).", {"stale_h": True}))
        if kind.lstm:
            out.append(_Mistake("every step starts from c0",
                                "each step must start from the previous step's cell state; yours starts every "
                                "step from c0 (update c inside the loop).", {"stale_c": True}))
        out.append(_Mistake("hs[t] is stored before the step",
                            "hs[t] is the state *after* step t: store h after computing it (yours stores the "
                            "state the step started from, so hs[0] is h0).", {"hs_before": True}))
    return out


def _forward_variants(kind: _Kind, args):
    """[(hint, outputs)] for typical forward mistakes."""
    out = [(m.hint, _variant_forward(kind, args, **m.flags)) for m in _forward_mistakes(kind)]
    x = args[0]
    if not kind.step and x.shape[0] == x.shape[1]:
        swapped = (x.transpose(1, 0, 2), *args[1:])
        bm = _variant_forward(kind, swapped)
        hint = _BATCH_MAJOR
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
                    f"({'dc_prev' if kind.step else 'into lstm_step_backward at every earlier step'}).",
                    _variant_backward(kind, args, upstream,
                                      **({"dc_prev": "zero"} if kind.step else {"carry_c": False}))))
        out.append((f"{carried} is da @ W_hh: h_prev enters through h_prev @ W_hh.T, so its gradient is not zero.",
                    _variant_backward(kind, args, upstream, dh_prev="zero")))
        out.append(("the sigmoid's derivative is s * (1 - s) (with s = sigmoid(a)); yours is s * s.",
                    _variant_backward(kind, args, upstream, sigmoid_grad="s * s")))
    else:
        out.append(("the gradient at the pre-activation is dh * (1 - h**2): the tanh derivative is missing.",
                    _variant_backward(kind, args, upstream, tanh_grad="missing")))
        out.append((f"{carried} = da @ W_hh: the W_hh factor is missing (h_prev enters through h_prev @ W_hh.T).",
                    _variant_backward(kind, args, upstream, dh_prev="da")))
        out.append((f"{carried} is da @ W_hh, not zero.", _variant_backward(kind, args, upstream, dh_prev="zero")))
    for wrong in ("1 + h**2", "1 - h"):
        out.append((f"the tanh's derivative is 1 - tanh(a)**2 (1 - h**2 from h = tanh(a)); yours is {wrong}.",
                    _variant_backward(kind, args, upstream, tanh_grad=wrong)))
    if not kind.step:
        out.append(("the gradient reaching h_t is dhs[t] plus the gradient coming back from step t+1 "
                    "(da_{t+1} @ W_hh); it isn't added at each step.",
                    _variant_backward(kind, args, upstream, carry_h=False)))
        out.append(("the weights and biases are shared by all steps, so their gradients are sums over t (use +=); "
                    "yours keeps only one step's contribution.",
                    _variant_backward(kind, args, upstream, sum_weights=False)))
        out.append(("the loss looks at every step: add dhs[t] at every t, not only at the last step.",
                    _variant_backward(kind, args, upstream, only_last=True)))
    return out


def _agreeing(outputs: dict, got: dict) -> int:
    """How many of the learner's returned arrays a mistake's ``outputs`` reproduce: two mistakes
    can agree on one output (dropping dh_prev and not carrying it both change dx alike) and
    differ on another (dh0), which then tells which one the learner made."""
    return sum(1 for name, value in outputs.items() if type(got.get(name)) is _safe.NDARRAY
               and _safe.shape_of(got[name]) == _safe.shape_of(value)
               and _safe.close(got[name], value, HINT_ATOL, HINT_RTOL))


_NO_MATCH = ("No known mistake reproduces these numbers. Run the gradient check cell: it compares your "
             "backward with your own forward, gradient by gradient.")
_BIAS_SHAPE = ("{name} keeps a dimension: sum da over the batch (and time) without keepdims, "
               "da.sum(axis=0) has shape (G,).")


# --------------------------------------------------------------------------- the checks

_BATCH_MAJOR = ("your loop runs over axis 1 of x (batch-major); lstmlab is time-major: x is (T, N, D) "
                "and x[t] is the whole batch at step t.")


def _batch_major_instead(check: Check, kind: _Kind, fn, cases, failure: AssertionError) -> None:
    """``fn`` raised on a case with T != N.  If on the T = N case it returns what a
    batch-major loop returns, fail naming that; else re-raise ``failure``."""
    square = [c for c in cases if c.sizes.get("T") == c.sizes.get("N")]
    if kind.step or not square:
        raise failure
    case = square[0]
    args = _args(kind, case)
    try:
        outputs = check.unpack(check.call(fn, args, case, kind.forward_name), (*kind.forward_out, "cache"),
                               case, kind.forward_name)
    except AssertionError:
        raise failure from None
    for _, variant in _forward_variants(kind, args)[-2:]:  # the two batch-major forms
        if all(_safe.shape_of(o) == _safe.shape_of(variant[n]) and _safe.close(o, variant[n], HINT_ATOL, HINT_RTOL)
               for n, o in zip(kind.forward_out, outputs)):
            check.fail(f"{kind.forward_name} fails when T != N (see below) and, when T = N, returns what a "
                       "batch-major loop returns.", str(failure).splitlines()[1].strip(), hint=_BATCH_MAJOR,
                       case=case)
    raise failure


def check_forward(kind_name: str, fn, seed: int, check_name: str) -> None:
    kind = KINDS[kind_name]
    check = Check(check_name)
    cases = _cases(kind, seed)
    for case in cases:
        args = _args(kind, case)
        names = ("x", *kind.state_names, "W_ih", "W_hh", "b_ih", "b_hh")
        try:
            result = check.call(fn, args, case, kind.forward_name, names)
        except AssertionError as failure:
            if check.evidence is not None and check.evidence.replaying:
                raise
            _batch_major_instead(check, kind, fn, cases, failure)
        outputs = check.unpack(result, (*kind.forward_out, "cache"), case, kind.forward_name)
        expected = _reference_forward(kind, args)
        for name, value in zip(kind.forward_out, outputs):
            check.array(name, value, kind.dims(name), case, kind.forward_name)
        got = dict(zip(kind.forward_out, outputs))
        for name, value in zip(kind.forward_out, outputs):
            check.compare(name, value, expected[name], case, kind.forward_name,
                          on_mismatch=lambda: _swapped_outputs(check, got, expected, kind.forward_out, case,
                                                               kind.forward_name),
                          variants=lambda: _forward_variants(kind, args),
                          no_match="No known mistake reproduces these numbers: compare your code with the "
                          "equations above, one step and one line at a time.")
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


def _swapped_outputs(check: Check, got: dict, expected: dict, names, case, what) -> None:
    """Fail naming it when a returned array is another output's expected value (the return
    order is wrong), e.g. dh_prev and dc_prev, which have the same shape."""
    for name in names:
        for other in names:
            if other == name or _safe.shape_of(got[name]) != _safe.shape_of(expected[other]):
                continue
            if (_safe.close(got[name], expected[other], ATOL, RTOL)
                    and not _safe.close(expected[name], expected[other], ATOL, RTOL)):
                check.fail(f"your {name} is the expected {other}: check the order of the returned values.",
                           hint=f"{what} returns ({', '.join(names)}) in that order.", case=case)


def _constant(value) -> bool:
    v = _safe.floats(value)
    return all(x == v[0] for x in v) if len(v) else True


def _forward_model(kind: _Kind, args, outputs: dict, expected: dict, tried: list):
    """``None`` when the learner's forward outputs are right, else the known mistake that
    reproduces them exactly (within the checks' own tolerance), else ``False``.  ``tried``
    holds the mistake found in earlier cases, which is tried first."""
    if all(_safe.close(outputs[n], expected[n], ATOL, RTOL) for n in kind.forward_out):
        return None
    mistakes = tried + [m for m in _forward_mistakes(kind) if m.what not in {t.what for t in tried}]
    for mistake in mistakes:
        candidate = _variant_forward(kind, args, **mistake.flags)
        if all(_safe.shape_of(outputs[n]) == _safe.shape_of(candidate[n])
               and _safe.close(outputs[n], candidate[n], ATOL, RTOL) for n in kind.forward_out):
            return mistake
    return False


def check_backward(kind_name: str, forward, backward, seed: int, grads, check_name: str) -> None:
    """Check ``backward`` on the cache of the learner's own ``forward``.

    Error carried forward: when the forward is wrong in a way a known mistake reproduces
    exactly, and credit carried forward is on (:func:`lstmlab.evidence.ecf_enabled`), the
    backward is compared with the exact gradient *of that mistaken forward*, computed here
    from :mod:`._variants` (never by learner code), and the check passes with a note.  In
    replay the same happens from the recorded outputs, so forged evidence would have to
    hold a known mistake's outputs and its exact gradient.
    """
    kind = KINDS[kind_name]
    selected = resolve_grads(kind_name, grads)
    check = Check(check_name)
    carried: list[_Mistake] = []  # the forward mistake credit is carried past (one for all cases)
    for case in _cases(kind, seed):
        args = _args(kind, case)
        upstream = _upstream(kind, case)
        result = check.call(forward, args, case, kind.forward_name)
        outputs = check.unpack(result, (*kind.forward_out, "cache"), case, kind.forward_name)
        expected_fw = _reference_forward(kind, args)
        for name, value in zip(kind.forward_out, outputs):
            check.array(name, value, kind.dims(name), case, kind.forward_name)
        got_fw = dict(zip(kind.forward_out, outputs))
        mistake = _forward_model(kind, args, got_fw, expected_fw, carried)
        if mistake is not None and (mistake is False or not evidence.ecf_enabled()
                                    or (carried and carried[0] is not mistake)):
            _forward_blocks(check, kind, forward, backward, case, args, upstream, got_fw, expected_fw,
                            mistake)
        if mistake:
            carried[:] = [mistake]
        result = check.call(backward, (*upstream, outputs[-1]), case, kind.backward_name,
                            (*kind.upstream_names(), "cache"))
        got = dict(zip(kind.backward_out,
                       check.unpack(result, kind.backward_out, case, kind.backward_name)))
        for name in selected:
            if name.startswith("db") and _safe.shape_of(got[name]) == (1, kind.G * case.sizes["H"]):
                check.fail(f"{kind.backward_name} returned {name} with shape (1, {kind.G * case.sizes['H']}); "
                           f"expected ({'4H' if kind.lstm else 'H'},).", case=case,
                           hint=_BIAS_SHAPE.format(name=name).replace("(G,)", "(4H,)" if kind.lstm else "(H,)"))
            check.array(name, got[name], kind.dims(name), case, kind.backward_name)
        if mistake:
            _check_carried(check, kind, case, args, upstream, got, selected, mistake)
            continue
        expected = _reference_backward(kind, args, upstream)
        cached = []

        def variants():
            if not cached:
                cached.extend(_backward_variants(kind, args, upstream))
            return cached

        for name in selected:
            check.compare(name, got[name], expected[name], case, kind.backward_name,
                          variants=variants, no_match=_NO_MATCH, prefer=lambda outputs: _agreeing(outputs, got),
                          on_mismatch=lambda: _swapped_outputs(check, got, expected, selected, case,
                                                               kind.backward_name))
    check.finish()
    if carried:
        print(f"{check_name}: credit carried forward: your backward is exact for your forward, whose mistake "
              f"({carried[0].what}) is scored in its own cell ({kind.forward_name}).")


def _check_carried(check: Check, kind: _Kind, case, args, upstream, got: dict, selected, mistake) -> None:
    """The backward must be the exact gradient of the mistaken forward (see check_backward)."""
    exact = _variant_backward(kind, args, upstream, forward=mistake.flags)
    preface = (f"your {kind.forward_name} has a known mistake ({mistake.what}); its cell scores it. This cell "
               "gives credit carried forward to a backward exact for that forward, and yours is not:")
    dropped = mistake.flags.get("drop_bias")
    kept = "db_hh" if dropped == "b_ih" else "db_ih"
    if all(_constant(got[name]) for name in selected):
        check.fail(preface, "every gradient you return is constant, which no forward of this kind has.", case=case)
    for name in selected:
        # A bias the forward forgot: its exact gradient is zero, but the backward's formula
        # (the same as the other bias's) is what the learner meant, and is accepted too.
        if name == f"d{dropped}" and _safe.close(got[name], exact[kept], ATOL, RTOL):
            continue
        check.compare(name, got[name], exact[name], case, kind.backward_name, preface=preface,
                      no_match=_NO_MATCH)


def _forward_blocks(check: Check, kind: _Kind, forward, backward, case, args, upstream, got_fw, expected_fw,
                    mistake) -> None:
    """Fail because the forward is wrong, saying whether credit could be carried forward."""
    preface = f"{kind.backward_name} can't be checked until {kind.forward_name} is right:"
    extra = None
    if mistake is False:
        extra = _consistency(check, kind, forward, backward, case, args, upstream)
    elif not evidence.ecf_enabled():
        extra = (f"(your {kind.forward_name} has a known mistake, {mistake.what}; credit carried forward "
                 "is switched off for this assignment.)")
    else:
        extra = f"(your {kind.forward_name} makes different mistakes in different cases.)"
    if extra and mistake is not False:  # said first: it is why this cell scores nothing
        preface = f"{preface}\n  {extra}"
    for name in kind.forward_out:
        check.compare(name, got_fw[name], expected_fw[name], case, kind.forward_name, preface=preface,
                      variants=lambda: _forward_variants(kind, args),
                      no_match=" ".join(t for t in (f"Run the check of {kind.forward_name} for a full diagnosis.",
                                                    extra if mistake is False else None) if t))
    check.fail(preface, case=case)  # the outputs differ only within tolerance of a variant


def _consistency(check: Check, kind: _Kind, forward, backward, case, args, upstream) -> str | None:
    """Whether the learner's backward is the gradient of their own forward (a numerical check
    in the kernel: a message, never points).  ``None`` when replaying (the learner's
    functions cannot be called there) or when the functions can't be run."""
    if check.evidence is not None and check.evidence.replaying:
        return None
    try:
        return _gradient_consistency(kind, forward, backward, args, upstream)
    except Exception:  # the learner's code fails on perturbed inputs: say nothing
        return None


def _gradient_consistency(kind: _Kind, forward, backward, args, upstream) -> str:
    """Directional derivatives of L = sum(upstream * outputs) along random directions, one
    per input, against the learner's backward (float64, central differences)."""
    names = ("x", *kind.state_names, "W_ih", "W_hh", "b_ih", "b_hh")
    grad_of = dict(zip(names, (n for n in kind.backward_out)))
    outs = forward(*[a.copy() for a in args])
    grads = dict(zip(kind.backward_out, backward(*[u.copy() for u in upstream], outs[-1])))

    def loss(values):
        out = forward(*values)
        return sum(float(np.sum(u * o)) for u, o in zip(upstream, out[:len(kind.forward_out)])
                   if u is not None)

    rng = np.random.default_rng(0)
    bad = []
    for k, name in enumerate(names):
        v = rng.standard_normal(args[k].shape)
        eps = 1e-6
        plus = [a.copy() for a in args]
        minus = [a.copy() for a in args]
        plus[k] = plus[k] + eps * v
        minus[k] = minus[k] - eps * v
        numeric = (loss(plus) - loss(minus)) / (2 * eps)
        analytic = float(np.sum(np.asarray(grads[grad_of[name]], dtype=float) * v))
        if abs(numeric - analytic) > 1e-5 * max(1.0, abs(numeric), abs(analytic)):
            bad.append(grad_of[name])
    if not bad:
        return (f"A numerical gradient check says your {kind.backward_name} is consistent with your own "
                f"{kind.forward_name}: once the forward is fixed it may well pass (no credit is carried "
                "forward for a forward mistake no diagnosis names).")
    return (f"A numerical gradient check says your {kind.backward_name} is not consistent with your own "
            f"{kind.forward_name} either: {', '.join(bad)} differ from the numerical gradient.")
