# %% [markdown] lstmlab={"kind": "readonly", "id": "intro"}
# # Assignment 5: a character language model on real text
#
# You train an LSTM to predict the next character of Python's own documentation (the text
# `help()` shows, `pydoc_data.topics`, shipped with every CPython: no download), measure it in
# bits per character, and sample from it. You write every piece around the LSTM: the
# vocabulary and the encoding, stateful batches of a long stream, the loss and bits per
# character, temperature sampling, and training with truncated backpropagation through time
# ([BPTT]({book}/06-bptt.html)) and gradient-norm [clipping]({book}/04-clipping.html). The LSTM
# itself is [yours from assignment 3]({book}/05-lstm.html), or lstmlab's (`lstm_forward`,
# `lstm_backward` below): both compute the same thing.
#
# **Shapes.** L characters in a stream, V characters in the vocabulary, T steps per window, N
# parallel columns (the batch), H hidden units, K windows. Windows are time-major, `(T, N)`
# integer ids. The model's parameters are a dict of float64 arrays: the LSTM's `W_ih (4H, V)`,
# `W_hh (4H, H)`, `b_ih`, `b_hh (4H,)` (its input is the one-hot vector of a character), and the
# read-out `W_out (V, H)`, `b_out (V,)`: `logits = hs @ W_out.T + b_out`, `(T, N, V)`.
#
# **Rules.** NumPy only. The functions of sections 1 to 4 may not call lstmlab's text tools and
# language-model helpers (`lstmlab.data.text`, `lstmlab.lm`) or `lstmlab.numpy`: the checks fail
# them if they do. From section 5 on, lstmlab's LSTM is allowed. Run all cells in order before you
# submit; the two training cells take about 11 s of CPU each.

# %% lstmlab={"kind": "readonly", "id": "setup"}
import math
import os
import time

# The model's matrices are small: one BLAS thread is faster than several (and it is what the
# course's grader gives each notebook).  Set before numpy is first imported, or it has no effect.
for _name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_name, "1")

import numpy as np

from lstmlab.data import load_char_data
from lstmlab.numpy import lstm_backward, lstm_forward
from lstmlab.numpy.optim import Adam, clip_grad_norm

data = load_char_data()  # the corpus, its fixed train/validation/test split (seed 0)
corpus, split = data.corpus, data.split
print(f"pydoc_data.topics of Python {corpus.python_version}, sha256 {corpus.sha256[:16]}...: "
      f"{len(corpus.text):,} characters; train {len(split.train):,}, validation {len(split.validation):,}, "
      f"test {len(split.test):,}")
print(split.train[:300])

# %% [markdown] lstmlab={"kind": "readonly", "id": "vocab-text"}
# ## 1. Characters as tokens
#
# `build_vocab(text)` returns the list of the distinct characters of `text`, **sorted by code
# point** (so the ids never depend on where a character first appears). `encode(text, chars)`
# returns the `(L,)` int64 array of ids, the id of a character being its position in `chars`.
# A dict from character to id, built once, is much faster than `chars.index` on a long text.

# %% lstmlab={"kind": "solution", "id": "vocab"}
def build_vocab(text):
    """text (str) -> chars: list of the distinct characters, sorted."""
    ### BEGIN SOLUTION
    return sorted(set(text))
    ### END SOLUTION


def encode(text, chars):
    """text (str of L characters), chars (V,) -> ids (L,) int64."""
    ### BEGIN SOLUTION
    index = {c: i for i, c in enumerate(chars)}
    return np.array([index[c] for c in text], dtype=np.int64)
    ### END SOLUTION


chars = build_vocab(corpus.text)  # the whole corpus: no split meets an unknown character
V = len(chars)
train_ids, val_ids = encode(split.train, chars), encode(split.validation, chars)
print(f"V = {V} characters: {''.join(chars)!r}")

# %% lstmlab={"kind": "tests", "id": "test_build_vocab", "points": 1}
from lstmlab.grading import check_build_vocab

check_build_vocab(build_vocab)
### BEGIN HIDDEN TESTS
from lstmlab.grading import fresh

fresh().check_build_vocab(build_vocab, seed=501)
### END HIDDEN TESTS

# %% lstmlab={"kind": "tests", "id": "test_encode", "points": 1}
from lstmlab.grading import check_encode

check_encode(encode, build_vocab)
### BEGIN HIDDEN TESTS
from lstmlab.grading import fresh

fresh().check_encode(encode, build_vocab, seed=502)
### END HIDDEN TESTS

# %% [markdown] lstmlab={"kind": "readonly", "id": "batches-text"}
# ## 2. Stateful batches of one long stream
#
# A recurrent model reads text left to right, but backpropagating through 400,000 steps is
# impossible. Truncated BPTT cuts the stream into windows of T steps, backpropagates inside a
# window only, and **carries the hidden state** from one window to the next, so the model still
# reads the text as one long sequence. For a batch, cut the stream into N contiguous columns
# and walk down all of them together:
#
# * `S = L // N`; column `i` is `ids[i*S:(i+1)*S]` (the last `L % N` ids are dropped), i.e.
#   `ids[:S*N].reshape(N, S).T`, an `(S, N)` array;
# * window `k` has inputs `X[k]` = steps `k*T ... k*T + T - 1` of every column, `(T, N)`, and
#   targets `Y[k]` = the steps one further on (the **next** character of each input);
# * `K = (S - 1) // T` full windows (a shorter last one is dropped).
#
# Then window `k + 1` begins exactly where window `k` ended, in every column: the state the
# model has after `X[k]` is the right state to start `X[k + 1]` from.
#
# `make_batches(ids, N, T)` returns `X, Y`, both `(K, T, N)` int64.

# %% lstmlab={"kind": "solution", "id": "make_batches"}
def make_batches(ids, N, T):
    """ids (L,) -> X, Y (K, T, N): N contiguous columns cut into K windows; Y is X shifted by one."""
    ### BEGIN SOLUTION
    S = len(ids) // N
    cols = ids[:S * N].reshape(N, S).T  # (S, N)
    K = (S - 1) // T
    X = np.stack([cols[k * T:(k + 1) * T] for k in range(K)])
    Y = np.stack([cols[k * T + 1:(k + 1) * T + 1] for k in range(K)])
    return X, Y
    ### END SOLUTION


# %% lstmlab={"kind": "tests", "id": "test_make_batches", "points": 2}
from lstmlab.grading import check_make_batches

check_make_batches(make_batches)
### BEGIN HIDDEN TESTS
from lstmlab.grading import fresh

fresh().check_make_batches(make_batches, seed=503)
### END HIDDEN TESTS

# %% [markdown] lstmlab={"kind": "readonly", "id": "loss-text"}
# ## 3. The loss and bits per character
#
# The model gives logits `(T, N, V)`; the loss is the cross-entropy of the true next character,
# **averaged over the T·N positions** (every character counts once, whatever the window shape):
#
# $$\ell = -\frac{1}{TN}\sum_{t,n} \log \mathrm{softmax}(z_{t,n})_{y_{t,n}}, \qquad
# \frac{\partial \ell}{\partial z_{t,n}} = \frac{\mathrm{softmax}(z_{t,n}) - \mathrm{onehot}(y_{t,n})}{TN}.$$
#
# `cross_entropy(logits, targets)` returns the loss in nats (a float) and `dlogits`. Compute
# the log-softmax stably: subtract each position's largest logit before `np.exp`.
# `bits_per_char(logits, targets)` is the same loss in bits: nats / ln 2. A uniform guess over
# V characters scores log2 V ≈ 6.7 bits; English text is often quoted near 1 to 1.5 bits for
# the best models.

# %% lstmlab={"kind": "solution", "id": "cross_entropy"}
def cross_entropy(logits, targets):
    """logits (T, N, V), targets (T, N) int -> loss (float, nats), dlogits (T, N, V)."""
    ### BEGIN SOLUTION
    shifted = logits - logits.max(axis=-1, keepdims=True)
    logp = shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))
    T, N = targets.shape
    t, n = np.meshgrid(np.arange(T), np.arange(N), indexing="ij")
    loss = float(-logp[t, n, targets].mean())
    dlogits = np.exp(logp)
    dlogits[t, n, targets] -= 1.0
    return loss, dlogits / (T * N)
    ### END SOLUTION


def bits_per_char(logits, targets):
    """logits (T, N, V), targets (T, N) -> the mean cross-entropy in bits (float)."""
    ### BEGIN SOLUTION
    return cross_entropy(logits, targets)[0] / math.log(2)
    ### END SOLUTION


# %% lstmlab={"kind": "tests", "id": "test_cross_entropy", "points": 2}
from lstmlab.grading import check_cross_entropy

check_cross_entropy(cross_entropy)
### BEGIN HIDDEN TESTS
from lstmlab.grading import fresh

fresh().check_cross_entropy(cross_entropy, seed=504)
### END HIDDEN TESTS

# %% lstmlab={"kind": "tests", "id": "test_bits_per_char", "points": 1}
from lstmlab.grading import check_bits_per_char

check_bits_per_char(bits_per_char, cross_entropy)
### BEGIN HIDDEN TESTS
from lstmlab.grading import fresh

fresh().check_bits_per_char(bits_per_char, cross_entropy, seed=505)
### END HIDDEN TESTS

# %% [markdown] lstmlab={"kind": "readonly", "id": "temperature-text"}
# ## 4. Temperature
#
# To sample, turn the logits of the last step into probabilities and draw. The temperature τ
# scales the logits **before** the softmax: `softmax(logits / τ)`. τ = 1 is the model's own
# distribution; τ < 1 sharpens it (τ → 0 is the argmax, greedy decoding); τ > 1 flattens it.
# Dividing the probabilities by τ after the softmax does not do this. At τ = 0.005 the scaled
# logits are large: subtract their maximum before `np.exp`.
#
# `temperature_probs(logits, temperature)`: logits `(N, V)` -> probabilities `(N, V)`.

# %% lstmlab={"kind": "solution", "id": "temperature_probs"}
def temperature_probs(logits, temperature):
    """logits (N, V), temperature > 0 -> softmax(logits / temperature) (N, V)."""
    ### BEGIN SOLUTION
    z = logits / temperature
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)
    ### END SOLUTION


# %% lstmlab={"kind": "tests", "id": "test_temperature_probs", "points": 2}
from lstmlab.grading import check_temperature_probs

check_temperature_probs(temperature_probs)
### BEGIN HIDDEN TESTS
from lstmlab.grading import fresh

fresh().check_temperature_probs(temperature_probs, seed=506)
### END HIDDEN TESTS

# %% [markdown] lstmlab={"kind": "readonly", "id": "window-text"}
# ## 5. One window of truncated BPTT
#
# `window_step(params, x, y, h0, c0)` runs the model on one window `x` `(T, N)` from the state
# `(h0, c0)` `(N, H)` carried in from the previous window:
#
# 1. one-hot inputs `np.eye(V)[x]` `(T, N, V)` through the LSTM (`lstm_forward`), from `h0, c0`;
# 2. `logits = hs @ W_out.T + b_out`; `loss, dlogits = cross_entropy(logits, y)`;
# 3. back through the read-out (`dhs = dlogits @ W_out`, `dW_out = Σ_t dlogits[t].T @ hs[t]`,
#    `db_out` the sum of `dlogits` over t and n) and through the LSTM (`lstm_backward`).
#
# Return `loss`, the gradients (a dict keyed like `params`), and `h, c`: the state after the
# **last** step, which the next window starts from. The gradient stops at `h0, c0`: they are
# plain arrays, and `lstm_backward`'s `dh0, dc0` are simply not used. That is the truncation
# (in PyTorch it has to be written: `h = h.detach()`).

# %% lstmlab={"kind": "solution", "id": "window_step"}
def window_step(params, x, y, h0, c0):
    """x, y (T, N) ids, h0, c0 (N, H) -> loss, grads (dict like params), h, c (N, H)."""
    ### BEGIN SOLUTION
    V = params["W_out"].shape[0]
    hs, cs, cache = lstm_forward(np.eye(V)[x], h0, c0, params["W_ih"], params["W_hh"], params["b_ih"],
                                 params["b_hh"])
    logits = hs @ params["W_out"].T + params["b_out"]
    loss, dlogits = cross_entropy(logits, y)
    dhs = dlogits @ params["W_out"]
    _, _, _, dW_ih, dW_hh, db_ih, db_hh = lstm_backward(dhs, cache)
    grads = {"W_ih": dW_ih, "W_hh": dW_hh, "b_ih": db_ih, "b_hh": db_hh,
             "W_out": np.einsum("tnv,tnh->vh", dlogits, hs), "b_out": dlogits.sum(axis=(0, 1))}
    return loss, grads, hs[-1], cs[-1]
    ### END SOLUTION


# %% lstmlab={"kind": "tests", "id": "test_window_step", "points": 3}
from lstmlab.grading import check_window_step

check_window_step(window_step, cross_entropy)
### BEGIN HIDDEN TESTS
from lstmlab.grading import fresh

fresh().check_window_step(window_step, cross_entropy, seed=507)
### END HIDDEN TESTS

# %% [markdown] lstmlab={"kind": "readonly", "id": "epoch-text"}
# ## 6. An epoch: the state carried, the gradient clipped
#
# `train_epoch(params, X, Y, window_step, opt, max_norm)` goes through the K windows in order.
# The state starts at zeros **once**, before the first window; after that each window starts
# from the `(h, c)` the previous one returned. For each window: `window_step`, then clip the
# gradients to a global norm of `max_norm` (`clip_grad_norm` from assignment 2, or lstmlab's,
# imported above), then `opt.step(clipped)`. Return `losses` and `norms` (the norm **before**
# clipping), one float per window. The window step is a parameter, so the check can hand your
# loop a correct one: a mistake in section 5 costs nothing here.

# %% lstmlab={"kind": "solution", "id": "train_epoch"}
def train_epoch(params, X, Y, window_step, opt, max_norm):
    """X, Y (K, T, N) -> losses, norms (one float per window); updates params through opt."""
    ### BEGIN SOLUTION
    N, H = X.shape[2], params["W_hh"].shape[1]
    h, c = np.zeros((N, H)), np.zeros((N, H))
    losses, norms = [], []
    for k in range(X.shape[0]):
        loss, grads, h, c = window_step(params, X[k], Y[k], h, c)
        clipped, norm = clip_grad_norm(grads, max_norm)
        opt.step(clipped)
        losses.append(loss)
        norms.append(norm)
    return losses, norms
    ### END SOLUTION


# %% lstmlab={"kind": "tests", "id": "test_train_epoch", "points": 3}
from lstmlab.grading import check_train_epoch

check_train_epoch(train_epoch)
### BEGIN HIDDEN TESTS
from lstmlab.grading import fresh

fresh().check_train_epoch(train_epoch, seed=508)
### END HIDDEN TESTS

# %% [markdown] lstmlab={"kind": "readonly", "id": "train-text"}
# ## 7. Train it
#
# Train on the training split with windows of T = 32 steps, N = 32 columns and H = 128 hidden
# units, Adam with a learning rate of 0.01 and clipping at a norm of 5, for two epochs (810
# windows, about 22 s on one CPU core). Then write `predict(x)`: the logits `(T, N, V)`
# of the trained model for ids `x` `(T, N)`, starting from a zero state.
#
# The target: fewer than **2.3 bits per character** on the first 4,020 characters of the
# validation split. The best count model, a trigram with tuned add-α smoothing, scores 2.50 on
# the whole validation split and 2.62 on those characters; the LSTM beats it within two epochs
# (the reference solution scores 1.98 to 2.04 over three seeds).

# %% lstmlab={"kind": "solution", "id": "train"}
N_COLS, T_WINDOW, HIDDEN, SEED = 32, 32, 128, 0


def init_params(V, H, rng):
    bound = 1.0 / np.sqrt(H)
    params = {"W_ih": rng.uniform(-bound, bound, (4 * H, V)), "W_hh": rng.uniform(-bound, bound, (4 * H, H)),
              "b_ih": rng.uniform(-bound, bound, 4 * H), "b_hh": rng.uniform(-bound, bound, 4 * H),
              "W_out": rng.standard_normal((V, H)) * 0.1, "b_out": np.zeros(V)}
    params["b_ih"][H:2 * H] = 1.0  # forget-gate bias: remember by default
    return params


X_train, Y_train = make_batches(train_ids, N_COLS, T_WINDOW)
params = init_params(V, HIDDEN, np.random.default_rng(SEED))
opt = Adam(params, lr=0.01)
history = []


def run_epoch():
    """One pass over the training windows with your train_epoch (one cell per epoch, so that
    no cell runs long)."""
    start = time.process_time()
    losses, norms = train_epoch(params, X_train, Y_train, window_step, opt, max_norm=5.0)
    history.append((losses, norms))
    print(f"epoch {len(history)}: {len(losses)} windows, training loss {np.mean(losses[-50:]) / math.log(2):.3f} "
          f"bits/char (last 50 windows), gradient norm median {np.median(norms):.2f}, "
          f"{time.process_time() - start:.0f} s of CPU")


def predict(x):
    """x (T, N) ids -> logits (T, N, V) of the trained model, from a zero state."""
    ### BEGIN SOLUTION
    H = params["W_hh"].shape[1]
    zeros = np.zeros((x.shape[1], H))
    hs, _, _ = lstm_forward(np.eye(V)[x], zeros, zeros, params["W_ih"], params["W_hh"], params["b_ih"],
                            params["b_hh"])
    return hs @ params["W_out"].T + params["b_out"]
    ### END SOLUTION


# %% lstmlab={"kind": "readonly", "id": "epoch-1"}
run_epoch()

# %% lstmlab={"kind": "readonly", "id": "epoch-2"}
run_epoch()
x_val, y_val = make_batches(val_ids, 8, 500)
print(f"validation: {bits_per_char(predict(x_val[0]), y_val[0]):.3f} bits per character")

# %% lstmlab={"kind": "tests", "id": "test_charlm_bpc", "points": 3}
from lstmlab.grading import check_charlm_bpc

check_charlm_bpc(predict, chars, target_bpc=2.3)
### BEGIN HIDDEN TESTS
from lstmlab.grading import fresh

fresh().check_charlm_bpc(predict, chars, target_bpc=2.3)
### END HIDDEN TESTS

# %% [markdown] lstmlab={"kind": "readonly", "id": "sample-text"}
# ## 8. Samples
#
# Feed a prompt, then one character at a time: each new character is drawn from
# `temperature_probs` of the last step's logits and fed back in, the state carried. Low
# temperatures repeat the most likely phrases; high ones invent words.

# %% lstmlab={"kind": "readonly", "id": "samples"}
def generate(prompt, length, temperature, rng):
    H = params["W_hh"].shape[1]
    h, c = np.zeros((1, H)), np.zeros((1, H))
    ids = list(encode(prompt, chars))
    x = np.array(ids)[:, None]
    for _ in range(length):
        hs, cs, _ = lstm_forward(np.eye(V)[x], h, c, params["W_ih"], params["W_hh"], params["b_ih"], params["b_hh"])
        h, c = hs[-1], cs[-1]
        probs = temperature_probs(hs[-1] @ params["W_out"].T + params["b_out"], temperature)[0]
        ids.append(int(rng.choice(V, p=probs)))
        x = np.array([[ids[-1]]])
    return "".join(chars[i] for i in ids)


for temperature in (0.3, 0.7, 1.0):
    print(f"--- temperature {temperature}\n{generate('The ', 200, temperature, np.random.default_rng(0))}\n")
