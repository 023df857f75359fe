"""Input validation shared by the cells and the sequence modules.

Every message starts with ``torch.nn``'s own wording for the same mistake (so code and
tests that match torch.nn's messages by regular expression keep working), then says
which argument, the expected against the received shape, and a hint.

Every check here looks only at shapes, dtypes and devices (Python metadata of a
tensor), never at values, so none of them forces a host/device synchronisation.

The error class subclasses both ``ValueError`` (the lstmlab convention, and what
torch.nn raises for a wrong rank or dtype) and ``RuntimeError`` (what ``torch.nn``
raises for most shape mistakes), so code written against ``torch.nn`` keeps working.
"""

from __future__ import annotations

import torch


class RNNInputError(ValueError, RuntimeError):
    """A tensor passed to an lstmlab.torch module has the wrong shape, dtype or device."""


def fmt_shape(shape) -> str:
    """``(5, 3, 7)`` for a torch.Size or tuple; ``(7,)`` for one element."""
    dims = tuple(int(d) for d in shape)
    return "(" + ", ".join(str(d) for d in dims) + ("," if len(dims) == 1 else "") + ")"


def fail(owner: str, torch_wording: str, detail: str, hint: str) -> RNNInputError:
    """The error to raise: ``owner: <torch.nn's wording>. <lstmlab's detail>. Hint: <hint>``."""
    return RNNInputError(f"{owner}: {torch_wording}. {detail} Hint: {hint}")


# -- constructor arguments ------------------------------------------------------------------
def check_sizes(owner: str, input_size, hidden_size, bias, allow_zero: bool = False) -> None:
    """Sizes must be ints, > 0 (>= 0 for the cells, as torch.nn); ``bias`` must be a bool.

    ``bias`` is type-checked for the cells too, where torch.nn accepts anything truthy:
    ``bias="False"`` silently meaning True is a mistake worth refusing.
    """
    for label, value in (("input_size", input_size), ("hidden_size", hidden_size)):
        if not isinstance(value, int) or isinstance(value, bool):
            raise TypeError(f"{owner}: {label} should be of type int, got: {type(value).__name__}")
        if value < 0 or (value == 0 and not allow_zero):
            raise ValueError(
                f"{owner}: {label} must be greater than zero, got {value}. "
                f"Hint: {label} is a number of features per time step."
            )
    if not isinstance(bias, bool):
        raise TypeError(f"{owner}: bias should be of type bool, got: {type(bias).__name__}")


def check_nonlinearity(owner: str, nonlinearity) -> None:
    """The Elman RNN's activation: 'tanh' or 'relu' (torch.nn's wording)."""
    if nonlinearity not in ("tanh", "relu"):
        raise ValueError(f"{owner}: Unknown nonlinearity {nonlinearity!r}. Select from 'tanh' or 'relu'.")


def check_pair(owner: str, hx, symbolic: str) -> None:
    """An LSTM state must be a pair of tensors ``(h, c)``."""
    if not isinstance(hx, (tuple, list)) or len(hx) != 2:
        raise RNNInputError(
            f"{owner}: argument 'hx' must be a pair {symbolic} of tensors, got {type(hx).__name__}"
            + (f" of length {len(hx)}" if isinstance(hx, (tuple, list)) else "")
            + ". Hint: pass hx=(h_0, c_0), or None for zeros."
        )


# -- forward arguments ------------------------------------------------------------------------
def check_tensor(owner: str, name: str, value) -> None:
    """Raise TypeError unless ``value`` is a tensor (catches numpy arrays, lists)."""
    if not isinstance(value, torch.Tensor):
        raise TypeError(
            f"{owner}: argument '{name}' must be a torch.Tensor, got {type(value).__name__}. "
            f"Hint: wrap it with torch.as_tensor({name}, dtype=torch.float32)."
        )


def check_dtype_device(owner: str, name: str, value: torch.Tensor, weight: torch.Tensor) -> None:
    """Raise RNNInputError when ``value`` and the module's weights disagree on dtype or device."""
    if value.dtype != weight.dtype and not torch.is_autocast_enabled(value.device.type):
        what = "RNN input" if name == "input" else f"RNN {name}"
        raise RNNInputError(
            f"{owner}: {what} dtype ({value.dtype}) does not match weight dtype ({weight.dtype}). "
            f"Convert input: {name.split('[')[0]}.to({weight.dtype}), or convert model: "
            f"model.to({value.dtype}). (argument '{name}')"
        )
    if value.device != weight.device:
        raise RNNInputError(
            f"{owner}: argument '{name}' is on device {value.device} but the module's weights are on "
            f"{weight.device}. Hint: move both to one device, e.g. module.to({str(value.device)!r})."
        )


def check_rank(owner: str, name: str, value: torch.Tensor, ranks: dict[int, str], hint: str,
               torch_wording: str | None = None) -> None:
    """Raise RNNInputError unless ``value.dim()`` is a key of ``ranks`` ({rank: symbolic shape}).

    ``torch_wording`` defaults to torch.nn's ``Expected input to be 2D or 3D, got 4D instead``.
    """
    if value.dim() not in ranks:
        allowed = " or ".join(f"{r}-D {s}" for r, s in ranks.items())
        label = "input" if name == "input" else ("hidden" if name == "hx" else name)
        wording = torch_wording or (
            f"Expected {label} to be {' or '.join(f'{r}D' for r in ranks)}, got {value.dim()}D instead")
        raise fail(owner, wording,
                   f"Argument '{name}' must be {allowed}, got shape {fmt_shape(value.shape)}.", hint)


def check_shape(owner: str, name: str, value: torch.Tensor, symbolic: str, expected, hint: str,
                torch_wording: str | None = None) -> None:
    """Raise RNNInputError unless ``value.shape == expected``; ``symbolic`` names the dims."""
    if tuple(value.shape) != tuple(expected):
        wording = torch_wording or (
            f"Expected hidden size {tuple(expected)}, got {list(value.shape)}")
        raise fail(owner, wording,
                   f"Argument '{name}' should have shape {symbolic} = {fmt_shape(expected)}, "
                   f"got {fmt_shape(value.shape)}.", hint)


def check_features(owner: str, name: str, value: torch.Tensor, symbolic: str, input_size: int,
                   cell: bool = False) -> None:
    """Raise RNNInputError unless the last dimension of ``value`` equals ``input_size`` (D)."""
    got = value.shape[-1]
    if got != input_size:
        expected = tuple(value.shape[:-1]) + (input_size,)
        wording = (f"input has inconsistent input_size: got {got} expected {input_size}" if cell else
                   f"input.size(-1) must be equal to input_size. Expected {input_size}, got {got}")
        raise fail(owner, wording,
                   f"Argument '{name}' should have shape {symbolic} = {fmt_shape(expected)} "
                   f"(D = input_size = {input_size}), got {fmt_shape(value.shape)} (D = {got}).",
                   f"the module was built with input_size={input_size}; build it with "
                   f"input_size={got} or fix the input's last dimension.")


def check_not_empty(owner: str, steps: int) -> None:
    """A sequence needs at least one time step (torch.nn's wording)."""
    if steps == 0:
        raise fail(owner, "Expected sequence length to be larger than 0 in RNN",
                   "The input has T = 0 time steps, so there is no final state to return.",
                   "drop empty sequences from the batch before calling the module.")
