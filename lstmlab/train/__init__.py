"""Small training loops for a recurrent layer + linear head on the lstmlab.data tasks.

``train_numpy`` trains the float64 NumPy reference (hand-written BPTT, Adam, clipping);
``train_torch`` trains ``lstmlab.torch`` or ``torch.nn`` modules on any device.  Both take a
:class:`TrainConfig` (or its fields as keywords) and return a :class:`History`.  torch is
imported only when ``train_torch`` runs.
"""

from lstmlab.train.config import CELLS, CLIPS, TrainConfig
from lstmlab.train.history import History
from lstmlab.train.numpy_loop import train_numpy
from lstmlab.train.tasks import TASKS, ReadoutBatch, TaskSpec, get_task


def train_torch(*args, **kwargs):  # documented in torch_loop
    from lstmlab.train.torch_loop import train_torch as _train_torch

    return _train_torch(*args, **kwargs)


train_torch.__doc__ = "Train in PyTorch; see :func:`lstmlab.train.torch_loop.train_torch`."

__all__ = ["CELLS", "CLIPS", "TASKS", "ReadoutBatch", "History", "TaskSpec", "TrainConfig",
           "get_task", "train_numpy", "train_torch"]
