"""End to end: `python -m autograder release/grade` on the fixture assignment (nbgrader, sandbox).

One batch of example submissions (correct, partial, broken, invalid JSON, empty) is graded
in parallel, then again serially into another output; the grades must be identical, the
gradebook must hold them, feedback and the report must exist, and a re-run must skip.
"""

import shutil
from pathlib import Path

import pytest
from nbgrader.api import Gradebook

from autograder import examples, kernel, sandbox, worker

from .conftest import FIXTURES, autograder, read_grades

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("bwrap") is None, reason="bubblewrap not installed"),
]

EXPECTED = {"correct": 4.0, "partial": 1.0, "broken": 0.0, "badjson": 0.0, "empty": 0.0}


@pytest.fixture(scope="module")
def batch(fixture_course, tmp_path_factory):
    course, release = fixture_course
    tmp = tmp_path_factory.mktemp("batch")
    subs = examples.make_submissions(release, FIXTURES / "fixture", tmp / "subs",
                                     {"correct": "correct", "partial": "partial", "broken": "broken"})
    (subs / "badjson").mkdir()
    (subs / "badjson" / "fixture.ipynb").write_text("{this is not json")
    (subs / "empty").mkdir()
    common = ["--source", FIXTURES, "--course", course, "--no-progress", "--cell-timeout", 30]
    par = autograder("grade", "fixture", subs, "--out", tmp / "par", "--jobs", 2, *common)
    # The serial run also exercises --db: any SQLAlchemy URL (here another SQLite file).
    other = "sqlite:///" + str(tmp / "other.db")
    ser = autograder("grade", "fixture", subs, "--out", tmp / "ser", "--jobs", 1, "--db", other, *common)
    again = autograder("grade", "fixture", subs, "--out", tmp / "ser", "--jobs", 1, "--db", other, *common)
    forced = autograder("grade", "fixture", subs, "--out", tmp / "par", "--jobs", 2, "--force", *common)
    return {"course": course, "tmp": tmp, "par": par, "ser": ser, "again": again, "forced": forced,
            "other": other}


def test_scores(batch):
    grades = read_grades(batch["tmp"] / "par")
    assert {sid: float(r["score"]) for sid, r in grades.items()} == EXPECTED
    assert all(float(r["max_score"]) == 4.0 for r in grades.values())
    assert grades["badjson"]["status"] == "failed" and "not valid JSON" in grades["badjson"]["notes"]
    assert grades["empty"]["status"] == "failed" and "empty submission folder" in grades["empty"]["notes"]


def test_parallel_equals_serial(batch):
    par, ser = read_grades(batch["tmp"] / "par"), read_grades(batch["tmp"] / "ser")
    assert {k: (v["score"], v["status"]) for k, v in par.items()} == \
        {k: (v["score"], v["status"]) for k, v in ser.items()}


def test_summary_and_rerun_skips(batch):
    assert "graded: 3, failed: 2, timed out: 0" in batch["par"].stdout
    assert "badjson: fixture.ipynb: not valid JSON" in batch["par"].stdout
    assert "5 unchanged and skipped" in batch["again"].stdout
    assert "0 unchanged and skipped" in batch["ser"].stdout
    assert "0 unchanged and skipped" in batch["forced"].stdout


def test_gradebook_holds_the_scores(batch):
    """Each run's grades are in the gradebook it was given (default SQLite file, or --db)."""
    for out, url in (("par", "sqlite:///" + str(Path(batch["course"]) / "gradebook.db")), ("ser", batch["other"])):
        grades = read_grades(batch["tmp"] / out)
        with Gradebook(url) as gb:
            for sid, row in grades.items():
                assert gb.find_submission("fixture", sid).score == pytest.approx(float(row["score"]))


def test_feedback_and_report(batch):
    out = batch["tmp"] / "par"
    for sid in EXPECTED:
        page = (out / "feedback" / sid / "fixture.html").read_text()
        assert sid in page or "fixture" in page
    assert "not valid JSON" in (out / "feedback" / "badjson" / "fixture.html").read_text()
    report = (out / "report.html").read_text()
    assert "data:image/png;base64," in report
    # per-question pass rates: test_square passed by correct+partial of 5 students = 40%
    assert "<td>test_square</td><td>1</td><td>40%</td>" in report
    assert (out / "score_histogram.png").exists()


def test_release_all_to_out(fixture_course, tmp_path):
    course, _ = fixture_course
    autograder("release", "--source", FIXTURES, "--course", course, "--out", tmp_path / "rel")
    released = (tmp_path / "rel" / "fixture" / "fixture.ipynb").read_text()
    assert "raise NotImplementedError" in released and "return x * x" not in released
    assert "BEGIN HIDDEN TESTS" not in released and "np.array_equal" not in released


@pytest.mark.skipif(not sandbox.is_root(), reason="per-slot sandbox uids exist only when grading as root")
def test_worker_leaves_no_kernel_behind(fixture_course, tmp_path):
    """Each graded notebook's sandboxed kernel is gone when its student is done.

    (A kernel left running holds threads of the slot's uid; a dozen of them exhaust
    RLIMIT_NPROC and the next student's kernel cannot start.)
    """
    course_root, release = fixture_course
    subs = examples.make_submissions(release, FIXTURES / "fixture", tmp_path / "subs", {"a": "correct", "b": "broken"})
    for sid in ("a", "b"):
        task = worker.Task("fixture", sid, {"fixture": str(subs / sid / "fixture.ipynb")},
                           str(course_root / "work" / "template" / "fixture"), str(tmp_path), {})
        result = worker.grade(task)
        assert result.status == "graded", result.error
        assert kernel.processes_of(sandbox.sandbox_uid(worker.SLOT)) == 0
