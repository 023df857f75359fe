"""The mistake corpus (tests/grading/mistakes.py), run in process: each mistake gets exactly
its expected cells right (error carried forward included) and its feedback names it.  The
same corpus goes through ``python -m autograder grade`` in tests/autograder/test_mistake_grades.py."""

from __future__ import annotations

import pytest

from .mistakes import LSTM_CELLS, MISTAKES, RNN_CELLS, run_in_process


def test_the_corpus_is_large_enough():
    assert len(MISTAKES) >= 20
    assert {m.assignment for m in MISTAKES} == {"rnn", "lstm"}
    assert sum(m.ecf for m in MISTAKES) >= 5


@pytest.mark.parametrize("mistake", MISTAKES, ids=[m.name for m in MISTAKES])
def test_each_mistake_scores_as_expected_and_is_named(mistake, monkeypatch):
    monkeypatch.delenv("LSTMLAB_EVIDENCE", raising=False)
    monkeypatch.delenv("LSTMLAB_ECF", raising=False)
    results = run_in_process(mistake)
    expected = mistake.scores()
    points = RNN_CELLS if mistake.assignment == "rnn" else LSTM_CELLS
    assert "test_adding" not in results and len(results) == len(points) - (mistake.assignment == "lstm")
    got = {gid: float(points[gid]) if passed else 0.0 for gid, (passed, _) in results.items()}
    assert got == {gid: p for gid, p in expected.items() if gid in results}, \
        "\n\n".join(f"{gid}: {text}" for gid, (_, text) in results.items())
    feedback = "\n".join(text for _, text in results.values())
    assert mistake.phrase in feedback, feedback
    carried = [gid for gid, (passed, text) in results.items() if passed and "credit carried forward" in text]
    assert bool(carried) == mistake.ecf, carried
