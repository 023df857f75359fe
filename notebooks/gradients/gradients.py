# %% [markdown] lstmlab={"kind": "readonly", "id": "intro"}
# # Assignment 2: vanishing and exploding gradients, and clipping
#
# Backpropagation through time multiplies the gradient by one Jacobian per step. In this
# assignment you measure what that does to $\partial L/\partial h_t$ for recurrent weights of
# different spectral radius, then write the two usual remedies for explosion — clipping by
# norm and by value — and watch norm clipping rescue a training run that otherwise fails.
# Background: the book's chapters on [vanishing and exploding gradients]({book}/03-vanishing-exploding.html)
# and on [gradient clipping]({book}/04-clipping.html).
#
# **Shapes.** T steps, N batch, D inputs, H hidden units; `x` `(T, N, D)`; the RNN of
# assignment 1: $h_t = \tanh(x_t W_{ih}^\top + b_{ih} + h_{t-1} W_{hh}^\top + b_{hh})$ with
# `W_ih (H, D)`, `W_hh (H, H)`, `b_ih, b_hh (H,)`.
#
# **Rules.** NumPy only inside your functions (lstmlab's reference is off limits there); float64;
# run all cells in order before you submit.

# %% lstmlab={"kind": "readonly", "id": "setup"}
import numpy as np

from lstmlab.cliff import loss_and_grad, wall_position

rng = np.random.default_rng(0)

# %% [markdown] lstmlab={"kind": "readonly", "id": "norms-text"}
# ## 1. How big is $\partial L / \partial h_t$?
#
# Take the loss $L = \sum h_{T-1} \odot$ `dh_last`: it looks only at the last hidden state, so
# $\partial L/\partial h_{T-1}$ = `dh_last`, and every earlier gradient comes from BPTT alone:
#
# $$\frac{\partial L}{\partial h_{t-1}} = \Big(\frac{\partial L}{\partial h_t} \odot (1 - h_t^2)\Big) W_{hh}.$$
#
# Write `hidden_grad_norms(x, h0, W_ih, W_hh, b_ih, b_hh, dh_last)`: run the RNN forward, walk
# back, and return a `(T,)` array whose entry t is the norm $\lVert \partial L/\partial h_t \rVert$
# (square root of the sum of squares over the batch and the hidden units).

# %% lstmlab={"kind": "solution", "id": "hidden_grad_norms"}
def hidden_grad_norms(x, h0, W_ih, W_hh, b_ih, b_hh, dh_last):
    """x (T, N, D), h0 (N, H), dh_last (N, H) -> norms (T,), norms[t] = ||dL/dh_t||."""
    ### BEGIN SOLUTION
    T = x.shape[0]
    hs = []
    h = h0
    for t in range(T):
        h = np.tanh(x[t] @ W_ih.T + b_ih + h @ W_hh.T + b_hh)
        hs.append(h)
    norms = np.zeros(T)
    dh = dh_last
    for t in reversed(range(T)):
        norms[t] = np.sqrt(np.sum(dh**2))
        dh = (dh * (1.0 - hs[t] ** 2)) @ W_hh
    ### END SOLUTION
    return norms


# %% lstmlab={"kind": "tests", "id": "test_hidden_grad_norms", "points": 3}
from lstmlab.grading import check_hidden_grad_norms

check_hidden_grad_norms(hidden_grad_norms)
### BEGIN HIDDEN TESTS
from lstmlab.grading import fresh

fresh().check_hidden_grad_norms(hidden_grad_norms, seed=201)
### END HIDDEN TESTS

# %% [markdown] lstmlab={"kind": "readonly", "id": "radius-text"}
# Now scale a random `W_hh` to several spectral radii (its largest eigenvalue modulus) and
# compare the gradient 40 steps back with the one at the last step. Small inputs keep the tanh
# units near their linear range, where the radius decides almost alone.

# %% lstmlab={"kind": "readonly", "id": "radius-table"}
T, N, D, H = 41, 4, 3, 32
x = rng.standard_normal((T, N, D)) * 0.1
W_ih = rng.standard_normal((H, D)) * 0.1
W = rng.standard_normal((H, H)) / np.sqrt(H)
W /= np.max(np.abs(np.linalg.eigvals(W)))  # spectral radius 1
dh_last = rng.standard_normal((N, H))
print("radius   ||dL/dh_0|| / ||dL/dh_40||")
for radius in (0.5, 0.9, 1.0, 1.1, 1.5):
    norms = hidden_grad_norms(x, np.zeros((N, H)), W_ih, radius * W, np.zeros(H), np.zeros(H), dh_last)
    print(f"{radius:5.1f}    {norms[0] / norms[-1]:.3e}")

# %% [markdown] lstmlab={"kind": "readonly", "id": "clip-text"}
# ## 2. Clipping
#
# Gradients are kept in a dict of arrays, e.g. `{"W_ih": ..., "W_hh": ..., "b_ih": ...}`.
#
# * `clip_grad_norm(grads, max_norm)`: the global norm is $\sqrt{\sum_k \lVert g_k \rVert^2}$ over
#   every array. If it exceeds `max_norm`, multiply **every** array by the same factor
#   `max_norm / (norm + 1e-6)` (the 1e-6 is `torch.nn.utils.clip_grad_norm_`'s); otherwise leave
#   them alone. Return a new dict and the norm measured **before** clipping, as a float.
# * `clip_grad_value(grads, clip)`: limit every entry to `[-clip, clip]`; return a new dict.
#
# Don't modify `grads` in place.

# %% lstmlab={"kind": "solution", "id": "clip_grad_norm"}
def clip_grad_norm(grads, max_norm):
    """dict of arrays -> (clipped dict, total_norm before clipping)."""
    ### BEGIN SOLUTION
    total = float(np.sqrt(sum(np.sum(g**2) for g in grads.values())))
    scale = min(1.0, max_norm / (total + 1e-6))
    clipped = {k: g * scale for k, g in grads.items()}
    ### END SOLUTION
    return clipped, total


# %% lstmlab={"kind": "tests", "id": "test_clip_grad_norm", "points": 2}
from lstmlab.grading import check_clip_grad_norm

check_clip_grad_norm(clip_grad_norm)
### BEGIN HIDDEN TESTS
from lstmlab.grading import fresh

fresh().check_clip_grad_norm(clip_grad_norm, seed=202)
### END HIDDEN TESTS

# %% lstmlab={"kind": "solution", "id": "clip_grad_value"}
def clip_grad_value(grads, clip):
    """dict of arrays -> dict with every entry limited to [-clip, clip]."""
    ### BEGIN SOLUTION
    clipped = {k: np.clip(g, -clip, clip) for k, g in grads.items()}
    ### END SOLUTION
    return clipped


# %% lstmlab={"kind": "tests", "id": "test_clip_grad_value", "points": 2}
from lstmlab.grading import check_clip_grad_value

check_clip_grad_value(clip_grad_value)
### BEGIN HIDDEN TESTS
from lstmlab.grading import fresh

fresh().check_clip_grad_value(clip_grad_value, seed=203)
### END HIDDEN TESTS

# %% [markdown] lstmlab={"kind": "readonly", "id": "cliff-text"}
# ## 3. Clipping rescues a run that explodes
#
# The smallest network with an exploding gradient has one tanh unit and no input:
# $h_t = \tanh(w h_{t-1} + b)$ for 50 steps from $h_0 = 0.5$, with loss $(h_{50} + 1)^2$.
# Near $w \approx$ `wall_position()` the loss jumps from about 4 to about 0 over a tiny range of w,
# so $\partial L/\partial w$ there is enormous. `loss_and_grad(w)` returns the loss, $\partial L/\partial w$
# and $\partial L/\partial b$ (b stays fixed here).
#
# Write `descend(w0, lr, n_steps, max_norm=None)`: plain gradient descent on w,
# `w <- w - lr * g`, where g is clipped with **your** `clip_grad_norm({"w": g}, max_norm)` when
# `max_norm` is given. Return the list of the `n_steps` losses (the loss before each update).

# %% lstmlab={"kind": "solution", "id": "descend"}
def descend(w0, lr, n_steps, max_norm=None):
    losses = []
    w = w0
    for _ in range(n_steps):
        ### BEGIN SOLUTION
        loss, g, _ = loss_and_grad(w)
        losses.append(float(loss))
        if max_norm is not None:
            g = clip_grad_norm({"w": np.asarray(g, dtype=float)}, max_norm)[0]["w"]
        w = w - lr * float(g)
        ### END SOLUTION
    return losses


print(f"the wall is at w = {wall_position():.4f}")
losses_plain = descend(2.0, lr=0.05, n_steps=200)
losses_clipped = descend(2.0, lr=0.05, n_steps=200, max_norm=1.0)
print(f"without clipping: loss {losses_plain[0]:.3f} -> {losses_plain[-1]:.3f}")
print(f"with clipping:    loss {losses_clipped[0]:.3f} -> {losses_clipped[-1]:.3f}")

# %% lstmlab={"kind": "tests", "id": "test_clipping_rescue", "points": 2}
from lstmlab.grading import check_clipping_rescue

check_clipping_rescue(losses_plain, losses_clipped, target=0.05)
### BEGIN HIDDEN TESTS
from lstmlab.grading import fresh

fresh().check_clipping_rescue(descend(2.0, lr=0.05, n_steps=200), descend(2.0, lr=0.05, n_steps=200, max_norm=1.0),
                              target=0.05)
### END HIDDEN TESTS

# %% [markdown] lstmlab={"kind": "readonly", "id": "written-text"}
# ## 4. Written answer
#
# In two or three sentences: clipping by norm and clipping by value both cap a huge gradient.
# Which of the two keeps the direction of the full gradient, and why can that matter when the
# gradient has many entries of very different sizes?

# %% [markdown] lstmlab={"kind": "manual", "id": "norm_vs_value", "points": 2}
# ### BEGIN SOLUTION
# *Model answer (for the grader).* Norm clipping multiplies every entry by the same factor, so the
# clipped gradient points the same way as the original and only its length changes. Value
# clipping caps each entry separately: large entries are cut while small ones are kept, so the
# direction changes — it can point far from the true descent direction when a few entries are huge
# (as on the cliff, where the explosion sits in a few recurrent weights). Full marks: norm keeps
# the direction (1), value clipping changes it, with the reason (1).
# ### END SOLUTION
