# %% [markdown] lstmlab={"kind": "readonly", "id": "intro"}
# # Assignment 3: the LSTM, forward and backward
#
# You write the long short-term memory cell in NumPy — one step, then a whole sequence with
# backpropagation through time — check it numerically, and train it on the adding problem.
# The book's chapters on [the LSTM]({book}/05-lstm.html) and on [BPTT]({book}/06-bptt.html)
# derive the equations; this notebook uses the same notation.
#
# **Shapes.** T steps, N batch, D inputs, H hidden units; `x` is `(T, N, D)` (time-major).
# The weights follow `torch.nn.LSTM`: the four gates are stacked along the rows.
#
# | name | shape |
# |---|---|
# | `W_ih` | `(4H, D)` |
# | `W_hh` | `(4H, H)` |
# | `b_ih`, `b_hh` | `(4H,)` |
#
# The pre-activation $a_t = x_t W_{ih}^\top + b_{ih} + h_{t-1} W_{hh}^\top + b_{hh}$ is `(N, 4H)`;
# its four column blocks are, **in this order**, the input gate i, the forget gate f, the
# candidate g and the output gate o (`a[:, :H]`, `a[:, H:2H]`, `a[:, 2H:3H]`, `a[:, 3H:]`):
#
# $$i = \sigma(a_i),\quad f = \sigma(a_f),\quad g = \tanh(a_g),\quad o = \sigma(a_o),$$
# $$c_t = f \odot c_{t-1} + i \odot g, \qquad h_t = o \odot \tanh(c_t).$$
#
# **Rules.** NumPy only; calling lstmlab's reference (`lstmlab.numpy`) from your functions fails
# the checks. Keep float64. Write your own sigmoid (a stable one avoids overflow warnings for
# large negative inputs). As in the RNN assignment, a backward exact for your own forward keeps
# its points when the forward's mistake is one the checks name (credit carried forward). Run all
# cells in order before you submit.

# %% lstmlab={"kind": "readonly", "id": "setup"}
import numpy as np

from lstmlab.data import ADDING_BASELINE_MSE, adding_problem
from lstmlab.gradcheck import numerical_gradient, rel_error
from lstmlab.numpy.optim import Adam

rng = np.random.default_rng(0)

# %% [markdown] lstmlab={"kind": "readonly", "id": "step-forward-text"}
# ## 1. One step forward
#
# `lstm_step_forward(x, h_prev, c_prev, W_ih, W_hh, b_ih, b_hh)`: `x` `(N, D)`, `h_prev` and
# `c_prev` `(N, H)`. Return `h`, `c` (both `(N, H)`) and a cache for the backward pass.

# %% lstmlab={"kind": "solution", "id": "lstm_step_forward"}
def sigmoid(a):
    """Logistic function that never overflows: exp is only taken of -|a|."""
    ### BEGIN SOLUTION
    e = np.exp(-np.abs(a))
    return np.where(a >= 0, 1.0 / (1.0 + e), e / (1.0 + e))
    ### END SOLUTION


def lstm_step_forward(x, h_prev, c_prev, W_ih, W_hh, b_ih, b_hh):
    """One LSTM step. x (N, D), h_prev (N, H), c_prev (N, H) -> h, c, cache."""
    ### BEGIN SOLUTION
    H = h_prev.shape[1]
    a = x @ W_ih.T + b_ih + h_prev @ W_hh.T + b_hh  # (N, 4H)
    i = sigmoid(a[:, :H])
    f = sigmoid(a[:, H:2 * H])
    g = np.tanh(a[:, 2 * H:3 * H])
    o = sigmoid(a[:, 3 * H:])
    c = f * c_prev + i * g
    tanh_c = np.tanh(c)
    h = o * tanh_c
    cache = (x, h_prev, c_prev, i, f, g, o, tanh_c, W_ih, W_hh)
    ### END SOLUTION
    return h, c, cache


# %% lstmlab={"kind": "tests", "id": "test_lstm_step_forward", "points": 2}
from lstmlab.grading import check_lstm_step_forward

check_lstm_step_forward(lstm_step_forward)
### BEGIN HIDDEN TESTS
from lstmlab.grading import fresh

fresh().check_lstm_step_forward(lstm_step_forward, seed=301)
### END HIDDEN TESTS

# %% [markdown] lstmlab={"kind": "readonly", "id": "step-backward-text"}
# ## 2. One step backward
#
# `lstm_step_backward(dh, dc, cache)` receives two upstream gradients: `dh` at this step's
# `h` and `dc` at its `c` (what the next step sends back along the cell state). The cell state
# gets gradient from both: $\partial L/\partial c_t = dc + dh \odot o \odot (1 - \tanh^2 c_t)$.
# From there, go through each gate's activation, put the four blocks back together **in the
# order i, f, g, o** to get `da` `(N, 4H)`, and finish as in the RNN. The gradient passed to
# the previous cell state is $\partial L/\partial c_t \odot f$.
#
# Return `dx, dh_prev, dc_prev, dW_ih, dW_hh, db_ih, db_hh`.

# %% lstmlab={"kind": "solution", "id": "lstm_step_backward"}
def lstm_step_backward(dh, dc, cache):
    """Backward of lstm_step_forward -> dx, dh_prev, dc_prev, dW_ih, dW_hh, db_ih, db_hh."""
    ### BEGIN SOLUTION
    x, h_prev, c_prev, i, f, g, o, tanh_c, W_ih, W_hh = cache
    dc_total = dc + dh * o * (1.0 - tanh_c**2)
    da_i = dc_total * g * i * (1.0 - i)
    da_f = dc_total * c_prev * f * (1.0 - f)
    da_g = dc_total * i * (1.0 - g**2)
    da_o = dh * tanh_c * o * (1.0 - o)
    da = np.concatenate([da_i, da_f, da_g, da_o], axis=1)  # (N, 4H)
    dx = da @ W_ih
    dh_prev = da @ W_hh
    dc_prev = dc_total * f
    dW_ih = da.T @ x
    dW_hh = da.T @ h_prev
    db_ih = da.sum(axis=0)
    db_hh = da.sum(axis=0)
    ### END SOLUTION
    return dx, dh_prev, dc_prev, dW_ih, dW_hh, db_ih, db_hh


# %% lstmlab={"kind": "tests", "id": "test_lstm_step_backward_states", "points": 3}
from lstmlab.grading import check_lstm_step_backward

check_lstm_step_backward(lstm_step_forward, lstm_step_backward, grads=("dx", "dh_prev", "dc_prev"))
### BEGIN HIDDEN TESTS
from lstmlab.grading import fresh

fresh().check_lstm_step_backward(lstm_step_forward, lstm_step_backward, seed=302,
                                 grads=("dx", "dh_prev", "dc_prev"))
### END HIDDEN TESTS

# %% lstmlab={"kind": "tests", "id": "test_lstm_step_backward_weights", "points": 2}
from lstmlab.grading import check_lstm_step_backward

check_lstm_step_backward(lstm_step_forward, lstm_step_backward, grads=("dW_ih", "dW_hh", "db_ih", "db_hh"))
### BEGIN HIDDEN TESTS
from lstmlab.grading import fresh

fresh().check_lstm_step_backward(lstm_step_forward, lstm_step_backward, seed=303,
                                 grads=("dW_ih", "dW_hh", "db_ih", "db_hh"))
### END HIDDEN TESTS

# %% [markdown] lstmlab={"kind": "readonly", "id": "sequence-text"}
# ## 3. The whole sequence
#
# `lstm_forward(x, h0, c0, W_ih, W_hh, b_ih, b_hh)` returns `hs`, `cs` (both `(T, N, H)`) and a
# cache. `lstm_backward(dhs, cache)` takes the upstream gradient at every hidden state `(T, N, H)`
# and returns `dx (T, N, D), dh0, dc0 (N, H), dW_ih, dW_hh, db_ih, db_hh`. Going backwards, carry
# **two** gradients from step t+1 to step t: the one along h (added to `dhs[t]`) and the one along c
# (the `dc` of the step). Forgetting the second one is the classic LSTM bug: the network then cannot
# learn long dependencies, and nothing crashes.

# %% lstmlab={"kind": "solution", "id": "lstm_forward"}
def lstm_forward(x, h0, c0, W_ih, W_hh, b_ih, b_hh):
    """x (T, N, D), h0 and c0 (N, H) -> hs (T, N, H), cs (T, N, H), cache."""
    ### BEGIN SOLUTION
    T, N = x.shape[0], x.shape[1]
    H = W_hh.shape[1]
    hs, cs = np.zeros((T, N, H)), np.zeros((T, N, H))
    h, c, caches = h0, c0, []
    for t in range(T):
        h, c, step_cache = lstm_step_forward(x[t], h, c, W_ih, W_hh, b_ih, b_hh)
        hs[t], cs[t] = h, c
        caches.append(step_cache)
    cache = caches
    ### END SOLUTION
    return hs, cs, cache


# %% lstmlab={"kind": "tests", "id": "test_lstm_forward", "points": 2}
from lstmlab.grading import check_lstm_forward

check_lstm_forward(lstm_forward)
### BEGIN HIDDEN TESTS
from lstmlab.grading import fresh

fresh().check_lstm_forward(lstm_forward, seed=304)
### END HIDDEN TESTS

# %% lstmlab={"kind": "solution", "id": "lstm_backward"}
def lstm_backward(dhs, cache):
    """dhs (T, N, H) -> dx (T, N, D), dh0, dc0 (N, H), dW_ih, dW_hh, db_ih, db_hh."""
    ### BEGIN SOLUTION
    T = dhs.shape[0]
    x0, W_ih, W_hh = cache[0][0], cache[0][8], cache[0][9]
    dx = np.zeros((T,) + x0.shape)
    dW_ih, dW_hh = np.zeros_like(W_ih), np.zeros_like(W_hh)
    db_ih, db_hh = np.zeros(W_hh.shape[0]), np.zeros(W_hh.shape[0])
    dh_next = np.zeros_like(dhs[0])
    dc_next = np.zeros_like(dhs[0])
    for t in reversed(range(T)):
        dx[t], dh_next, dc_next, dWi, dWh, dbi, dbh = lstm_step_backward(dhs[t] + dh_next, dc_next, cache[t])
        dW_ih += dWi
        dW_hh += dWh
        db_ih += dbi
        db_hh += dbh
    dh0, dc0 = dh_next, dc_next
    ### END SOLUTION
    return dx, dh0, dc0, dW_ih, dW_hh, db_ih, db_hh


# %% lstmlab={"kind": "tests", "id": "test_lstm_backward_inputs", "points": 3}
from lstmlab.grading import check_lstm_backward

check_lstm_backward(lstm_forward, lstm_backward, grads=("dx",))
### BEGIN HIDDEN TESTS
from lstmlab.grading import fresh

fresh().check_lstm_backward(lstm_forward, lstm_backward, seed=305, grads=("dx",))
### END HIDDEN TESTS

# %% lstmlab={"kind": "tests", "id": "test_lstm_backward_states", "points": 2}
from lstmlab.grading import check_lstm_backward

check_lstm_backward(lstm_forward, lstm_backward, grads=("dh0", "dc0"))
### BEGIN HIDDEN TESTS
from lstmlab.grading import fresh

fresh().check_lstm_backward(lstm_forward, lstm_backward, seed=306, grads=("dh0", "dc0"))
### END HIDDEN TESTS

# %% lstmlab={"kind": "tests", "id": "test_lstm_backward_weights", "points": 3}
from lstmlab.grading import check_lstm_backward

check_lstm_backward(lstm_forward, lstm_backward, grads=("dW_ih", "dW_hh", "db_ih", "db_hh"))
### BEGIN HIDDEN TESTS
from lstmlab.grading import fresh

fresh().check_lstm_backward(lstm_forward, lstm_backward, seed=307, grads=("dW_ih", "dW_hh", "db_ih", "db_hh"))
### END HIDDEN TESTS

# %% [markdown] lstmlab={"kind": "readonly", "id": "gradcheck-text"}
# ## 4. Gradient check
#
# Compare your BPTT with centred differences. Relative errors around 1e-8 or smaller mean the
# backward pass is right; 1e-3 or more means a term is missing.

# %% lstmlab={"kind": "readonly", "id": "gradcheck"}
T, N, D, H = 5, 2, 3, 4
x = rng.standard_normal((T, N, D))
h0, c0 = rng.standard_normal((N, H)), rng.standard_normal((N, H))
W_ih, W_hh = rng.standard_normal((4 * H, D)) * 0.5, rng.standard_normal((4 * H, H)) * 0.5
b_ih, b_hh = rng.standard_normal(4 * H), rng.standard_normal(4 * H)
dhs = rng.standard_normal((T, N, H))

hs, cs, cache = lstm_forward(x, h0, c0, W_ih, W_hh, b_ih, b_hh)
dx, dh0, dc0, dW_ih, dW_hh, db_ih, db_hh = lstm_backward(dhs, cache)
for name, analytic, array in (("dx", dx, x), ("dc0", dc0, c0), ("dW_hh", dW_hh, W_hh)):
    def f(_):  # the inputs are perturbed in place, so the closure sees the change
        return lstm_forward(x, h0, c0, W_ih, W_hh, b_ih, b_hh)[0]
    print(f"{name:6s} relative error: {rel_error(analytic, numerical_gradient(f, array, dhs)):.2e}")

# %% [markdown] lstmlab={"kind": "readonly", "id": "train-text"}
# ## 5. Train your LSTM on the adding problem
#
# Each sequence carries pairs `[value, marker]`; two steps are marked and the target is the sum
# of their two values. `data = adding_problem(n, T, seed)` returns a `Batch`: use its fields
# `data.x` `(T, N, 2)` and `data.y` `(N, 1)` (unpacking it as `x, y = data` fails: a `Batch`
# also has the fields `lengths` and `vocab`, both `None` here).
# Predicting 1 every time scores an MSE of `ADDING_BASELINE_MSE` = 1/6. A linear read-out of the
# last hidden state, `pred = hs[-1] @ W_out.T + b_out`, turns the LSTM into a predictor.
#
# Complete `train_adding`: forward, MSE loss, gradient at `hs`, your `lstm_backward`, the read-out's
# gradients, and an Adam step (`opt.step(grads)`, grads keyed like `params`). Every sequence
# starts from zero states: `h0 = c0 = np.zeros((N, H))`, in training and in `predict`. Then `predict(x)` must
# return `(N, 1)` predictions from the trained parameters. Target: MSE below **0.01** on fresh
# sequences of length T = 10 (a few hundred steps; a forget-gate bias of 1 helps early on).

# %% lstmlab={"kind": "solution", "id": "train_adding"}
T_ADD = 10


def init_lstm_params(D, H, rng):
    bound = 1.0 / np.sqrt(H)
    params = {
        "W_ih": rng.uniform(-bound, bound, (4 * H, D)),
        "W_hh": rng.uniform(-bound, bound, (4 * H, H)),
        "b_ih": rng.uniform(-bound, bound, 4 * H),
        "b_hh": rng.uniform(-bound, bound, 4 * H),
        "W_out": rng.standard_normal((1, H)) * 0.1,
        "b_out": np.ones(1),
    }
    params["b_ih"][H:2 * H] += 1.0  # forget-gate bias: remember by default
    return params


def train_adding(params, steps=600, batch=32, lr=0.01, seed=0):
    rng = np.random.default_rng(seed)
    opt = Adam(params, lr=lr)
    losses = []
    for step in range(steps):
        data = adding_problem(batch, T_ADD, rng)
        ### BEGIN SOLUTION
        N, H = batch, params["W_hh"].shape[1]
        hs, cs, cache = lstm_forward(data.x, np.zeros((N, H)), np.zeros((N, H)),
                                     params["W_ih"], params["W_hh"], params["b_ih"], params["b_hh"])
        pred = hs[-1] @ params["W_out"].T + params["b_out"]  # (N, 1)
        err = pred - data.y
        loss = float(np.mean(err**2))
        dpred = 2.0 * err / err.size
        dhs = np.zeros_like(hs)
        dhs[-1] = dpred @ params["W_out"]
        _, _, _, dW_ih, dW_hh, db_ih, db_hh = lstm_backward(dhs, cache)
        grads = {"W_ih": dW_ih, "W_hh": dW_hh, "b_ih": db_ih, "b_hh": db_hh,
                 "W_out": dpred.T @ hs[-1], "b_out": dpred.sum(axis=0)}
        opt.step(grads)
        ### END SOLUTION
        losses.append(loss)
    return losses


def predict(x):
    """x (T, N, 2) -> predictions (N, 1) from the trained `params`."""
    ### BEGIN SOLUTION
    N, H = x.shape[1], params["W_hh"].shape[1]
    hs, _, _ = lstm_forward(x, np.zeros((N, H)), np.zeros((N, H)),
                            params["W_ih"], params["W_hh"], params["b_ih"], params["b_hh"])
    return hs[-1] @ params["W_out"].T + params["b_out"]
    ### END SOLUTION


params = init_lstm_params(2, 16, np.random.default_rng(1))
losses = train_adding(params)
print(f"training loss: first {losses[0]:.3f}, last 50 steps {np.mean(losses[-50:]):.5f} "
      f"(baseline {ADDING_BASELINE_MSE:.3f})")

# %% lstmlab={"kind": "tests", "id": "test_adding", "points": 3}
from lstmlab.grading import check_adding_predictions

check_adding_predictions(predict, target_mse=0.01, T=10)
### BEGIN HIDDEN TESTS
from lstmlab.grading import fresh

fresh().check_adding_predictions(predict, target_mse=0.01, T=10, seed=308)
### END HIDDEN TESTS
