"""What a failed check tells the learner: where the error is, which output is swapped, the
learner's frames only, training hints that point at the real cause."""

from __future__ import annotations

import numpy as np
import pytest

import lstmlab.grading as grading
from lstmlab import evidence
from lstmlab.grading import _training

from . import solutions as s

RNN, LSTM = s.RNN, s.LSTM


def _failure(check, *args, **kwargs):
    with pytest.raises(AssertionError) as info:
        check(*args, **kwargs)
    return info.value


def test_the_largest_error_and_the_first_one_outside_tolerance_are_both_named():
    def rnn_step_forward(x, h_prev, W_ih, W_hh, b_ih, b_hh):
        h, cache = RNN["rnn_step_forward"](x, h_prev, W_ih, W_hh, b_ih, b_hh)
        h = h.copy()
        h[0, 1] += 1e-4  # first entry outside tolerance, small
        h[2, 3] += 0.5  # the largest error
        return h, cache

    msg = str(_failure(grading.check_rnn_step_forward, rnn_step_forward))
    assert "max abs error 0.5" in msg
    assert "largest error at h[2, 3]" in msg and "first entry outside tolerance at h[0, 1]" in msg


def test_a_shape_message_names_one_axis():
    """Every axis has its own size in every case but the edge cases, so (N, D) can't be (N, H)."""
    def rnn_step_backward(dh, cache):
        dx, *rest = RNN["rnn_step_backward"](dh, cache)
        return (dx.sum(axis=1),) + tuple(rest)  # D summed away

    msg = str(_failure(grading.check_rnn_step_backward, RNN["rnn_step_forward"], rnn_step_backward))
    assert "returned dx with shape (3,); expected (N, D) = (3, 4)" in msg


def test_swapped_outputs_are_named():
    def lstm_step_forward(*args):
        h, c, cache = LSTM["lstm_step_forward"](*args)
        return c, h, cache

    msg = str(_failure(grading.check_lstm_step_forward, lstm_step_forward))
    assert "your h is the expected c: check the order of the returned values" in msg


def test_the_learner_sees_only_their_own_frames():
    def rnn_step_forward(x, h_prev, W_ih, W_hh, b_ih, b_hh):
        return np.tanh(x @ W_ih.T + h_prev @ W_hh.T), None

    failure = _failure(grading.check_rnn_step_forward, rnn_step_forward)
    assert type(failure).__name__ == "AssertionError" and isinstance(failure, AssertionError)
    lines = failure._render_traceback_()
    assert not any("lstmlab/grading" in line or "_short_traceback" in line for line in lines), lines
    assert any("test_messages.py" in line for line in lines)  # this test is the "cell" here
    assert lines[-1] == f"AssertionError: {failure}"


@pytest.mark.parametrize("mse, failed, words", [
    (0.025, [], "close (within 3x of the target)"),
    (0.12, [], "the loss stalls well above the target: run the gradient check cell first"),
    (0.12, ["check_lstm_backward"], "check_lstm_backward failed above"),
    (0.2, [], "no better than always answering 1"),
])
def test_training_hints_point_at_the_cause(mse, failed, words):
    hint = _training._training_hint(mse, 0.01, failed)
    assert words in hint
    assert ("close" in hint) == (mse < 0.03)


def test_a_training_pass_after_a_failed_backward_says_so(capsys, monkeypatch):
    monkeypatch.setattr(evidence, "_failed_checks", set())

    def lstm_step_backward(dh, dc, cache):
        return LSTM["lstm_step_backward"](dh, 0 * dc, cache)

    _failure(grading.check_lstm_step_backward, LSTM["lstm_step_forward"], lstm_step_backward)
    predict_sum = lambda x: (x[:, :, 0] * x[:, :, 1]).sum(axis=0)[:, None]  # noqa: E731 -- the exact answer
    grading.check_adding_predictions(predict_sum, target_mse=0.01, T=10)
    out = capsys.readouterr().out
    assert "passed, although check_lstm_step_backward failed in this notebook" in out

