"""End to end with nbgrader 0.9: release every assignment, autograde the instructor version, an
untouched learner version and partly right ones (about 50 s per assignment on 2 busy cores)."""

from __future__ import annotations

import copy

import nbformat
import pytest

from .course import NOTEBOOKS, Course

pytestmark = pytest.mark.slow

ASSIGNMENTS = ("rnn", "gradients", "lstm", "pytorch", "charlm")

# Right forward, wrong backward: (grade_id of the solution cell, replacement source, cells that must fail).
PARTIAL = {
    "rnn": ("rnn_backward", '''
def rnn_backward(dhs, cache):
    T = dhs.shape[0]
    dx = np.zeros((T,) + cache[0][0].shape)
    dh = np.zeros_like(dhs[0])
    for t in reversed(range(T)):
        # the mistake: weight gradients overwritten at every step instead of summed
        dx[t], dh, dW_ih, dW_hh, db_ih, db_hh = rnn_step_backward(dhs[t] + dh, cache[t])
    return dx, dh, dW_ih, dW_hh, db_ih, db_hh
''', {"test_rnn_backward_weights"}),
    "lstm": ("lstm_backward", '''
def lstm_backward(dhs, cache):
    T = dhs.shape[0]
    W_ih, W_hh = cache[0][8], cache[0][9]
    dx = np.zeros((T,) + cache[0][0].shape)
    dW_ih, dW_hh, db = np.zeros_like(W_ih), np.zeros_like(W_hh), np.zeros(W_hh.shape[0])
    dh = np.zeros_like(dhs[0])
    for t in reversed(range(T)):
        # the mistake: the gradient along the cell state is not carried back
        dx[t], dh, dc, dWi, dWh, dbi, _ = lstm_step_backward(dhs[t] + dh, np.zeros_like(dh), cache[t])
        dW_ih, dW_hh, db = dW_ih + dWi, dW_hh + dWh, db + dbi
    return dx, dh, dc, dW_ih, dW_hh, db, db.copy()
''', {"test_lstm_backward_inputs", "test_lstm_backward_states", "test_lstm_backward_weights"}),
    # A loss summed over time: only its own cell fails.  Credit carries forward to bits_per_char
    # and window_step (judged with this loss), and the model still trains (the gradient is clipped
    # before Adam, which hardly sees the factor T), so the trained-model test passes too.
    "charlm": ("cross_entropy", '''
def cross_entropy(logits, targets):
    shifted = logits - logits.max(axis=-1, keepdims=True)
    logp = shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))
    T, N = targets.shape
    t, n = np.meshgrid(np.arange(T), np.arange(N), indexing="ij")
    loss = float(-logp[t, n, targets].sum() / N)  # the mistake: summed over time, averaged over the batch
    dlogits = np.exp(logp)
    dlogits[t, n, targets] -= 1.0
    return loss, dlogits / N


def bits_per_char(logits, targets):
    return cross_entropy(logits, targets)[0] / math.log(2)
''', {"test_cross_entropy"}),
}


@pytest.fixture(scope="module", params=ASSIGNMENTS)
def graded(request, tmp_path_factory):
    name = request.param
    course = Course(tmp_path_factory.mktemp(f"course-{name}"))
    release = course.generate(name)
    instructor = nbformat.read(NOTEBOOKS / name / f"{name}.ipynb", as_version=4)
    course.submit("instructor", name, instructor)
    course.submit("blank", name, release)
    if name in PARTIAL:
        grade_id, source, _ = PARTIAL[name]
        partial = copy.deepcopy(instructor)
        for cell in partial.cells:
            if cell.metadata.get("nbgrader", {}).get("grade_id") == grade_id:
                cell.source = source.strip()
        course.submit("partial", name, partial)
    course.autograde(name)
    return name, course, instructor, release


def _points(nb):
    return {c.metadata.nbgrader["grade_id"]: float(c.metadata.nbgrader["points"])
            for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade")}


def test_release_has_no_solutions_and_no_hidden_tests(graded):
    name, course, instructor, release = graded
    assert len(release.cells) == len(instructor.cells)
    text = "\n".join(c.source for c in release.cells)
    for marker in ("BEGIN SOLUTION", "END SOLUTION", "HIDDEN TESTS", "fresh()", "Model answer"):
        assert marker not in text
    solution_ids = {c.metadata.nbgrader["grade_id"] for c in instructor.cells
                    if c.metadata.get("nbgrader", {}).get("solution")}
    for cell in release.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("solution"):
            stub = "raise NotImplementedError()" if cell.cell_type == "code" else "YOUR ANSWER HERE"
            assert stub in cell.source, meta["grade_id"]
            solution_ids.discard(meta["grade_id"])
    assert not solution_ids
    # The visible tests stay: learners run them while they work.
    assert "from lstmlab.grading import check_" in text


def test_instructor_version_gets_full_marks(graded):
    name, course, instructor, _ = graded
    scores = course.scores("instructor", name)
    assert set(scores) == set(_points(instructor))
    for grade_id, (score, max_score) in scores.items():
        if score is None:  # manually graded written answer
            assert any(c.cell_type == "markdown" and c.metadata.nbgrader["grade_id"] == grade_id
                       for c in instructor.cells if "nbgrader" in c.metadata)
        else:
            assert score == max_score, grade_id
    # The learner's warnings never reach stderr, which nbgrader would count as a failure.
    for cell in course.autograded("instructor", name).cells:
        for out in cell.get("outputs", []):
            assert not (out.output_type == "stream" and out.name == "stderr"), out.text


def test_untouched_learner_version_scores_zero(graded):
    name, course, *_ = graded
    scores = course.scores("blank", name)
    assert scores and all(score == 0 for score, _ in scores.values())
    errors = [o for c in course.autograded("blank", name).cells for o in c.get("outputs", [])
              if o.output_type == "error"]
    assert any("AssertionError" == o.ename for o in errors)
    assert any("NotImplementedError" in o.evalue or "NotImplementedError" in "".join(o.traceback) for o in errors)


def test_partial_submission_gets_exactly_its_correct_parts(graded):
    name, course, instructor, _ = graded
    if name not in PARTIAL:
        pytest.skip("no partial submission for this assignment")
    wrong = PARTIAL[name][2]
    scores = course.scores("partial", name)
    for grade_id, (score, max_score) in scores.items():
        if grade_id in wrong:
            assert score == 0, grade_id
        elif grade_id.startswith(("test_rnn", "test_lstm")) or name == "charlm":
            assert score == max_score, grade_id
    feedback = "".join(o.get("evalue", "") + "".join(o.get("traceback", []))
                       for c in course.autograded("partial", name).cells for o in c.get("outputs", []))
    assert any(words in feedback for words in ("sums over t", "cell state is dropped", "averaged over the wrong axis"))
