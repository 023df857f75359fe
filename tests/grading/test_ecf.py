"""Error carried forward: a backward exact for the learner's own forward, whose mistake a
diagnosis names, earns its cells; the grader confirms it from the evidence alone (forged
evidence earns nothing); zeros, constants and stubs earn nothing; it can be switched off."""

from __future__ import annotations

import numpy as np
import pytest

import lstmlab.grading as grading
from lstmlab import evidence
from lstmlab.grading import _cells

from .expect import failure_message as _fails
from . import solutions as s
from .mistakes import MISTAKES, solution_sources

RNN, LSTM = s.RNN, s.LSTM


def _learner(mistake_name: str) -> dict:
    """The namespace of an assignment's solutions with one corpus mistake in it (every
    function defined again in it, so a sequence function calls the mistaken step)."""
    mistake = next(m for m in MISTAKES if m.name == mistake_name)
    return s.solutions(mistake.assignment, solution_sources(mistake))


NO_B_IH = _learner("rnn: b_ih left out of the forward, backward right")
IFOG = _learner("lstm: gates sliced i, f, o, g, backward exact for that order")

CELL = """
from lstmlab.grading import check_rnn_step_backward, fresh
check_rnn_step_backward(rnn_step_forward, rnn_step_backward)
fresh().check_rnn_backward(rnn_forward, rnn_backward, seed=105)
"""


@pytest.fixture
def recording(tmp_path, monkeypatch):
    path = tmp_path / "evidence.jsonl"
    monkeypatch.setenv(evidence.ENV, str(path))
    monkeypatch.delenv(evidence.ECF_ENV, raising=False)
    return lambda: evidence.read(str(path))


# ------------------------------------------------------------------- credit and its note

def test_a_backward_exact_for_a_known_forward_mistake_passes_with_the_note(capsys, monkeypatch):
    monkeypatch.delenv(evidence.ECF_ENV, raising=False)
    grading.check_rnn_step_backward(NO_B_IH["rnn_step_forward"], NO_B_IH["rnn_step_backward"])
    grading.check_lstm_backward(IFOG["lstm_forward"], IFOG["lstm_backward"], seed=3)
    out = capsys.readouterr().out
    assert ("check_rnn_step_backward: credit carried forward: your backward is exact for your forward, whose "
            "mistake (b_ih is missing) is scored in its own cell (rnn_step_forward).") in out
    assert "whose mistake (the gates are sliced as i, f, o, g) is scored in its own cell" in out
    # ... and the forward's own cell still fails, naming the mistake.
    assert "b_ih is missing" in _fails(grading.check_rnn_step_forward, NO_B_IH["rnn_step_forward"])


def test_switched_off_the_same_backward_fails_and_says_why(monkeypatch):
    monkeypatch.setenv(evidence.ECF_ENV, "0")
    msg = _fails(grading.check_rnn_step_backward, NO_B_IH["rnn_step_forward"], NO_B_IH["rnn_step_backward"])
    assert "can't be checked until rnn_step_forward is right" in msg
    assert "credit carried forward is switched off for this assignment" in msg


def test_a_backward_not_exact_for_the_mistaken_forward_fails(monkeypatch):
    monkeypatch.delenv(evidence.ECF_ENV, raising=False)
    msg = _fails(grading.check_lstm_step_backward, IFOG["lstm_step_forward"], LSTM["lstm_step_backward"])
    assert "known mistake (the gates are sliced as i, f, o, g)" in msg and "yours is not" in msg


# ---------------------------------------------------------------------- the replay decides

def test_the_replay_confirms_carried_credit_only_when_the_assignment_allows_it(recording):
    exec(compile(CELL, "<cell>", "exec"), dict(NO_B_IH))
    records = recording()
    assert evidence.replay_cell(CELL, records) is None
    reason = evidence.replay_cell(CELL, records, ecf=False)
    assert reason is not None and "can't be checked until rnn_step_forward is right" in reason


def test_forged_evidence_for_a_made_up_forward_backward_pair_earns_nothing(recording):
    """A consistent pair no diagnosis knows -- h = tanh(a) / 2 and its exact gradient (every
    gradient halved) -- written into honest evidence: the replay refuses it."""
    exec(compile(CELL, "<cell>", "exec"), dict(RNN))
    records = recording()
    assert evidence.replay_cell(CELL, records) is None
    for record in records:
        values = record["values"]
        for k in range(0, len(values), 2):  # (forward result, backward result) per case
            h, cache = evidence.decode(values[k])
            values[k] = evidence.encode((h * 0.5, cache))
            values[k + 1] = evidence.encode(tuple(g * 0.5 for g in evidence.decode(values[k + 1])))
    reason = evidence.replay_cell(CELL, records)
    assert reason is not None and "can't be checked until rnn_step_forward is right" in reason


def test_forged_evidence_pairing_a_known_forward_mistake_with_another_backward_earns_nothing(recording):
    """The forward outputs of a known mistake (b_ih left out) next to the right model's gradients."""
    exec(compile(CELL, "<cell>", "exec"), dict(RNN))
    honest = recording()
    exec(compile(CELL, "<cell>", "exec"), dict(NO_B_IH))
    mistaken = recording()[len(honest):]
    forged = []
    for right, wrong in zip(honest, mistaken):
        values = list(wrong["values"])
        values[1::2] = right["values"][1::2]  # the backward results of the right model
        forged.append({**wrong, "values": values})
    reason = evidence.replay_cell(CELL, forged)
    assert reason is not None and "yours is not" in reason


# ----------------------------------------------------------------- what earns nothing

def _constant_backward(value):
    def rnn_step_backward(dh, cache):
        x, h_prev, h, W_ih, W_hh = cache
        H, D = W_ih.shape
        return (np.full(x.shape, value), np.full(h_prev.shape, value), np.full((H, D), value),
                np.full((H, H), value), np.full(H, value), np.full(H, value))
    return rnn_step_backward


@pytest.mark.parametrize("value", [0.0, 1.0, -0.25])
@pytest.mark.parametrize("forward", [RNN["rnn_step_forward"], NO_B_IH["rnn_step_forward"]],
                         ids=["right forward", "known forward mistake"])
@pytest.mark.parametrize("grads", [None, ("dx", "dh_prev"), ("db_ih", "db_hh")])
def test_zeros_and_constants_earn_nothing(forward, value, grads, monkeypatch):
    monkeypatch.delenv(evidence.ECF_ENV, raising=False)
    msg = _fails(grading.check_rnn_step_backward, forward, _constant_backward(value), grads=grads)
    assert "not right yet" in msg
    if forward is NO_B_IH["rnn_step_forward"]:
        assert "known mistake (b_ih is missing)" in msg and "yours is not" in msg


def test_untouched_stubs_earn_nothing():
    def stub(*args):
        raise NotImplementedError()

    assert "raised NotImplementedError" in _fails(grading.check_rnn_step_backward, stub, stub)
    assert "raised NotImplementedError" in _fails(grading.check_rnn_step_backward, NO_B_IH["rnn_step_forward"], stub)


# ------------------------------------------------ a forward mistake no diagnosis reproduces

def _halved_forward(x, h_prev, W_ih, W_hh, b_ih, b_hh):
    h = 0.5 * np.tanh(x @ W_ih.T + b_ih + h_prev @ W_hh.T + b_hh)
    return h, (x, h_prev, h, W_ih, W_hh)


def _halved_backward(dh, cache):  # exact for _halved_forward
    x, h_prev, h, W_ih, W_hh = cache
    da = dh * 0.5 * (1.0 - (2 * h) ** 2)
    return da @ W_ih, da @ W_hh, da.T @ x, da.T @ h_prev, da.sum(axis=0), da.sum(axis=0)


def test_an_unknown_forward_mistake_gets_a_consistency_message_and_no_points():
    msg = _fails(grading.check_rnn_step_backward, _halved_forward, _halved_backward)
    assert "rnn_step_backward is consistent with your own rnn_step_forward" in msg
    msg = _fails(grading.check_rnn_step_backward, _halved_forward, RNN["rnn_step_backward"])
    assert "is not consistent with your own rnn_step_forward either: dx, dh_prev, dW_ih" in msg


# --------------------------------------------- the variants' gradients are exact for them

def _directional(kind, args, upstream, flags, k, v, eps=1e-6):
    def loss(values):
        out = _cells._variant_forward(kind, values, **flags)
        return sum(float(np.sum(u * out[n])) for u, n in zip(upstream, kind.forward_out) if u is not None)

    plus, minus = list(args), list(args)
    plus[k], minus[k] = args[k] + eps * v, args[k] - eps * v
    return (loss(plus) - loss(minus)) / (2 * eps)


@pytest.mark.parametrize("kind_name", ["rnn_step", "rnn", "lstm_step", "lstm"])
def test_each_known_forward_mistake_has_its_exact_gradient(kind_name):
    """What ECF compares a learner's backward with is the true gradient of the mistaken
    forward: checked against central differences, input by input."""
    kind = _cells.KINDS[kind_name]
    rng = np.random.default_rng(0)
    case = _cells._cases(kind, 1)[1]
    args, upstream = _cells._args(kind, case), _cells._upstream(kind, case)
    for mistake in _cells._forward_mistakes(kind):
        grads = _cells._variant_backward(kind, args, upstream, forward=mistake.flags)
        for k, name in enumerate(kind.backward_out):
            v = rng.standard_normal(args[k].shape)
            numeric = _directional(kind, args, upstream, mistake.flags, k, v)
            analytic = float(np.sum(grads[name] * v))
            assert abs(numeric - analytic) <= 1e-6 * max(1.0, abs(numeric)), (mistake.what, name)
