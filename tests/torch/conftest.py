"""Parity helpers for lstmlab.torch, shared by the CPU and CUDA tests (as fixtures).

A parity check builds the torch.nn module and the lstmlab.torch module with the same
weights (copied through ``load_state_dict``), runs both on the same input and initial
state, back-propagates the same random upstream gradients through every output, and
returns the largest absolute difference over outputs, final states and the gradients
of the input, of each initial state and of every parameter.  With ``detail=True`` the
float32 comparisons also measure each implementation against a float64 run (the truth).
"""

from __future__ import annotations

import contextlib

import pytest

torch = pytest.importorskip("torch")

import lstmlab.torch as lt  # noqa: E402


def _leaf(t: torch.Tensor) -> torch.Tensor:
    return t.detach().clone().requires_grad_(True)


def _run(module, x, hx, cell: bool, seed: int):
    """Forward + backward of a fixed random projection of every output; returns tensors to compare."""
    x = _leaf(x)
    if hx is None:
        hx_leaves = []
    elif isinstance(hx, tuple):
        hx = tuple(_leaf(h) for h in hx)
        hx_leaves = list(hx)
    else:
        hx = _leaf(hx)
        hx_leaves = [hx]
    out = module(x, hx)
    if cell:
        outs = list(out) if isinstance(out, tuple) else [out]
    else:
        seq, state = out
        outs = [seq] + (list(state) if isinstance(state, tuple) else [state])
    gen = torch.Generator(device="cpu").manual_seed(seed)
    # Drawn in float32 so that float32 and float64 runs see exactly the same values.
    upstream = [torch.randn(o.shape, generator=gen).to(o) for o in outs]
    loss = sum((o * g).sum() for o, g in zip(outs, upstream))
    params = list(module.parameters())
    grads = torch.autograd.grad(loss, [x] + hx_leaves + params)
    return [o.detach() for o in outs] + list(grads), [n for n, _ in module.named_parameters()]


def _max_diff(kind: str, kwargs: dict, x, hx, cell: bool, device, dtype, train: bool,
              detail: bool = False):
    """Max abs diff lstmlab vs torch.nn; with ``detail``, a dict that adds each one's error
    against a float64 run of torch.nn (the ground truth for a float32 comparison)."""
    ref_cls = getattr(torch.nn, kind)
    ours_cls = getattr(lt, kind)
    torch.manual_seed(0)
    ref = ref_cls(**kwargs, device=device, dtype=dtype)
    ours = ours_cls(**kwargs, device=device, dtype=dtype)
    ours.load_state_dict(ref.state_dict())
    modules = {"ref": ref, "ours": ours}
    if detail:
        truth = ref_cls(**kwargs, device=device, dtype=torch.float64)
        truth.load_state_dict(ref.state_dict())
        modules["float64"] = truth
    results = {}
    for name, module in modules.items():
        module.train(train)
        mdtype = next(module.parameters()).dtype
        xm = x.to(device=device, dtype=mdtype)
        hm = hx
        if hx is not None:
            hm = (tuple(h.to(device=device, dtype=mdtype) for h in hx) if isinstance(hx, tuple)
                  else hx.to(device=device, dtype=mdtype))
        # cuDNN cannot back-propagate in eval mode: there torch.nn's reference runs its native
        # CUDA kernels instead (eval matters only for dropout > 0; otherwise tests use train mode).
        eval_on_gpu = name != "ours" and not train and torch.device(device).type == "cuda"
        with torch.backends.cudnn.flags(enabled=False) if eval_on_gpu else contextlib.nullcontext():
            results[name] = _run(module, xm, hm, cell, seed=1)
    (a, names_a), (b, names_b) = results["ref"], results["ours"]
    assert names_a == names_b, "parameters registered in a different order than torch.nn"
    assert len(a) == len(b)
    for u, v in zip(a, b):
        assert u.shape == v.shape and u.dtype == v.dtype and u.device == v.device

    def diff(us, vs):
        return max(float((u.double() - v.double()).abs().max()) if u.numel() else 0.0
                   for u, v in zip(us, vs))

    if not detail:
        return diff(a, b)
    t = results["float64"][0]
    return {"ours_vs_ref": diff(b, a), "ours_vs_float64": diff(b, t), "ref_vs_float64": diff(a, t)}


def make_inputs(kind: str, *, T=4, N=3, D=5, H=4, num_layers=1, bidirectional=False,
                batch_first=False, with_hx=True, batched=True, cell=False, seed=0):
    """Random float64 input (and initial state, or None) in the layout the module expects.

    The values are drawn in float32, so a float32 run gets them without rounding.
    """
    gen = torch.Generator().manual_seed(seed)
    k = 2 if bidirectional else 1
    if cell:
        x = torch.randn((N, D) if batched else (D,), generator=gen).double()
        state_shape = (N, H) if batched else (H,)
    else:
        shape = (N, T, D) if batch_first else (T, N, D)
        x = torch.randn(shape if batched else (T, D), generator=gen).double()
        state_shape = (num_layers * k, N, H) if batched else (num_layers * k, H)
    if not with_hx:
        return x, None
    h = torch.randn(state_shape, generator=gen).double()
    if kind.startswith("LSTM"):
        return x, (h, torch.randn(state_shape, generator=gen).double())
    return x, h


@pytest.fixture
def module_parity():
    """``module_parity(kind, device=..., dtype=..., train=True, detail=False, **layout) -> max abs diff``.

    Training mode by default (with dropout 0 it computes what eval mode does, and cuDNN
    back-propagates only in training mode); pass ``train=False`` with ``dropout > 0``.
    """

    def check(kind, *, device="cpu", dtype=torch.float64, train=True, bias=True, dropout=0.0,
              nonlinearity=None, detail=False, **layout):
        layout.setdefault("D", 5)
        layout.setdefault("H", 4)
        x, hx = make_inputs(kind, **layout)
        kwargs = dict(input_size=layout["D"], hidden_size=layout["H"],
                      num_layers=layout.get("num_layers", 1), bias=bias,
                      batch_first=layout.get("batch_first", False), dropout=dropout,
                      bidirectional=layout.get("bidirectional", False))
        if nonlinearity is not None:
            kwargs["nonlinearity"] = nonlinearity
        return _max_diff(kind, kwargs, x, hx, False, device, dtype, train, detail)

    return check


@pytest.fixture
def cell_parity():
    """``cell_parity(kind, device=..., dtype=..., bias=..., batched=..., with_hx=...) -> max abs diff``."""

    def check(kind, *, device="cpu", dtype=torch.float64, bias=True, nonlinearity=None,
              detail=False, **layout):
        layout.setdefault("D", 5)
        layout.setdefault("H", 4)
        x, hx = make_inputs(kind, cell=True, **layout)
        kwargs = dict(input_size=layout["D"], hidden_size=layout["H"], bias=bias)
        if nonlinearity is not None:
            kwargs["nonlinearity"] = nonlinearity
        return _max_diff(kind, kwargs, x, hx, True, device, dtype, True, detail)

    return check
