"""The gradebook in a live PostgreSQL server (``--db postgresql://...``), as several graders use it.

A throw-away server is started for this module (:mod:`.pg_cluster`).  Without one the tests
skip with an install hint, except under CI (``CI`` set, as ``.ci/run`` runs): there a missing
server fails, so that CI cannot silently stop testing PostgreSQL.
"""

import os
import shutil
import subprocess
import sys
import time

import pytest
from nbgrader.api import Gradebook
from sqlalchemy import create_engine, text

from autograder import examples, gradebook_lock

from . import pg_cluster
from .conftest import FIXTURES, REPO, autograder, read_grades

pytestmark = pytest.mark.slow
needs_bwrap = pytest.mark.skipif(shutil.which("bwrap") is None, reason="bubblewrap not installed")

KINDS = {"correct": "correct", "partial": "partial", "broken": "broken"}
COMMON = ["--source", FIXTURES, "--no-progress", "--cell-timeout", 30]


def _autograder_in_background(*args) -> subprocess.Popen:
    """``python -m autograder ARGS`` started, not awaited (``conftest.autograder`` waits)."""
    env = dict(os.environ)
    env.pop("PYTHONWARNINGS", None)
    return subprocess.Popen([sys.executable, "-m", "autograder", *map(str, args), "--source", str(FIXTURES)],
                            cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


@pytest.fixture(scope="module")
def pg_server():
    """``new_database(name) -> URL`` on a server that lives as long as this module."""
    try:
        pg_cluster.check_available()
    except pg_cluster.Unavailable as err:
        if os.environ.get("CI"):
            pytest.fail(f"CI must test the PostgreSQL gradebook: {err}")
        pytest.skip(str(err))
    with pg_cluster.cluster("lstmlab") as url:
        yield lambda name: pg_cluster.create_database(url.replace("/lstmlab?", f"/{name}?"))


def scores_in(url: str) -> dict:
    """student id -> score of the fixture assignment, read back from the gradebook at ``url``."""
    with Gradebook(url) as gb:
        return {s.student.id: s.score for s in gb.find_assignment("fixture").submissions}


def _public_tables(url: str) -> set:
    engine = create_engine(url)
    with engine.connect() as conn:
        tables = set(conn.execute(text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")).scalars())
    engine.dispose()
    return tables


def _advisory_waiters(url: str) -> int:
    engine = create_engine(url)
    with engine.connect() as conn:
        n = conn.execute(text("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"))
        n = n.scalar_one()
    engine.dispose()
    return n


def test_release_waits_for_the_lock_then_fills_postgres(pg_server, fixture_course, tmp_path):
    """``release --db`` makes nbgrader's tables and the assignment's cells in an empty database,
    but only once no other grader holds the gradebook lock (regression: two graders generating
    into one database at once failed with ForeignKeyViolation / UniqueViolation)."""
    url = pg_server("release_only")
    course = shutil.copytree(fixture_course[0], tmp_path / "course")  # with its template gradebook
    (course / "gradebook.db").unlink()
    with gradebook_lock.exclusive(url):
        proc = _autograder_in_background("release", "fixture", "--course", course, "--db", url)
        while not _advisory_waiters(url):  # the release is queued behind this test's lock
            assert proc.poll() is None, f"release did not wait for the lock:\n{proc.communicate()}"
            time.sleep(0.2)
        assert _public_tables(url) == set()  # and wrote nothing meanwhile
    out, err = proc.communicate(timeout=600)
    assert proc.returncode == 0, f"release failed:\n{out}\n{err[-4000:]}"
    assert {"student", "assignment", "submitted_assignment", "grade", "grade_cells",
            "alembic_version"} <= _public_tables(url)
    with Gradebook(url) as gb:  # the fixture notebook's three autograded test cells
        assert sorted(c.name for c in gb.find_notebook("fixture", "fixture").grade_cells) == \
            ["test_add", "test_hidden", "test_square"]
    assert not (course / "gradebook.db").exists()  # nothing went to the default SQLite file


@pytest.fixture(scope="module")
def graded(pg_server, fixture_course, tmp_path_factory):
    """One batch graded with the default SQLite gradebook and with PostgreSQL (``--jobs 2``),
    then re-run against PostgreSQL after one student's submission was deleted there."""
    course, release = fixture_course
    tmp = tmp_path_factory.mktemp("pg")
    subs = examples.make_submissions(release, FIXTURES / "fixture", tmp / "subs", KINDS)
    (subs / "empty").mkdir()
    url = pg_server("batch")
    sqlite = autograder("grade", "fixture", subs, "--out", tmp / "sqlite", "--jobs", 2,
                        "--course", course, *COMMON)
    pg = autograder("grade", "fixture", subs, "--out", tmp / "pg", "--jobs", 2,
                    "--course", course, "--db", url, *COMMON)
    after_first = scores_in(url)
    # The re-run must take "already graded" from PostgreSQL, not only from OUT/results.json.
    with Gradebook(url) as gb:
        gb.remove_submission("fixture", "partial")
    again = autograder("grade", "fixture", subs, "--out", tmp / "pg", "--jobs", 2,
                       "--course", course, "--db", url, *COMMON)
    return {"tmp": tmp, "url": url, "sqlite": sqlite, "pg": pg, "again": again, "after_first": after_first}


@needs_bwrap
def test_postgres_grades_equal_sqlite(graded):
    sqlite, pg = read_grades(graded["tmp"] / "sqlite"), read_grades(graded["tmp"] / "pg")
    assert set(pg) == {*KINDS, "empty"}
    assert pg == sqlite  # every column of grades.csv
    assert float(pg["correct"]["score"]) == 4.0 and float(pg["partial"]["score"]) == 1.0
    assert "graded: 3, failed: 1" in graded["pg"].stdout


@needs_bwrap
def test_rows_are_in_postgres(graded):
    """Students, submissions and per-cell scores are rows of the server's tables."""
    grades = read_grades(graded["tmp"] / "pg")
    assert graded["after_first"] == pytest.approx({sid: float(r["score"]) for sid, r in grades.items()})
    engine = create_engine(graded["url"])
    with engine.connect() as conn:
        students = set(conn.execute(text("SELECT id FROM student")).scalars())
        per_cell = conn.execute(text(
            "SELECT s.id, c.name, g.auto_score FROM grade g "
            "JOIN submitted_notebook sn ON g.notebook_id = sn.id "
            "JOIN submitted_assignment sa ON sn.assignment_id = sa.id "
            "JOIN student s ON sa.student_id = s.id "
            "JOIN base_cell c ON g.cell_id = c.id")).all()
    engine.dispose()
    assert students == set(grades)
    assert {(sid, cell): score for sid, cell, score in per_cell if sid == "correct"} == \
        {("correct", "test_square"): 1.0, ("correct", "test_add"): 2.0, ("correct", "test_hidden"): 1.0}
    assert sum(score for sid, _, score in per_cell if sid == "broken") == 0.0


@needs_bwrap
def test_rerun_skips_what_postgres_holds(graded):
    """Without --force a re-run skips the students in the PostgreSQL gradebook and re-grades the
    one whose submission was deleted there (its files did not change)."""
    assert "3 unchanged and skipped" in graded["again"].stdout
    assert scores_in(graded["url"]) == graded["after_first"]  # "partial" is back, same score


@needs_bwrap
def test_two_graders_share_one_gradebook(pg_server, fixture_course, tmp_path):
    """Two graders, each with its own course folder and output, grade disjoint halves of a
    class at the same time into one new PostgreSQL database: everyone ends up in it."""
    course, release = fixture_course
    url = pg_server("shared")
    halves = [{"ann": "correct", "ben": "broken"}, {"cat": "partial", "dan": "correct"}]
    procs = []
    for i, half in enumerate(halves):
        subs = examples.make_submissions(release, FIXTURES / "fixture", tmp_path / f"subs{i}", half)
        # Each grader's own course folder (a copy: the released fixture and its template gradebook).
        shutil.copytree(course, tmp_path / f"course{i}")
        procs.append(_autograder_in_background("grade", "fixture", subs, "--out", tmp_path / f"out{i}",
                                               "--course", tmp_path / f"course{i}", "--db", url,
                                               "--jobs", 1, "--no-progress", "--cell-timeout", 30))
    for p in procs:
        out, err = p.communicate(timeout=600)
        assert p.returncode == 0, f"a grader failed:\n{out}\n{err[-4000:]}"
    assert scores_in(url) == {"ann": 4.0, "ben": 0.0, "cat": 1.0, "dan": 4.0}
    with Gradebook(url) as gb:
        assert len(gb.find_assignment("fixture").notebooks[0].grade_cells) == 3  # not duplicated
