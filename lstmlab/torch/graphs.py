"""CUDA graphs for lstmlab.torch's sequence modules: launch a whole step loop at once.

A recurrent layer written from the equations launches a few kernels per time step,
forward and backward; on a GPU the launches, not the arithmetic, set the pace for
small and medium layers.  A CUDA graph records those launches once and replays them
with a single call.  ``cuda_graphed`` wraps ``torch.cuda.make_graphed_callables``, which
captures the forward and the backward pass, so the result trains like the module.

The price of a graph: every call must have the shapes, dtype and device of the sample
input, the initial state is always zeros, and dropout masks are frozen at capture.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

__all__ = ["cuda_graphed"]


class _FlatOutputs(nn.Module):
    """``(output, h_n)`` or ``(output, (h_n, c_n))`` as one flat tuple, which graphs need."""

    def __init__(self, module: nn.Module):
        super().__init__()
        self.module = module

    def forward(self, x: Tensor):
        out, state = self.module(x)
        return (out, *state) if isinstance(state, tuple) else (out, state)


def cuda_graphed(module: nn.Module, sample_input: Tensor):
    """Return ``run(x) -> module(x)``, forward and backward replayed from CUDA graphs.

    module: an lstmlab.torch (or torch.nn) RNN/LSTM/GRU on a CUDA device, in training or
    eval mode; sample_input: a CUDA tensor with the shape, dtype and ``requires_grad`` of
    every later input ((T, N, D), or (N, T, D) when batch-first).  The initial state is zeros.
    """
    if not isinstance(sample_input, Tensor) or sample_input.device.type != "cuda":
        where = sample_input.device if isinstance(sample_input, Tensor) else type(sample_input).__name__
        raise ValueError(
            f"cuda_graphed: argument 'sample_input' must be a CUDA tensor, got one on {where}. "
            "Hint: CUDA graphs exist only on NVIDIA GPUs; on a CPU use the module itself "
            "(fused=True is the fast path there)."
        )
    graphed = torch.cuda.make_graphed_callables(_FlatOutputs(module), (sample_input,))

    def run(x: Tensor):
        outs = graphed(x)
        return (outs[0], tuple(outs[1:])) if len(outs) > 2 else (outs[0], outs[1])

    return run
