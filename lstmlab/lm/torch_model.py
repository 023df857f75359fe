"""The character language model in PyTorch, from lstmlab.torch's layers or torch.nn's.

Shapes as in :mod:`lstmlab.lm.model`: x ``(T, N)`` int64 ids -> logits ``(T, N, V)``.  The
state is the same tuple as the NumPy model's, ``(h,)`` or ``(h, c)`` with each ``(N, H)``,
as tensors.  Runs on any device and dtype: move the model with ``.to(device, dtype)``, pass
ids on the same device.

The parameters mirror the NumPy dict name for name: ``embed.weight`` = ``E_w``, the recurrent
layer's ``weight_ih_l0`` ... = ``W_ih`` ..., ``head.weight`` = ``W``, ``head.bias`` = ``b``;
:meth:`CharLM.from_numpy` and :meth:`CharLM.to_numpy` copy them, so equal weights give equal
losses in the two worlds.  Importing this module imports torch.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from lstmlab.errors import argument_error
from lstmlab.lm.model import CELLS, cell_of
from lstmlab.torch.convert import from_numpy as _cell_from_numpy
from lstmlab.torch.convert import to_numpy as _cell_to_numpy

__all__ = ["IMPLS", "CharLM", "detach_state"]

IMPLS = ("lstmlab", "torch.nn")


def detach_state(state):
    """The state with its history cut: the next window's backward pass stops here.

    Without it, ``loss.backward()`` on window k would try to run back through every earlier
    window (and fail, their graphs having been freed)."""
    return None if state is None else tuple(s.detach() for s in state)


class CharLM(nn.Module):
    """Embedding (or one-hot) -> RNN/GRU/LSTM -> linear, on ``(T, N)`` ids.

    Parameters
    ----------
    cell : "rnn", "gru" or "lstm";  vocab_size : V;  hidden_size : H
    embed_size : E for ``nn.Embedding(V, E)``; None feeds one-hot vectors (E = V)
    impl : "lstmlab" (:mod:`lstmlab.torch`, written from the equations) or "torch.nn"
        (torch's own layers, cuDNN on a GPU)
    dtype, device : as for any ``nn.Module``
    """

    def __init__(self, cell: str, vocab_size: int, hidden_size: int, embed_size: int | None = None,
                 impl: str = "lstmlab", dtype=None, device=None):
        super().__init__()
        if cell not in CELLS:
            raise argument_error("CharLM", "cell", f"must be one of {list(CELLS)}, got {cell!r}",
                                 "'lstm' is the chapter's model")
        if impl not in IMPLS:
            raise argument_error("CharLM", "impl", f"must be one of {list(IMPLS)}, got {impl!r}",
                                 "'lstmlab' is written from the equations, 'torch.nn' is torch's own")
        lib = nn if impl == "torch.nn" else __import__("lstmlab.torch", fromlist=["LSTM"])
        layer = {"rnn": lib.RNN, "gru": lib.GRU, "lstm": lib.LSTM}[cell]
        self.cell, self.impl, self.vocab_size = cell, impl, vocab_size
        self.embed = None if embed_size is None else nn.Embedding(vocab_size, embed_size, dtype=dtype, device=device)
        self.rnn = layer(vocab_size if embed_size is None else embed_size, hidden_size, dtype=dtype, device=device)
        self.head = nn.Linear(hidden_size, vocab_size, dtype=dtype, device=device)

    def forward(self, x: torch.Tensor, state=None):
        """``x (T, N)`` int64 ids, ``state`` None or ``(h,)`` / ``(h, c)`` each ``(N, H)``
        -> ``(logits (T, N, V), state)``."""
        if not isinstance(x, torch.Tensor) or x.dim() != 2 or x.dtype != torch.long:
            got = f"{x.dtype} of shape {tuple(x.shape)}" if isinstance(x, torch.Tensor) else type(x).__name__
            raise argument_error("CharLM.forward", "x", f"must be an int64 tensor of shape (T, N), got {got}",
                                 "torch.as_tensor(window.x, device=device)")
        weight = self.head.weight
        if self.embed is None:
            inputs = nn.functional.one_hot(x, self.vocab_size).to(weight.dtype)  # (T, N, V)
        else:
            inputs = self.embed(x)  # (T, N, E)
        if state is None:
            hx = None
        else:
            hx = tuple(s.unsqueeze(0) for s in state)  # (1, N, H): torch's (layers, N, H)
            if self.cell != "lstm":
                hx = hx[0]
        hs, hn = self.rnn(inputs, hx)  # (T, N, H)
        final = tuple(s.squeeze(0) for s in hn) if self.cell == "lstm" else (hn.squeeze(0),)
        return self.head(hs), final

    @classmethod
    def from_numpy(cls, params: dict, impl: str = "lstmlab", dtype=torch.float64, device=None) -> CharLM:
        """A model holding the NumPy model's parameters (:func:`lstmlab.lm.model.init_charlm`)."""
        cell = cell_of(params)
        V, H = params["W"].shape
        embed = params["E_w"].shape[1] if "E_w" in params else None
        model = cls(cell, V, H, embed, impl=impl, dtype=dtype)
        with torch.no_grad():
            _cell_from_numpy(model.rnn, {k: params[k] for k in ("W_ih", "W_hh", "b_ih", "b_hh")})
            model.head.weight.copy_(torch.from_numpy(params["W"]))
            model.head.bias.copy_(torch.from_numpy(params["b"]))
            if embed is not None:
                model.embed.weight.copy_(torch.from_numpy(params["E_w"]))
        return model.to(device=device, dtype=dtype)

    def to_numpy(self) -> dict:
        """The parameters as float64 NumPy copies, keyed like the NumPy model's dict."""
        params = _cell_to_numpy(self.rnn)
        params["W"] = self.head.weight.detach().cpu().double().numpy().copy()
        params["b"] = self.head.bias.detach().cpu().double().numpy().copy()
        if self.embed is not None:
            params["E_w"] = self.embed.weight.detach().cpu().double().numpy().copy()
        return {k: np.asarray(v, dtype=np.float64) for k, v in params.items()}
