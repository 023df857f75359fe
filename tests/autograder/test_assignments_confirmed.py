"""Every real assignment, solved, gets full marks through the autograder: in the sandboxed
kernel *and* in the replay of each test cell outside it (autograder.verify), for every kind
of check (array functions, learner data, a trained model, a torch module).

A replay that disagreed with an honest kernel would cost a learner points they earned; this is
the test that would show it.  An unsolved copy of each scores 0, so a replay that passed
anything would show too."""

from __future__ import annotations

import shutil

import pytest

from autograder import examples

from .conftest import REPO, autograder, read_grades

SOURCE = REPO / "notebooks"
ASSIGNMENTS = ["rnn", "gradients", "lstm", "pytorch", "charlm"]
# Points of examples' "partial" kind (the first half of the solution cells solved), confirmed by the
# replay like full marks: charlm's vocabulary, encoding, batches and loss, and bits_per_char, which
# uses the solved loss (1 + 1 + 2 + 2 + 1).
PARTIAL_POINTS = {"charlm": 7.0}

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("bwrap") is None, reason="bubblewrap not installed"),
]


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_solved_assignment_is_confirmed_and_unsolved_scores_zero(tmp_path, assignment):
    course = tmp_path / "course"
    autograder("release", assignment, "--source", SOURCE, "--course", course)
    subs = examples.make_submissions(course / "release" / assignment, SOURCE / assignment, tmp_path / "subs",
                                     {"solved": "correct", "unsolved": "broken",
                                      **({"partial": "partial"} if assignment in PARTIAL_POINTS else {})})
    out = tmp_path / "out"
    autograder("grade", assignment, subs, "--source", SOURCE, "--course", course, "--out", out,
               "--jobs", 2, "--no-progress", timeout=900)
    grades = read_grades(out)
    solved, unsolved = grades["solved"], grades["unsolved"]
    manual = float(solved["notes"].split(" points await manual grading")[0].rsplit(" ", 1)[-1]) \
        if "await manual grading" in solved["notes"] else 0.0
    assert float(solved["score"]) == float(solved["max_score"]) - manual > 0, solved
    assert solved["flagged"] == "0" and "could not confirm" not in solved["notes"], solved
    assert float(unsolved["score"]) == 0.0, unsolved
    if assignment in PARTIAL_POINTS:
        partial = grades["partial"]
        assert float(partial["score"]) == PARTIAL_POINTS[assignment], partial
        assert partial["flagged"] == "0" and "could not confirm" not in partial["notes"], partial
