# %% [markdown] lstmlab={"kind": "readonly", "id": "intro"}
# # Assignment 4: an LSTM in PyTorch, from the equations
#
# You write an LSTM as a `torch.nn.Module` using only tensor operations — no `nn.LSTM`, no
# `nn.LSTMCell` — so that it computes **exactly** what `torch.nn.LSTM` computes once it has loaded
# the same weights, then train it with autograd on the adding problem. It runs on whatever device
# the input lives on, CPU or GPU. Background: the book's chapters on [the LSTM]({book}/05-lstm.html)
# and on [PyTorch and the GPU]({book}/08-pytorch-gpu.html).
#
# **The contract** (that of `torch.nn.LSTM` with one layer):
#
# * `LSTM(input_size, hidden_size, batch_first=False)`;
# * parameters named `weight_ih_l0 (4H, D)`, `weight_hh_l0 (4H, H)`, `bias_ih_l0 (4H,)`,
#   `bias_hh_l0 (4H,)`, gates stacked in the order **i, f, g, o**, initialised from
#   $U(-1/\sqrt{H}, 1/\sqrt{H})$ — so `load_state_dict(nn.LSTM(...).state_dict())` just works;
# * `forward(x, state=None)`: `x` is `(T, N, D)` (or `(N, T, D)` if `batch_first`), `state` is a
#   pair `(h_0, c_0)` of `(1, N, H)` tensors or None (zeros); it returns
#   `output (T, N, H)` (`(N, T, H)` if batch-first) and `(h_n, c_n)`, each `(1, N, H)`.
#
# The equations are those of assignment 3:
# $a_t = x_t W_{ih}^\top + b_{ih} + h_{t-1} W_{hh}^\top + b_{hh}$, $i, f, o = \sigma(\cdot)$,
# $g = \tanh(\cdot)$, $c_t = f c_{t-1} + i g$, $h_t = o \tanh(c_t)$.

# %% lstmlab={"kind": "readonly", "id": "setup"}
import math
import time

import numpy as np
import torch
from torch import nn

from lstmlab.data import ADDING_BASELINE_MSE, adding_problem

device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
# The tensors here are tiny: on a CPU one thread is fastest (more threads only add
# synchronisation, and on a busy machine they can make each step many times slower).
torch.set_num_threads(1)
torch.manual_seed(0)
print("device:", device)

# %% lstmlab={"kind": "solution", "id": "lstm_module"}
class LSTM(nn.Module):
    """One-layer LSTM, a drop-in for torch.nn.LSTM(input_size, hidden_size, batch_first)."""

    def __init__(self, input_size, hidden_size, batch_first=False):
        super().__init__()
        self.input_size, self.hidden_size, self.batch_first = input_size, hidden_size, batch_first
        ### BEGIN SOLUTION
        H = hidden_size
        self.weight_ih_l0 = nn.Parameter(torch.empty(4 * H, input_size))
        self.weight_hh_l0 = nn.Parameter(torch.empty(4 * H, H))
        self.bias_ih_l0 = nn.Parameter(torch.empty(4 * H))
        self.bias_hh_l0 = nn.Parameter(torch.empty(4 * H))
        ### END SOLUTION
        self.reset_parameters()

    def reset_parameters(self):
        ### BEGIN SOLUTION
        bound = 1.0 / math.sqrt(self.hidden_size)
        for p in self.parameters():
            nn.init.uniform_(p, -bound, bound)
        ### END SOLUTION

    def forward(self, x, state=None):
        ### BEGIN SOLUTION
        if self.batch_first:
            x = x.transpose(0, 1)  # (T, N, D)
        T, N, _ = x.shape
        H = self.hidden_size
        if state is None:
            h = x.new_zeros(N, H)
            c = x.new_zeros(N, H)
        else:
            h, c = state[0][0], state[1][0]
        # The input projection of all steps at once; only the hidden part stays in the loop.
        xw = x @ self.weight_ih_l0.T + self.bias_ih_l0 + self.bias_hh_l0  # (T, N, 4H)
        outputs = []
        for t in range(T):
            a = xw[t] + h @ self.weight_hh_l0.T
            i, f, g, o = a.chunk(4, dim=-1)
            c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
            h = torch.sigmoid(o) * torch.tanh(c)
            outputs.append(h)
        output = torch.stack(outputs)  # (T, N, H)
        if self.batch_first:
            output = output.transpose(0, 1)
        return output, (h.unsqueeze(0), c.unsqueeze(0))
        ### END SOLUTION


# %% [markdown] lstmlab={"kind": "readonly", "id": "parity-text"}
# A quick look before the check: load `nn.LSTM`'s weights and compare in float64.

# %% lstmlab={"kind": "readonly", "id": "parity"}
ref = nn.LSTM(3, 5).double()
mine = LSTM(3, 5).double()
mine.load_state_dict(ref.state_dict())
x = torch.randn(7, 2, 3, dtype=torch.float64)
print("max |difference|:", (mine(x)[0] - ref(x)[0]).abs().max().item())

# %% lstmlab={"kind": "tests", "id": "test_lstm_module", "points": 5}
from lstmlab.grading import check_torch_lstm

check_torch_lstm(LSTM)
### BEGIN HIDDEN TESTS
from lstmlab.grading import fresh

fresh().check_torch_lstm(LSTM, seed=401)
### END HIDDEN TESTS

# %% [markdown] lstmlab={"kind": "readonly", "id": "train-text"}
# ## Train it on the adding problem
#
# Put a linear read-out on the last hidden state and train with Adam on sequences of length
# T = 10 until the MSE is below **0.01** (always predicting 1 scores 1/6). `predict(x)` takes a NumPy
# `(T, N, 2)` batch and returns NumPy `(N, 1)` predictions; move data to `device` and back.

# %% lstmlab={"kind": "solution", "id": "train"}
T_ADD = 10


class Adder(nn.Module):
    def __init__(self, hidden_size=16):
        super().__init__()
        self.lstm = LSTM(2, hidden_size)
        self.out = nn.Linear(hidden_size, 1)

    def forward(self, x):
        output, _ = self.lstm(x)
        return self.out(output[-1])  # (N, 1)


model = Adder().to(device)
### BEGIN SOLUTION
opt = torch.optim.Adam(model.parameters(), lr=0.01)
rng = np.random.default_rng(0)
for step in range(600):
    data = adding_problem(32, T_ADD, rng)
    x = torch.as_tensor(data.x, dtype=torch.float32, device=device)
    y = torch.as_tensor(data.y, dtype=torch.float32, device=device)
    loss = nn.functional.mse_loss(model(x), y)
    opt.zero_grad()
    loss.backward()
    opt.step()
print(f"last training loss {loss.item():.5f} (baseline {ADDING_BASELINE_MSE:.3f})")
### END SOLUTION


def predict(x):
    """NumPy (T, N, 2) -> NumPy (N, 1)."""
    ### BEGIN SOLUTION
    with torch.no_grad():
        pred = model(torch.as_tensor(x, dtype=torch.float32, device=device))
    return pred.double().cpu().numpy()
    ### END SOLUTION


# %% lstmlab={"kind": "tests", "id": "test_adding", "points": 3}
from lstmlab.grading import check_adding_predictions

check_adding_predictions(predict, target_mse=0.01, T=10, torch_model=True)
### BEGIN HIDDEN TESTS
from lstmlab.grading import fresh

fresh().check_adding_predictions(predict, target_mse=0.01, T=10, seed=402, torch_model=True)
### END HIDDEN TESTS

# %% [markdown] lstmlab={"kind": "readonly", "id": "gpu-text"}
# ## Optional: time it on a GPU
#
# Not graded. Without CUDA this cell only says so. With a GPU, compare your module with
# `nn.LSTM` (which calls cuDNN's fused kernels) on a larger batch.

# %% lstmlab={"kind": "readonly", "id": "gpu-timing"}
if not torch.cuda.is_available():
    print("no CUDA device: skipping the timing")
else:
    def timed(net, x, repeats=10):
        net(x)  # warm-up
        torch.cuda.synchronize()
        start = time.perf_counter()
        for _ in range(repeats):
            net(x)
        torch.cuda.synchronize()
        return (time.perf_counter() - start) / repeats

    x = torch.randn(100, 256, 64, device="cuda")
    ours, theirs = LSTM(64, 256).cuda(), nn.LSTM(64, 256).cuda()
    t_ours, t_theirs = timed(ours, x), timed(theirs, x)
    print(f"yours {1e3 * t_ours:.2f} ms, nn.LSTM {1e3 * t_theirs:.2f} ms, ratio {t_ours / t_theirs:.1f}x")
