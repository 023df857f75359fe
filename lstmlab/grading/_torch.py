"""Check of a learner's PyTorch LSTM module against ``torch.nn.LSTM``.

The learner's class must take ``(input_size, hidden_size, batch_first=False)``, register
``weight_ih_l0 (4H, D)``, ``weight_hh_l0 (4H, H)``, ``bias_ih_l0 (4H,)``, ``bias_hh_l0 (4H,)``
(so ``load_state_dict`` of a ``torch.nn.LSTM``'s state dict works), and
``forward(x, state=None) -> (output, (h_n, c_n))`` with torch.nn.LSTM's shapes:
x (T, N, D) (or (N, T, D) batch-first), output (T, N, H), h_n and c_n (1, N, H).
While it runs, torch.nn.LSTM's code, torch's fused LSTM kernels and lstmlab.torch are off limits.
"""

from __future__ import annotations

import itertools

import numpy as np

from . import _guard, _variants
from ._check import Case, Check
from ._training import TORCH_LSTM_C, torch_rnn_file

_NAMES = ("weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0")


def _np(t):
    return t.detach().cpu().double().numpy().copy()


# Everything the check looks at in the learner's module goes through check.call and comes back
# as plain data (shapes, names, arrays), so the same verdict can be replayed outside the kernel
# from the recorded values (lstmlab.evidence) without the learner's objects.

def _describe(model) -> dict:
    import torch

    if not isinstance(model, torch.nn.Module):
        return {"module": False, "type": type(model).__name__}
    return {"module": True, "params": {n: list(p.shape) for n, p in model.named_parameters()}}


def _tensor_summary(t) -> dict:
    import torch

    if not isinstance(t, torch.Tensor):
        return {"tensor": False, "type": type(t).__name__}
    return {"tensor": True, "device": t.device.type, "value": _np(t)}


def _forward_summary(result) -> dict:
    """forward's result ``(output, (h_n, c_n))`` as data: its structure, devices and values."""
    if not isinstance(result, (tuple, list)):
        return {"type": type(result).__name__}
    if len(result) != 2:
        return {"len": len(result)}
    out, hc = result
    summary = {"len": 2, "output": _tensor_summary(out), "pair": isinstance(hc, tuple) and len(hc) == 2}
    if summary["pair"]:
        summary["h_n"], summary["c_n"] = _tensor_summary(hc[0]), _tensor_summary(hc[1])
    return summary


def _backward_grads(model, result, xi, weights) -> dict:
    """Back-propagate the check's weighted loss through the learner's outputs; the gradients
    that reached the input and the parameters, as arrays."""
    out, (h_n, c_n) = result
    device = xi.device
    loss = ((out * weights[0].to(device)).sum() + (h_n * weights[1].to(device)).sum()
            + (c_n * weights[2].to(device)).sum())
    loss.backward()
    grads = {"dx": _np(xi.grad)} if xi.grad is not None else {}
    grads.update({f"d{n}": _np(p.grad) for n, p in model.named_parameters() if p.grad is not None})
    return grads


def _reference_run(reference, x, state, weights) -> tuple[dict, dict]:
    """torch.nn.LSTM's outputs and gradients for the same inputs and loss (float64, CPU)."""
    xi = x.clone().requires_grad_(True)
    si = tuple(s.clone().requires_grad_(True) for s in state) if state else None
    out, hc = reference(xi) if si is None else reference(xi, si)
    grads = _backward_grads(reference, (out, hc), xi, weights)
    return {"output": _np(out), "h_n": _np(hc[0]), "c_n": _np(hc[1])}, grads


def check_torch_lstm(cls, seed: int = 0) -> None:
    """Check an ``nn.Module`` class written from the LSTM equations against ``torch.nn.LSTM``."""
    import torch

    check = Check("check_torch_lstm", (*_guard.REFERENCE_DIRS, torch_rnn_file()), TORCH_LSTM_C)
    # Which devices the learner's module runs on: those of the machine the notebook runs on.
    devices = check.keep(["cpu"] + (["cuda"] if torch.cuda.is_available() else []))
    if devices not in (["cpu"], ["cpu", "cuda"]):
        check.fail(f"the check's device list was changed to {devices!r}.")
    g = torch.Generator().manual_seed(seed)
    specs = [("random", 5, 3, 4, 6, False, True), ("batch_first", 4, 2, 3, 5, True, True),
             ("N=1, no initial state", 3, 1, 2, 4, False, False), ("T=1", 1, 3, 3, 4, False, True)]
    for device, (label, T, N, D, H, batch_first, with_state) in itertools.product(devices, specs):
        case = Case(f"{label}, seed {seed}, {device}", dict(T=T, N=N, D=D, H=H))
        kwargs = {"batch_first": True} if batch_first else {}
        model = check.call(lambda: cls(D, H, **kwargs), (), case, f"{getattr(cls, '__name__', 'LSTM')}(...)")
        about = check.call(lambda: _describe(model), (), case, "the module's parameters")
        if not about["module"]:
            check.fail(f"the class makes a {about['type']}; expected a torch.nn.Module.",
                       hint="class LSTM(nn.Module): ... and call super().__init__() first.", case=case)
        params = about["params"]
        if set(params) != set(_NAMES):
            check.fail(f"parameters are named {sorted(params)}; expected exactly {list(_NAMES)}.",
                       hint="register nn.Parameter attributes with torch.nn.LSTM's names, e.g. "
                       "self.weight_ih_l0 = nn.Parameter(torch.empty(4 * hidden_size, input_size)).", case=case)
        for name, shape in zip(_NAMES, ((4 * H, D), (4 * H, H), (4 * H,), (4 * H,))):
            if tuple(params[name]) != shape:
                check.fail(f"{name} has shape {tuple(params[name])}; expected {shape} "
                           f"(4H = {4 * H}, D = {D}, H = {H}).", hint="gates are stacked along the rows: (4H, ...).",
                           case=case)
        reference = torch.nn.LSTM(D, H, batch_first=batch_first).double()
        with torch.no_grad():
            for p in reference.parameters():
                p.copy_(torch.rand(p.shape, generator=g, dtype=torch.float64) * 1.2 - 0.6)
        check.call(lambda: model.double().to(device).load_state_dict(reference.state_dict()), (), case,
                   "load_state_dict")
        x_shape = (N, T, D) if batch_first else (T, N, D)
        x = torch.randn(x_shape, generator=g, dtype=torch.float64)
        state = (tuple(torch.randn((1, N, H), generator=g, dtype=torch.float64) for _ in range(2))
                 if with_state else None)
        weights = [torch.randn(s, generator=g, dtype=torch.float64)
                   for s in ((N, T, H) if batch_first else (T, N, H), (1, N, H), (1, N, H))]

        xi = x.clone().to(device).requires_grad_(True)
        si = tuple(s.clone().to(device).requires_grad_(True) for s in state) if state else None
        live = {}  # the learner's own output tensors, for the backward call (never recorded)

        def forward():
            live["result"] = model(xi) if si is None else model(xi, si)
            return _forward_summary(live["result"])

        seen = check.call(forward, (), case, "forward")
        if "len" not in seen:
            check.fail(f"forward returned a {seen['type']}; expected a tuple (output, (h_n, c_n)).",
                       hint="end it with: return output, (h_n, c_n)", case=case)
        if seen["len"] != 2:
            check.fail(f"forward returned {seen['len']} values; expected 2: (output, (h_n, c_n)).",
                       hint="end it with: return output, (h_n, c_n)", case=case)
        if not seen["pair"]:
            check.fail("forward must return (output, (h_n, c_n)) like torch.nn.LSTM; the second item is not a pair.",
                       case=case)
        for name in ("output", "h_n", "c_n"):
            if not seen[name]["tensor"]:
                check.fail(f"{name} is a {seen[name]['type']}; expected a torch.Tensor.", case=case)
            if seen[name]["device"] != device:
                check.fail(f"{name} is on {seen[name]['device']}, the input on {device}.", case=case,
                           hint="create new tensors with device=x.device (and dtype=x.dtype).")
        mine = {name: seen[name]["value"] for name in ("output", "h_n", "c_n")}
        my_grads = check.call(lambda: _backward_grads(model, live["result"], xi, weights), (), case,
                              "backward through your module")
        theirs, their_grads = _reference_run(reference, x, state, weights)
        np_params = {n: _np(p) for n, p in reference.named_parameters()}

        def variants():
            xs = _np(x).transpose(1, 0, 2) if batch_first else _np(x)
            h0, c0 = (_np(state[0])[0], _np(state[1])[0]) if state else (np.zeros((N, H)),) * 2
            out = []
            for order in ("ifog", "igfo", "figo", "iofg"):
                hs, cs, _ = _variants.lstm_forward(xs, h0, c0, *np_params.values(), order=order)
                out.append((f"gate order: you slice the gates as {', '.join(order)}; torch.nn.LSTM uses i, f, g, o "
                            "(chunk(4, dim=-1) gives them in that order).",
                            {"output": hs.transpose(1, 0, 2) if batch_first else hs}))
            hs, cs, _ = _variants.lstm_forward(xs, h0, c0, *np_params.values(), tanh_c=False)
            out.append(("h = o * tanh(c): the tanh on the cell state is missing.",
                        {"output": hs.transpose(1, 0, 2) if batch_first else hs}))
            return out

        for name in ("output", "h_n", "c_n"):
            check.array(name, mine[name], ("N", "T", "H") if (batch_first and name == "output") else
                        (("T", "N", "H") if name == "output" else ("L", "N", "H")),
                        Case(case.label, {**case.sizes, "L": 1}), "forward")
            check.compare(name, mine[name], theirs[name], case, "forward", variants=variants,
                          generic_hint="write the four gate equations as in the notebook, with torch operations only.")
        for name, expected in their_grads.items():
            if name not in my_grads:
                check.fail(f"no gradient reached {name[1:]}.", case=case,
                           hint="build every step from torch operations on the parameters "
                           "(no .detach(), .numpy() or .data).")
            check.compare(name, my_grads[name], expected, case, "backward (autograd through your module)",
                          generic_hint="if the outputs match but gradients don't, "
                          "something is detached or updated in place.")
    check.finish()
