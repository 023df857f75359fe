"""Move one layer's weights between a torch module and lstmlab.numpy's parameter dicts.

lstmlab.numpy names a layer's parameters ``W_ih (G*H, D)``, ``W_hh (G*H, H)``,
``b_ih (G*H,)``, ``b_hh (G*H,)`` (G gates: RNN 1, GRU 3, LSTM 4), in torch.nn's layout
and gate order, so conversion is a name-for-name copy with shape checks.  Works for
lstmlab.torch and torch.nn alike: sequence modules (``weight_ih_l{layer}[_reverse]``)
and cells (``weight_ih``; layer and direction must be 0).
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

__all__ = ["to_numpy", "from_numpy"]

_KEYS = ("W_ih", "W_hh", "b_ih", "b_hh")
_TORCH_PREFIX = {"W_ih": "weight_ih", "W_hh": "weight_hh", "b_ih": "bias_ih", "b_hh": "bias_hh"}


def _names(module: nn.Module, layer: int, direction: int) -> dict[str, str]:
    """Map lstmlab.numpy keys to the module's attribute names, after checking layer/direction."""
    owner = type(module).__name__
    if not isinstance(module, nn.Module) or not hasattr(module, "hidden_size"):
        raise TypeError(
            f"expected an RNN/LSTM/GRU module or cell (torch.nn or lstmlab.torch), got {owner}"
        )
    for label, value in (("layer", layer), ("direction", direction)):
        if not isinstance(value, int) or isinstance(value, bool):
            raise TypeError(f"{label} must be an int, got {type(value).__name__}")
    if "weight_ih" in dict(module.named_parameters(recurse=False)):
        if layer != 0 or direction != 0:
            raise ValueError(
                f"{owner} is a single cell: layer and direction must be 0, got layer={layer}, "
                f"direction={direction}"
            )
        suffix = ""
    else:
        num_layers = module.num_layers
        num_dirs = 2 if module.bidirectional else 1
        if not 0 <= layer < num_layers:
            raise ValueError(
                f"layer={layer} is out of range: {owner} has num_layers={num_layers} "
                f"(valid: 0..{num_layers - 1})"
            )
        if not 0 <= direction < num_dirs:
            raise ValueError(
                f"direction={direction} is out of range: {owner} has bidirectional="
                f"{module.bidirectional} (valid: {'0 or 1' if num_dirs == 2 else '0'})"
            )
        suffix = f"_l{layer}" + ("_reverse" if direction == 1 else "")
    return {key: _TORCH_PREFIX[key] + suffix for key in _KEYS}


def to_numpy(module: nn.Module, layer: int = 0, direction: int = 0) -> dict[str, np.ndarray]:
    """One layer/direction's parameters as float64 NumPy copies for lstmlab.numpy.

    Returns ``{"W_ih": (G*H, D), "W_hh": (G*H, H), "b_ih": (G*H,), "b_hh": (G*H,)}``;
    the biases are zeros when the module was built with ``bias=False``.
    """
    names = _names(module, layer, direction)
    params = dict(module.named_parameters(recurse=False))
    out = {}
    for key in ("W_ih", "W_hh"):
        out[key] = params[names[key]].detach().to("cpu", torch.float64).numpy().copy()
    gh = out["W_ih"].shape[0]  # G*H
    for key in ("b_ih", "b_hh"):
        p = params.get(names[key])
        out[key] = np.zeros(gh) if p is None else p.detach().to("cpu", torch.float64).numpy().copy()
    return out


def from_numpy(module: nn.Module, params: dict, layer: int = 0, direction: int = 0) -> nn.Module:
    """Copy an lstmlab.numpy parameter dict into one layer/direction of ``module``, in place.

    ``params`` holds ``W_ih (G*H, D)``, ``W_hh (G*H, H)`` and, when the module has biases,
    ``b_ih``, ``b_hh (G*H,)``.  A module built with ``bias=False`` accepts bias entries only
    if they are all zero.  Values are cast to the module's dtype and device.  Returns the module.
    """
    owner = type(module).__name__
    names = _names(module, layer, direction)
    if not isinstance(params, dict):
        raise TypeError(f"params must be a dict with keys {_KEYS}, got {type(params).__name__}")
    unknown = sorted(set(params) - set(_KEYS))
    if unknown:
        raise ValueError(f"params has unknown keys {unknown}; expected only {list(_KEYS)}")
    own = dict(module.named_parameters(recurse=False))
    has_bias = names["b_ih"] in own and own[names["b_ih"]] is not None
    needed = _KEYS if has_bias else ("W_ih", "W_hh")
    missing = [k for k in needed if k not in params]
    if missing:
        raise ValueError(f"params is missing {missing} for {owner} (bias={has_bias})")

    copies = []
    for key in _KEYS:
        if key not in params:
            continue
        value = np.asarray(params[key])
        if key.startswith("b") and not has_bias:
            if np.any(value != 0):
                raise ValueError(
                    f"params[{key!r}] is non-zero but {owner} was built with bias=False, so it "
                    "cannot hold biases. Hint: build the module with bias=True."
                )
            continue
        target = own[names[key]]
        sym = {"W_ih": "(G*H, D)", "W_hh": "(G*H, H)"}.get(key, "(G*H,)")
        if value.shape != tuple(target.shape):
            raise ValueError(
                f"params[{key!r}] must have shape {sym} = {tuple(target.shape)} to match "
                f"{owner}.{names[key]}, got {value.shape}. Hint: check the kind (G gates), "
                "hidden size and input size of the layer it came from."
            )
        copies.append((target, value))
    with torch.no_grad():  # copy only after every check passed: no half-loaded module
        for target, value in copies:
            target.copy_(torch.as_tensor(value, dtype=target.dtype, device=target.device))
    return module
