"""lstmlab.evidence: checks record the learner's values under the autograder, and replaying a
test cell from those values (no learner code) reaches the check's verdict again."""

from __future__ import annotations

import io
import json
import textwrap

import numpy as np
import pytest

from lstmlab import evidence

from . import solutions as s

RNN = s.solutions("rnn")


@pytest.fixture
def recording(tmp_path, monkeypatch):
    """Checks run here record into a fresh evidence file; returns a reader of its records."""
    path = tmp_path / "evidence.jsonl"
    monkeypatch.setenv(evidence.ENV, str(path))
    return lambda: evidence.read(str(path))


# ------------------------------------------------------------------------- encoding

@pytest.mark.parametrize("value", [
    np.arange(6.0).reshape(2, 3), np.asfortranarray(np.ones((3, 2))), np.zeros((0, 4), dtype=np.float32),
    np.array([1, 2], dtype=np.int16), np.float64(2.5), np.int64(-3), 1.5, 7, True, None, "text",
    float("nan"), float("-inf"), (1, [2.0, {"a": np.ones(2)}]), {"dW": np.eye(2), "db": (np.zeros(1),)},
])
def test_values_come_back_equal_and_of_the_same_type(value):
    back = evidence.decode(json.loads(json.dumps(evidence.encode(value), allow_nan=False)))

    def same(a, b):
        assert type(a) is type(b)
        if isinstance(a, np.ndarray):
            assert a.dtype == b.dtype and a.shape == b.shape and np.array_equal(a, b, equal_nan=True)
        elif isinstance(a, (tuple, list)):
            assert len(a) == len(b) and all(same(x, y) is None for x, y in zip(a, b))
        elif isinstance(a, dict):
            assert list(a) == list(b) and all(same(a[k], b[k]) is None for k in a)
        elif a == a:
            assert a == b
        else:
            assert b != b  # nan

    same(value, back)


def test_objects_that_are_not_data_become_opaque():
    class Cache:
        pass

    for value in (Cache(), np.array([object()]), np.ones(2).view(np.matrix), {1: 2}):
        assert type(evidence.decode(evidence.encode(value))) is evidence.Opaque


def test_malformed_or_pickled_values_are_refused():
    buffer = io.BytesIO()
    np.save(buffer, np.array([{"x": 1}], dtype=object), allow_pickle=True)
    import base64

    pickled = {"ndarray": base64.b64encode(buffer.getvalue()).decode()}
    raw = base64.b64encode(b"\0" * 8).decode()
    for bad in (pickled, {"ndarray": "not base64!", "array": ["<f8", [1], "C"]},
                {"ndarray": raw, "array": ["|O", [1], "C"]},  # object arrays would unpickle
                {"ndarray": raw, "array": ["<f8", [2], "C"]},  # 8 bytes are not 2 float64s
                {"ndarray": raw, "array": ["<f8", [-1], "C"]}, {"ndarray": raw, "array": ["<f8", [1], "X"]},
                {"npscalar": "|O", "value": 1}, {"what": 1}, [1, 2]):
        with pytest.raises(evidence.EvidenceError):
            evidence.decode(bad)


def test_evidence_files_that_are_not_records_are_refused(tmp_path):
    path = tmp_path / "e.jsonl"
    assert evidence.read(str(path)) == []  # no file: no records
    for text in ("not json\n", "[1, 2]\n", "x" * 200):
        path.write_text(text)
        with pytest.raises(evidence.EvidenceError):
            evidence.read(str(path), max_chars=100)


# ------------------------------------------------------------------------- record and replay

CELL = """
from lstmlab.grading import check_rnn_step_backward
check_rnn_step_backward(rnn_step_forward, rnn_step_backward, grads=("dx", "dh_prev"))
from lstmlab.grading import fresh
fresh().check_rnn_step_backward(rnn_step_forward, rnn_step_backward, seed=102, grads=("dx", "dh_prev"))
"""


def _run_in_kernel(source, namespace):
    exec(compile(textwrap.dedent(source), "<cell>", "exec"), dict(namespace))


def test_outside_the_autograder_nothing_is_recorded(monkeypatch, tmp_path):
    monkeypatch.delenv(evidence.ENV, raising=False)
    monkeypatch.chdir(tmp_path)
    _run_in_kernel(CELL, RNN)
    assert list(tmp_path.iterdir()) == []


def test_a_passing_cell_is_confirmed_by_its_replay(recording):
    _run_in_kernel(CELL, RNN)
    records = recording()
    assert [r["check"] for r in records] == ["check_rnn_step_backward"] * 2
    assert all(len(r["values"]) >= 2 for r in records)  # a forward and a backward per case
    assert evidence.replay_cell(CELL, records) is None


def test_replay_never_calls_the_learner_code(recording):
    calls = []

    def spy(fn):
        def wrapped(*args):
            calls.append(fn.__name__)
            return fn(*args)
        wrapped.__name__ = fn.__name__
        return wrapped

    ns = {**RNN, "rnn_step_forward": spy(RNN["rnn_step_forward"]), "rnn_step_backward": spy(RNN["rnn_step_backward"])}
    _run_in_kernel(CELL, ns)
    n = len(calls)
    assert n > 0
    assert evidence.replay_cell(CELL, recording()) is None
    assert len(calls) == n


def test_a_changed_value_is_caught_with_the_checks_diagnosis(recording):
    _run_in_kernel(CELL, RNN)
    records = recording()
    backward = records[1]["values"][1]  # case 1: forward, then backward
    grads = evidence.decode(backward)
    forged = (np.zeros_like(grads[0]),) + grads[1:]
    records[1]["values"][1] = evidence.encode(forged)
    reason = evidence.replay_cell(CELL, records)
    assert reason is not None and "check_rnn_step_backward: not right yet" in reason and "dx" in reason


@pytest.mark.parametrize("tamper, words", [
    (lambda r: r[:1], "no evidence that this check ran"),
    (lambda r: [], "no evidence"),
    (lambda r: [r[0], {**r[1], "check": "check_rnn_forward"}], "holds 'check_rnn_forward' here instead"),
    (lambda r: [r[0], {**r[1], "values": r[1]["values"][:1]}], "ends before the check does"),
    (lambda r: [r[0], {**r[1], "values": r[1]["values"] + r[1]["values"][:1]}], "more values than the check used"),
    (lambda r: r + r[:1], "1 checks more than the test cell runs"),
    (lambda r: [r[0], {**r[1], "values": [{"ndarray": "AAAA"}] * 20}], "malformed evidence"),
])
def test_missing_or_inconsistent_evidence_fails(recording, tamper, words):
    _run_in_kernel(CELL, RNN)
    reason = evidence.replay_cell(CELL, tamper(recording()))
    assert reason is not None and words in reason


def test_a_check_that_fails_in_the_kernel_records_nothing(recording):
    def wrong_forward(x, h_prev, W_ih, W_hh, b_ih, b_hh):
        return np.tanh(x @ W_ih.T + h_prev @ W_hh.T), None  # biases left out

    with pytest.raises(AssertionError):
        _run_in_kernel("from lstmlab.grading import check_rnn_step_forward\ncheck_rnn_step_forward(f)",
                       {"f": wrong_forward})
    assert recording() == []


def test_learner_data_and_trained_models_replay(recording):
    """check_clipping_rescue takes the learner's data, check_adding_predictions calls predict."""
    plain = [1.0] * 90 + [float("nan")] * 10
    clipped = [1.0 / (k + 1) for k in range(100)]
    cell = "from lstmlab.grading import fresh\nfresh().check_clipping_rescue(losses(True), losses(False), target=0.05)"
    _run_in_kernel(cell, {"losses": lambda p: plain if p else clipped})
    records = recording()
    assert evidence.replay_cell(cell, records) is None
    records[0]["values"][1] = evidence.encode([1.0] * 100)  # claim the clipped run converged
    assert "with clipping the final loss is 1" in evidence.replay_cell(cell, records)


def test_replay_uses_the_cells_own_arguments_not_the_kernels(recording):
    """A kernel that ran the check with easier arguments (another seed) is not confirmed."""
    _run_in_kernel("from lstmlab.grading import check_rnn_step_forward\ncheck_rnn_step_forward(f, seed=1)",
                   {"f": RNN["rnn_step_forward"]})
    reason = evidence.replay_cell("from lstmlab.grading import check_rnn_step_forward\n"
                                  "check_rnn_step_forward(f, seed=2)", recording())
    assert reason is not None and "not right yet" in reason


def test_torch_check_replays(recording):
    pytest.importorskip("torch")
    cls = s.solutions("pytorch")["LSTM"]
    cell = "from lstmlab.grading import fresh\nfresh().check_torch_lstm(LSTM, seed=401)"
    _run_in_kernel(cell, {"LSTM": cls})
    records = recording()
    assert evidence.replay_cell(cell, records) is None
    records[0]["values"][0] = evidence.encode([])  # claim no device to run on
    assert "device list was changed" in evidence.replay_cell(cell, records)


@pytest.mark.parametrize("source, replayable", [
    (CELL, True),
    ("check_rnn_forward(f)\nassert f(1) == 2", False),
    ("assert rnn_forward is not None", False),
    ("x = 1", False),
    ("this is not python(", False),
])
def test_which_cells_can_be_replayed(source, replayable):
    assert evidence.checks_only(source) is replayable
