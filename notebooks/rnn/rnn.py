# %% [markdown] lstmlab={"kind": "readonly", "id": "intro"}
# # Assignment 1: the recurrent network and backpropagation through time
#
# In this assignment you write a vanilla (tanh) recurrent network in NumPy: one step
# forward and backward, then a whole sequence forward and backward — backpropagation
# through time (BPTT). The book's chapters on [the recurrent network]({book}/01-rnn.html)
# and on [BPTT]({book}/06-bptt.html) derive every formula used here.
#
# **Shapes.** T time steps, N sequences in a batch, D input features, H hidden units.
# Sequences are *time-major*: `x` has shape `(T, N, D)` and `x[t]` is the whole batch at step t.
# The weights follow `torch.nn.RNN`:
#
# | name | shape | role |
# |---|---|---|
# | `W_ih` | `(H, D)` | input to hidden |
# | `W_hh` | `(H, H)` | hidden to hidden |
# | `b_ih`, `b_hh` | `(H,)` | the two biases (both are added) |
#
# $$a_t = x_t W_{ih}^\top + b_{ih} + h_{t-1} W_{hh}^\top + b_{hh}, \qquad h_t = \tanh(a_t).$$
#
# **Rules.** Use NumPy only. The checks compare your functions with lstmlab's reference;
# calling that reference (`lstmlab.numpy`) from your functions fails the check. Keep everything
# in float64. Each test cell prints nothing when your code is right and explains what is wrong
# when it is not. A backward pass is checked through your own forward: if the forward has a
# mistake the checks can name and your backward is exact for *that* forward, the backward's
# cells keep their points with a note ("credit carried forward"); the mistake costs only the
# forward's own cell. Run all cells in order (Kernel → Restart & Run All) before you submit.

# %% lstmlab={"kind": "readonly", "id": "setup"}
import numpy as np

from lstmlab.gradcheck import numerical_gradient, rel_error

rng = np.random.default_rng(0)

# %% [markdown] lstmlab={"kind": "readonly", "id": "step-forward-text"}
# ## 1. One step forward
#
# Write `rnn_step_forward(x, h_prev, W_ih, W_hh, b_ih, b_hh)` for one step: `x` is `(N, D)`,
# `h_prev` is `(N, H)`. Return the new state `h` `(N, H)` and a `cache`: whatever your
# backward pass will need (a tuple or a dict of arrays is fine).

# %% lstmlab={"kind": "solution", "id": "rnn_step_forward"}
def rnn_step_forward(x, h_prev, W_ih, W_hh, b_ih, b_hh):
    """One tanh RNN step. x (N, D), h_prev (N, H) -> h (N, H), cache."""
    ### BEGIN SOLUTION
    h = np.tanh(x @ W_ih.T + b_ih + h_prev @ W_hh.T + b_hh)  # (N, H)
    cache = (x, h_prev, h, W_ih, W_hh)
    ### END SOLUTION
    return h, cache


# %% lstmlab={"kind": "tests", "id": "test_rnn_step_forward", "points": 2}
from lstmlab.grading import check_rnn_step_forward

check_rnn_step_forward(rnn_step_forward)
### BEGIN HIDDEN TESTS
from lstmlab.grading import fresh

fresh().check_rnn_step_forward(rnn_step_forward, seed=101)
### END HIDDEN TESTS

# %% [markdown] lstmlab={"kind": "readonly", "id": "step-backward-text"}
# ## 2. One step backward
#
# Given `dh` `(N, H)`, the gradient of the loss with respect to this step's `h`, return the
# gradients with respect to every input of the forward, in the forward's order:
# `dx (N, D), dh_prev (N, H), dW_ih (H, D), dW_hh (H, H), db_ih (H,), db_hh (H,)`.
#
# The chain rule goes through the tanh first: with $h = \tanh(a)$, $\partial L/\partial a =
# \partial L/\partial h \odot (1 - h^2)$. The gradients of `x`, `h_prev` and the two weight
# matrices are matrix products with $\partial L/\partial a$ (`da`); the two bias gradients are
# `da` **summed over the batch** (each bias is added to every row). Each gradient has the shape
# of the thing it is the gradient of: `db_ih` is `(H,)`, not `(1, H)`.

# %% lstmlab={"kind": "solution", "id": "rnn_step_backward"}
def rnn_step_backward(dh, cache):
    """Backward of rnn_step_forward. dh (N, H) -> dx, dh_prev, dW_ih, dW_hh, db_ih, db_hh."""
    ### BEGIN SOLUTION
    x, h_prev, h, W_ih, W_hh = cache
    da = dh * (1.0 - h * h)  # (N, H) through the tanh
    dx = da @ W_ih
    dh_prev = da @ W_hh
    dW_ih = da.T @ x
    dW_hh = da.T @ h_prev
    db_ih = da.sum(axis=0)
    db_hh = da.sum(axis=0)
    ### END SOLUTION
    return dx, dh_prev, dW_ih, dW_hh, db_ih, db_hh


# %% lstmlab={"kind": "tests", "id": "test_rnn_step_backward_inputs", "points": 2}
# Partial credit: this cell checks the gradients with respect to the inputs only.
from lstmlab.grading import check_rnn_step_backward

check_rnn_step_backward(rnn_step_forward, rnn_step_backward, grads=("dx", "dh_prev"))
### BEGIN HIDDEN TESTS
from lstmlab.grading import fresh

fresh().check_rnn_step_backward(rnn_step_forward, rnn_step_backward, seed=102, grads=("dx", "dh_prev"))
### END HIDDEN TESTS

# %% lstmlab={"kind": "tests", "id": "test_rnn_step_backward_weights", "points": 2}
from lstmlab.grading import check_rnn_step_backward

check_rnn_step_backward(rnn_step_forward, rnn_step_backward, grads=("dW_ih", "dW_hh", "db_ih", "db_hh"))
### BEGIN HIDDEN TESTS
from lstmlab.grading import fresh

fresh().check_rnn_step_backward(rnn_step_forward, rnn_step_backward, seed=103,
                                grads=("dW_ih", "dW_hh", "db_ih", "db_hh"))
### END HIDDEN TESTS

# %% [markdown] lstmlab={"kind": "readonly", "id": "gradcheck-text"}
# ## 3. Check your gradient numerically
#
# A backward pass can be checked without any reference: nudge each input entry by ±h and
# watch the loss $L = \sum h \odot dh$ change. `numerical_gradient(f, x, df)` does exactly that
# (centred differences) for a function `f` of one array `x`. A correct float64 backward agrees to
# a relative error of about 1e-8 or better. Run this cell; it should print small numbers.

# %% lstmlab={"kind": "readonly", "id": "gradcheck-step"}
N, D, H = 3, 4, 5
x = rng.standard_normal((N, D))
h_prev = rng.standard_normal((N, H))
W_ih, W_hh = rng.standard_normal((H, D)) * 0.5, rng.standard_normal((H, H)) * 0.5
b_ih, b_hh = rng.standard_normal(H), rng.standard_normal(H)
dh = rng.standard_normal((N, H))

h, cache = rnn_step_forward(x, h_prev, W_ih, W_hh, b_ih, b_hh)
dx, dh_prev, dW_ih, dW_hh, db_ih, db_hh = rnn_step_backward(dh, cache)
dx_num = numerical_gradient(lambda x_: rnn_step_forward(x_, h_prev, W_ih, W_hh, b_ih, b_hh)[0], x, dh)
dW_hh_num = numerical_gradient(lambda W: rnn_step_forward(x, h_prev, W_ih, W, b_ih, b_hh)[0], W_hh, dh)
print("dx    relative error:", rel_error(dx, dx_num))
print("dW_hh relative error:", rel_error(dW_hh, dW_hh_num))

# %% [markdown] lstmlab={"kind": "readonly", "id": "forward-text"}
# ## 4. A whole sequence forward
#
# Write `rnn_forward(x, h0, W_ih, W_hh, b_ih, b_hh)`: `x` is `(T, N, D)`, `h0` is `(N, H)`.
# Run your step T times, feeding each step's `h` into the next, and return `hs` `(T, N, H)` — the
# hidden state after every step — and a cache for the backward pass.

# %% lstmlab={"kind": "solution", "id": "rnn_forward"}
def rnn_forward(x, h0, W_ih, W_hh, b_ih, b_hh):
    """x (T, N, D), h0 (N, H) -> hs (T, N, H), cache."""
    ### BEGIN SOLUTION
    T = x.shape[0]
    hs = np.zeros((T, h0.shape[0], W_hh.shape[0]))
    step_caches = []
    h = h0
    for t in range(T):
        h, step_cache = rnn_step_forward(x[t], h, W_ih, W_hh, b_ih, b_hh)
        hs[t] = h
        step_caches.append(step_cache)
    cache = step_caches
    ### END SOLUTION
    return hs, cache


# %% lstmlab={"kind": "tests", "id": "test_rnn_forward", "points": 2}
from lstmlab.grading import check_rnn_forward

check_rnn_forward(rnn_forward)
### BEGIN HIDDEN TESTS
from lstmlab.grading import fresh

fresh().check_rnn_forward(rnn_forward, seed=104)
### END HIDDEN TESTS

# %% [markdown] lstmlab={"kind": "readonly", "id": "backward-text"}
# ## 5. Backpropagation through time
#
# Write `rnn_backward(dhs, cache)`. `dhs` `(T, N, H)` holds the gradient of the loss with
# respect to every hidden state *as the loss sees it directly* (zeros at steps the loss does
# not look at). Walk the steps backwards. At step t the gradient reaching $h_t$ has two parts:
# `dhs[t]`, and what step t+1 sends back through $h_t W_{hh}^\top$ (its `dh_prev`).
# The weights are shared by all steps, so their gradients are **sums over t**.
#
# Return `dx (T, N, D), dh0 (N, H), dW_ih, dW_hh, db_ih, db_hh`.

# %% lstmlab={"kind": "solution", "id": "rnn_backward"}
def rnn_backward(dhs, cache):
    """dhs (T, N, H) -> dx (T, N, D), dh0 (N, H), dW_ih, dW_hh, db_ih, db_hh."""
    ### BEGIN SOLUTION
    T = dhs.shape[0]
    x0, _, _, W_ih, W_hh = cache[0]
    dx = np.zeros((T,) + x0.shape)
    dW_ih, dW_hh = np.zeros_like(W_ih), np.zeros_like(W_hh)
    db_ih, db_hh = np.zeros(W_hh.shape[0]), np.zeros(W_hh.shape[0])
    dh_next = np.zeros_like(dhs[0])
    for t in reversed(range(T)):
        dx[t], dh_next, dWi, dWh, dbi, dbh = rnn_step_backward(dhs[t] + dh_next, cache[t])
        dW_ih += dWi
        dW_hh += dWh
        db_ih += dbi
        db_hh += dbh
    dh0 = dh_next
    ### END SOLUTION
    return dx, dh0, dW_ih, dW_hh, db_ih, db_hh


# %% lstmlab={"kind": "tests", "id": "test_rnn_backward_inputs", "points": 3}
from lstmlab.grading import check_rnn_backward

check_rnn_backward(rnn_forward, rnn_backward, grads=("dx", "dh0"))
### BEGIN HIDDEN TESTS
from lstmlab.grading import fresh

fresh().check_rnn_backward(rnn_forward, rnn_backward, seed=105, grads=("dx", "dh0"))
### END HIDDEN TESTS

# %% lstmlab={"kind": "tests", "id": "test_rnn_backward_weights", "points": 3}
from lstmlab.grading import check_rnn_backward

check_rnn_backward(rnn_forward, rnn_backward, grads=("dW_ih", "dW_hh", "db_ih", "db_hh"))
### BEGIN HIDDEN TESTS
from lstmlab.grading import fresh

fresh().check_rnn_backward(rnn_forward, rnn_backward, seed=106, grads=("dW_ih", "dW_hh", "db_ih", "db_hh"))
### END HIDDEN TESTS

# %% [markdown] lstmlab={"kind": "readonly", "id": "gradcheck-seq-text"}
# Check BPTT numerically too: the gradient with respect to `W_hh` collects a contribution
# from every step, so it is the one most often wrong.

# %% lstmlab={"kind": "readonly", "id": "gradcheck-seq"}
T, N, D, H = 6, 2, 3, 4
x = rng.standard_normal((T, N, D))
h0 = rng.standard_normal((N, H))
W_ih, W_hh = rng.standard_normal((H, D)) * 0.5, rng.standard_normal((H, H)) * 0.5
b_ih, b_hh = rng.standard_normal(H), rng.standard_normal(H)
dhs = rng.standard_normal((T, N, H))

hs, cache = rnn_forward(x, h0, W_ih, W_hh, b_ih, b_hh)
dx, dh0, dW_ih, dW_hh, db_ih, db_hh = rnn_backward(dhs, cache)
dW_hh_num = numerical_gradient(lambda W: rnn_forward(x, h0, W_ih, W, b_ih, b_hh)[0], W_hh, dhs)
dh0_num = numerical_gradient(lambda h: rnn_forward(x, h, W_ih, W_hh, b_ih, b_hh)[0], h0, dhs)
print("dW_hh relative error:", rel_error(dW_hh, dW_hh_num))
print("dh0   relative error:", rel_error(dh0, dh0_num))

# %% [markdown] lstmlab={"kind": "readonly", "id": "written-text"}
# ## 6. Written answer
#
# Going back one step multiplies the gradient by the Jacobian
# $\partial h_t / \partial h_{t-1} = \operatorname{diag}(1 - h_t^2)\, W_{hh}$.
# In a few sentences: why does $\lVert \partial L / \partial h_{t-k} \rVert$ usually shrink
# or grow exponentially in k? What decides which of the two happens? (Think of the largest
# singular value of $W_{hh}$ and the size of $1 - h_t^2$.)

# %% [markdown] lstmlab={"kind": "manual", "id": "why_gradients_vanish", "points": 3}
# ### BEGIN SOLUTION
# *Model answer (for the grader).* The gradient k steps back is the product of k Jacobians diag(1 - h^2) W_hh applied to
# dL/dh_t. Its norm is bounded by the product of their norms, at most
# (max|1 - h^2| * sigma_max(W_hh))^k: when that factor is below 1 the bound (and in practice
# the gradient) decays exponentially. When sigma_max(W_hh) (or the spectral radius) is well
# above 1 and the units are not saturated, the product can grow exponentially. Saturated tanh
# units (1 - h^2 near 0) push towards vanishing. Full marks: product of Jacobians (1),
# exponential in k through a per-step factor (1), the role of W_hh's largest singular value /
# eigenvalue and of tanh' <= 1 (1).
# ### END SOLUTION
