"""The charlm checks: the notebook's solutions pass quietly, typical mistakes fail with the
diagnosis that names them, credit carries forward from a wrong upstream function, and every
check replays from its evidence."""

from __future__ import annotations

import math
import textwrap

import nbformat
import numpy as np
import pytest

import lstmlab.grading as grading
from lstmlab import evidence
from lstmlab.data import load_char_data
from lstmlab.numpy import lstm_backward, lstm_forward
from lstmlab.numpy.optim import clip_grad_norm

from .expect import failure_message as _fails
from .solutions import NOTEBOOKS

_CELLS = ("vocab", "make_batches", "cross_entropy", "temperature_probs", "window_step", "train_epoch")


def _solutions() -> dict:
    """The instructor notebook's solution cells, executed (the vocabulary cell needs the corpus)."""
    nb = nbformat.read(NOTEBOOKS / "charlm" / "charlm.ipynb", as_version=4)
    by_id = {c.metadata.get("nbgrader", {}).get("grade_id"): c for c in nb.cells}
    data = load_char_data()
    ns = {"np": np, "math": math, "lstm_forward": lstm_forward, "lstm_backward": lstm_backward,
          "clip_grad_norm": clip_grad_norm, "corpus": data.corpus, "split": data.split}
    for grade_id in _CELLS:
        exec(compile(by_id[grade_id].source, f"<charlm:{grade_id}>", "exec"), ns)
    return ns


S = _solutions()


@pytest.mark.parametrize("seed", [0, 7])
def test_notebook_solutions_pass_every_check_quietly(seed, capsys):
    grading.check_build_vocab(S["build_vocab"], seed=seed)
    grading.check_encode(S["encode"], S["build_vocab"], seed=seed)
    grading.check_make_batches(S["make_batches"], seed=seed)
    grading.check_cross_entropy(S["cross_entropy"], seed=seed)
    grading.check_bits_per_char(S["bits_per_char"], S["cross_entropy"], seed=seed)
    grading.check_temperature_probs(S["temperature_probs"], seed=seed)
    grading.check_window_step(S["window_step"], S["cross_entropy"], seed=seed)
    grading.check_train_epoch(S["train_epoch"], seed=seed)
    out = capsys.readouterr()
    assert out.out == "" and out.err == ""


def _not_implemented(*args):
    raise NotImplementedError()


# ------------------------------------------------------------------ vocabulary and encoding

def test_an_unsorted_vocabulary_is_named():
    msg = _fails(grading.check_build_vocab, lambda text: list(dict.fromkeys(text)))
    assert "check_build_vocab: not right yet" in msg and "sort the characters by code point" in msg


def test_encode_is_judged_with_the_learners_own_vocabulary():
    def first_seen(text):  # a wrong vocabulary (unsorted), but a valid one
        return list(dict.fromkeys(text))

    grading.check_encode(S["encode"], first_seen)  # right encoding of their own vocabulary: credit
    grading.check_encode(S["encode"], _not_implemented)  # no vocabulary of theirs: judged with the right one
    msg = _fails(grading.check_encode, lambda text, chars: S["encode"](text, chars) + 1, S["build_vocab"])
    assert "ids start at 0" in msg
    msg = _fails(grading.check_encode, lambda text, chars: S["encode"](text, sorted(set(text))), first_seen)
    assert "use the vocabulary passed in as chars" in msg


# ------------------------------------------------------------------------- stateful batches

def _batches_round_robin(ids, N, T):
    S_ = len(ids) // N
    cols = ids[:S_ * N].reshape(S_, N)
    K = (S_ - 1) // T
    return (np.stack([cols[k * T:(k + 1) * T] for k in range(K)]),
            np.stack([cols[k * T + 1:(k + 1) * T + 1] for k in range(K)]))


def _batches_shift(shift):
    def make_batches(ids, N, T):
        S_ = len(ids) // N
        cols = ids[:S_ * N].reshape(N, S_).T
        K = (S_ - 1) // T
        return (np.stack([cols[k * T:(k + 1) * T] for k in range(K)]),
                np.stack([cols[k * T + shift:(k + 1) * T + shift] for k in range(K)]))
    return make_batches


@pytest.mark.parametrize("fn, words", [
    (_batches_round_robin, "round-robin"),
    (_batches_shift(0), "Y equals X"),
    (lambda ids, N, T: S["make_batches"](ids, N, T)[::-1], "X and Y are swapped"),
    (lambda ids, N, T: tuple(a.transpose(0, 2, 1) for a in S["make_batches"](ids, N, T)), "time-major"),
])
def test_batching_mistakes_are_named(fn, words):
    msg = _fails(grading.check_make_batches, fn)
    assert "check_make_batches: not right yet" in msg and words in msg


# --------------------------------------------------------------------- loss, bits, sampling

def _loss_sum_over_time(logits, targets):
    loss, d = S["cross_entropy"](logits, targets)
    return loss * targets.shape[0], d * targets.shape[0]


def _loss_mean_over_vocab(logits, targets):
    V = logits.shape[-1]
    logp = logits - np.log(np.exp(logits - logits.max(-1, keepdims=True)).sum(-1, keepdims=True)) \
        - logits.max(-1, keepdims=True)
    onehot = np.eye(V)[targets]
    return float(-np.mean(onehot * logp)), (np.exp(logp) - onehot) / onehot.size


def _loss_unstable(logits, targets):
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        p = np.exp(logits) / np.exp(logits).sum(-1, keepdims=True)
    T, N = targets.shape
    t, n = np.meshgrid(np.arange(T), np.arange(N), indexing="ij")
    d = p.copy()
    d[t, n, targets] -= 1
    return float(-np.log(p[t, n, targets]).mean()), d / (T * N)


@pytest.mark.parametrize("fn, words", [
    (_loss_sum_over_time, "averaged over the wrong axis"),
    (_loss_mean_over_vocab, "averaged over the vocabulary axis"),
    (_loss_unstable, "subtract the largest logit"),
])
def test_loss_mistakes_are_named(fn, words):
    msg = _fails(grading.check_cross_entropy, fn)
    assert "check_cross_entropy: not right yet" in msg and words in msg


def test_bits_per_char_gets_credit_for_converting_the_learners_own_loss():
    def bits(logits, targets):
        return _loss_sum_over_time(logits, targets)[0] / math.log(2)

    grading.check_bits_per_char(bits, _loss_sum_over_time)  # wrong loss, right conversion: credit here
    msg = _fails(grading.check_bits_per_char, bits, S["cross_entropy"])  # inconsistent with their loss
    assert "check_bits_per_char: not right yet" in msg
    msg = _fails(grading.check_bits_per_char, lambda lg, tg: S["cross_entropy"](lg, tg)[0], S["cross_entropy"])
    assert "divide by np.log(2)" in msg


def _softmax(z):
    e = np.exp(z - z.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


@pytest.mark.parametrize("fn, words", [
    (lambda logits, temperature: _softmax(logits) / temperature, "temperature is applied after the softmax"),
    (lambda logits, temperature: _softmax(logits * temperature), "multiplied by the temperature"),
])
def test_temperature_mistakes_are_named(fn, words):
    msg = _fails(grading.check_temperature_probs, fn)
    assert "check_temperature_probs: not right yet" in msg and words in msg


def test_overflow_at_low_temperature_is_named():
    def naive(logits, temperature):
        with np.errstate(over="ignore", invalid="ignore"):
            e = np.exp(logits / temperature)
            return e / e.sum(-1, keepdims=True)

    msg = _fails(grading.check_temperature_probs, naive)
    assert "case \"temperature 0.005\"" in msg and "subtract the largest value" in msg


def test_lstmlabs_own_sampling_helpers_are_refused():
    from lstmlab.lm.sampling import sampling_probs

    msg = _fails(grading.check_temperature_probs, lambda logits, temperature: sampling_probs(logits, temperature))
    assert "lstmlab/lm/sampling.py" in msg and "write it yourself" in msg


# ------------------------------------------------------------------- truncated BPTT windows

def _window_step_with(ce, state="carried"):
    def window_step(params, x, y, h0, c0):
        V = params["W_out"].shape[0]
        if state == "zeros":
            h0, c0 = np.zeros_like(h0), np.zeros_like(c0)
        hs, cs, cache = lstm_forward(np.eye(V)[x], h0, c0, params["W_ih"], params["W_hh"], params["b_ih"],
                                     params["b_hh"])
        logits = hs @ params["W_out"].T + params["b_out"]
        loss, dlogits = ce(logits, y)
        _, _, _, dW_ih, dW_hh, db_ih, db_hh = lstm_backward(dlogits @ params["W_out"], cache)
        grads = {"W_ih": dW_ih, "W_hh": dW_hh, "b_ih": db_ih, "b_hh": db_hh,
                 "W_out": np.einsum("tnv,tnh->vh", dlogits, hs), "b_out": dlogits.sum(axis=(0, 1))}
        if state == "first":
            return loss, grads, hs[0], cs[0]
        return loss, grads, hs[-1], cs[-1]
    return window_step


def test_window_step_gets_credit_with_the_learners_own_loss():
    grading.check_window_step(_window_step_with(_loss_sum_over_time), _loss_sum_over_time)
    msg = _fails(grading.check_window_step, _window_step_with(_loss_sum_over_time), S["cross_entropy"])
    assert "check_window_step: not right yet" in msg


def test_switching_credit_carried_forward_off_takes_charlm_s_carried_credit_away(monkeypatch):
    """With the course's ECF switch off for an assignment (LSTMLAB_ECF=0 in the kernel), a
    function is judged against the reference alone, however well it agrees with the learner's own
    (wrong) upstream function. (encode is handed the right vocabulary then, so it is unaffected.)"""
    def bits(logits, targets):
        return _loss_sum_over_time(logits, targets)[0] / math.log(2)

    grading.check_bits_per_char(bits, _loss_sum_over_time)  # switched on (the default): credit
    monkeypatch.setenv(evidence.ECF_ENV, "0")
    _fails(grading.check_bits_per_char, bits, _loss_sum_over_time)
    _fails(grading.check_window_step, _window_step_with(_loss_sum_over_time), _loss_sum_over_time)
    grading.check_encode(S["encode"], S["build_vocab"])  # right work still passes
    grading.check_window_step(_window_step_with(S["cross_entropy"]), S["cross_entropy"])


@pytest.mark.parametrize("state, words", [
    ("zeros", "start from the state passed in (h0, c0)"),
    ("first", "the state after the *last* step"),
])
def test_window_state_mistakes_are_named(state, words):
    msg = _fails(grading.check_window_step, _window_step_with(S["cross_entropy"], state), S["cross_entropy"])
    assert words in msg


def _epoch(mistake):
    def train_epoch(params, X, Y, window_step, opt, max_norm):
        N, H = X.shape[2], params["W_hh"].shape[1]
        h, c = np.zeros((N, H)), np.zeros((N, H))
        losses, norms, total = [], [], None
        for k in range(X.shape[0]):
            if mistake == "reset":
                h, c = np.zeros((N, H)), np.zeros((N, H))
            if mistake == "untruncated":  # the whole stream so far, every window: BPTT never truncated
                x = np.concatenate(list(X[:k + 1]))
                y = np.concatenate(list(Y[:k + 1]))
                loss, grads, _, _ = window_step(params, x, y, np.zeros((N, H)), np.zeros((N, H)))
            else:
                loss, grads, h, c = window_step(params, X[k], Y[k], h, c)
            clipped, norm = clip_grad_norm(grads, max_norm)
            if mistake == "accumulate":
                total = clipped if total is None else {n: total[n] + clipped[n] for n in clipped}
                clipped = total
            opt.step(grads if mistake == "unclipped" else clipped)
            losses.append(loss)
            norms.append(min(norm, max_norm) if mistake == "norm_after" else norm)
        return losses, norms
    return train_epoch


@pytest.mark.parametrize("mistake, words", [
    ("reset", "the state is not carried"),
    ("untruncated", "call window_step once per window"),
    ("norm_after", "before clipping"),
    ("unclipped", "clip first"),
    ("accumulate", "accumulate over windows"),
])
def test_epoch_mistakes_are_named(mistake, words):
    msg = _fails(grading.check_train_epoch, _epoch(mistake))
    assert "check_train_epoch: not right yet" in msg and words in msg


# ------------------------------------------------------------------------- the trained model

def _bigram_predict(chars, alpha=0.1):
    """A cheap causal 'model': smoothed bigram log-probabilities of the training text as logits."""
    data = load_char_data()
    ids = S["encode"](data.split.train, chars)
    V = len(chars)
    counts = np.full((V, V), alpha)
    np.add.at(counts, (ids[:-1], ids[1:]), 1.0)
    table = np.log(counts / counts.sum(1, keepdims=True))
    return lambda x: table[x]


def test_the_trained_model_check_measures_bits_per_character():
    chars = S["build_vocab"](load_char_data().corpus.text)
    predict = _bigram_predict(chars)
    grading.check_charlm_bpc(predict, chars, target_bpc=4.0)  # a bigram scores about 3.4
    msg = _fails(grading.check_charlm_bpc, predict, chars, target_bpc=3.0)
    assert "bits per character on the first 4020 characters of the validation split; needs < 3" in msg
    msg = _fails(grading.check_charlm_bpc, predict, chars[:-5], target_bpc=4.0)
    assert "not in chars" in msg


def test_a_model_that_looks_ahead_is_caught():
    chars = S["build_vocab"](load_char_data().corpus.text)
    V = len(chars)

    def peeking(x):  # predicts x[t+1] exactly: 0 bits, if allowed
        logits = np.zeros(x.shape + (V,))
        logits[:-1] = 50.0 * np.eye(V)[x[1:]]
        return logits

    msg = _fails(grading.check_charlm_bpc, peeking, chars, target_bpc=4.0)
    assert "must use x[:t+1] only" in msg


# ------------------------------------------------------------------------- record and replay

CELL = """
from lstmlab.grading import (check_bits_per_char, check_build_vocab, check_cross_entropy, check_encode,
                             check_make_batches, check_temperature_probs, check_train_epoch, check_window_step)
check_build_vocab(build_vocab)
check_encode(encode, build_vocab)
check_make_batches(make_batches)
check_cross_entropy(cross_entropy)
check_bits_per_char(bits_per_char, cross_entropy)
check_temperature_probs(temperature_probs)
check_window_step(window_step, cross_entropy)
check_train_epoch(train_epoch)
"""


@pytest.fixture
def recording(tmp_path, monkeypatch):
    path = tmp_path / "evidence.jsonl"
    monkeypatch.setenv(evidence.ENV, str(path))
    return lambda: evidence.read(str(path))


def test_every_charlm_check_replays_from_its_evidence(recording):
    exec(compile(textwrap.dedent(CELL), "<cell>", "exec"), dict(S))
    records = recording()
    assert len(records) == 8
    assert evidence.replay_cell(CELL, records) is None
    # The recorded gradients train_epoch sent to opt.step are checked again in the replay.
    epoch = records[-1]
    sent = evidence.decode(epoch["values"][1])
    sent[0]["W_out"] = sent[0]["W_out"] * 2.0
    epoch["values"][1] = evidence.encode(sent)
    assert "not window 0's clipped gradients" in evidence.replay_cell(CELL, records)


def test_credit_carried_forward_replays_too(recording):
    cell = "from lstmlab.grading import check_bits_per_char, check_encode\n" \
           "check_encode(encode, build_vocab)\ncheck_bits_per_char(bits_per_char, cross_entropy)\n"
    ns = {"encode": S["encode"], "build_vocab": _not_implemented, "cross_entropy": _loss_sum_over_time,
          "bits_per_char": lambda lg, tg: _loss_sum_over_time(lg, tg)[0] / math.log(2)}
    exec(compile(cell, "<cell>", "exec"), ns)
    assert evidence.replay_cell(cell, recording()) is None


def test_the_trained_model_check_replays(recording):
    chars = S["build_vocab"](load_char_data().corpus.text)
    cell = "from lstmlab.grading import check_charlm_bpc\ncheck_charlm_bpc(predict, chars, target_bpc=4.0)\n"
    exec(compile(cell, "<cell>", "exec"), {"predict": _bigram_predict(chars), "chars": chars})
    records = recording()
    assert evidence.replay_cell(cell, records) is None
    forged = ["\u2603" if ch == "e" else ch for ch in chars]  # a claimed vocabulary without "e"
    records[0]["values"][0] = evidence.encode(forged)
    assert "not in chars" in evidence.replay_cell(cell, records)
