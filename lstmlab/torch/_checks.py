"""Input validation shared by the cells and the sequence modules.

Every check here looks only at shapes, dtypes and devices (Python metadata of a
tensor), never at values, so none of them forces a host/device synchronisation.

The error class subclasses both ``ValueError`` (the lstmlab convention) and
``RuntimeError`` (what ``torch.nn`` raises for most of these mistakes), so code
written against ``torch.nn`` that catches ``RuntimeError`` keeps working.
"""

from __future__ import annotations

import torch


class RNNInputError(ValueError, RuntimeError):
    """A tensor passed to an lstmlab.torch module has the wrong shape, dtype or device."""


def fmt_shape(shape) -> str:
    """``(5, 3, 7)`` for a torch.Size or tuple; ``(7,)`` for one element."""
    dims = tuple(int(d) for d in shape)
    return "(" + ", ".join(str(d) for d in dims) + ("," if len(dims) == 1 else "") + ")"


def check_tensor(owner: str, name: str, value) -> None:
    """Raise TypeError unless ``value`` is a tensor (catches numpy arrays, lists)."""
    if not isinstance(value, torch.Tensor):
        if type(value).__name__ == "PackedSequence":
            raise TypeError(
                f"{owner}: PackedSequence input is not supported by lstmlab.torch; "
                "pad the batch instead (torch.nn.utils.rnn.pad_packed_sequence) and "
                "pass a (T, N, D) tensor."
            )
        raise TypeError(
            f"{owner}: argument '{name}' must be a torch.Tensor, got {type(value).__name__}. "
            f"Hint: wrap it with torch.as_tensor({name}, dtype=torch.float32)."
        )


def check_dtype_device(owner: str, name: str, value: torch.Tensor, weight: torch.Tensor) -> None:
    """Raise RNNInputError when ``value`` and the module's weights disagree on dtype or device."""
    if value.dtype != weight.dtype and not torch.is_autocast_enabled(value.device.type):
        raise RNNInputError(
            f"{owner}: argument '{name}' has dtype {value.dtype} but the module's weights are "
            f"{weight.dtype}. Hint: convert the input with {name}.to({weight.dtype}) "
            f"or the module with module.to({value.dtype})."
        )
    if value.device != weight.device:
        raise RNNInputError(
            f"{owner}: argument '{name}' is on device {value.device} but the module's weights are on "
            f"{weight.device}. Hint: move both to one device, e.g. module.to({str(value.device)!r})."
        )


def check_rank(owner: str, name: str, value: torch.Tensor, ranks: dict[int, str], hint: str) -> None:
    """Raise RNNInputError unless ``value.dim()`` is a key of ``ranks`` ({rank: symbolic shape})."""
    if value.dim() not in ranks:
        allowed = " or ".join(f"{r}-D {s}" for r, s in ranks.items())
        raise RNNInputError(
            f"{owner}: argument '{name}' must be {allowed}, got a {value.dim()}-D tensor of "
            f"shape {fmt_shape(value.shape)}. Hint: {hint}"
        )


def check_shape(owner: str, name: str, value: torch.Tensor, symbolic: str, expected, hint: str) -> None:
    """Raise RNNInputError unless ``value.shape == expected``; ``symbolic`` names the dims."""
    if tuple(value.shape) != tuple(expected):
        raise RNNInputError(
            f"{owner}: argument '{name}' should have shape {symbolic} = {fmt_shape(expected)}, "
            f"got {fmt_shape(value.shape)}. Hint: {hint}"
        )


def check_features(owner: str, name: str, value: torch.Tensor, symbolic: str, input_size: int) -> None:
    """Raise RNNInputError unless the last dimension of ``value`` equals ``input_size`` (D)."""
    if value.shape[-1] != input_size:
        expected = tuple(value.shape[:-1]) + (input_size,)
        raise RNNInputError(
            f"{owner}: argument '{name}' should have shape {symbolic} = {fmt_shape(expected)} "
            f"(D = input_size = {input_size}), got {fmt_shape(value.shape)} "
            f"(D = {value.shape[-1]}). Hint: the module was built with input_size="
            f"{input_size}; build it with input_size={value.shape[-1]} or fix the "
            "input's last dimension."
        )
