"""Students failed by the grader's environment are ``failed`` (never ``graded`` with 0), and a
run of them stops the batch (exit 2), with no gradebook row written for them."""

import csv
import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from autograder import course, examples, flags

from .conftest import REPO, autograder

ENV_SOURCE = Path(__file__).parent / "fixtures" / "envfail_source"


def _cell(source, locked, ename, evalue):
    cell = nbformat.v4.new_code_cell(source)
    cell.metadata["nbgrader"] = {"locked": locked, "grade": False, "solution": not locked, "grade_id": "c"}
    cell.outputs = [nbformat.v4.new_output("error", ename=ename, evalue=evalue, traceback=[])]
    return cell


@pytest.mark.parametrize(("locked", "ename", "evalue", "expected"), [
    (True, "ModuleNotFoundError", "No module named 'lstmlab'", True),
    (True, "ModuleNotFoundError", "No module named 'torch'", True),
    (True, "ImportError", "cannot import name 'check_x' from 'lstmlab.grading' (/x.py)", True),
    (True, "ModuleNotFoundError", "No module named 'scipy'", False),  # not a package the course provides
    (False, "ModuleNotFoundError", "No module named 'lstmlab.foo'", False),  # the learner's own import
    (True, "NameError", "name 'lstmlab' is not defined", False),
])
def test_environment_error_is_recognised(locked, ename, evalue, expected):
    nb = nbformat.v4.new_notebook(cells=[_cell("import x", locked, ename, evalue)])
    why = flags.environment_error(nb)
    assert bool(why) is expected and (not expected or evalue in why)


@pytest.mark.slow
def test_a_run_of_environment_failures_stops_the_batch(tmp_path):
    course_root = tmp_path / "course"
    autograder("release", "envfail", "--source", ENV_SOURCE, "--course", course_root)
    release = course_root / "release" / "envfail"
    # Up to three more are already queued in the pool when the third fails: nine leave some ungraded.
    students = {f"env{i}": "correct" for i in range(9)}
    subs = examples.make_submissions(release, ENV_SOURCE / "envfail", tmp_path / "subs", students)
    env = dict(os.environ)
    env.pop("PYTHONWARNINGS", None)
    proc = subprocess.run(
        [sys.executable, "-m", "autograder", "grade", "envfail", subs, "--out", tmp_path / "out", "--jobs", "1",
         "--source", ENV_SOURCE, "--course", course_root, "--no-progress"],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=900, check=False)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "stopped: 3 students in a row failed on the grader's environment" in proc.stdout
    assert "No module named 'lstmlab.not_in_this_version'" in proc.stdout
    assert "students: not graded: the grader's environment failed" in proc.stdout  # one grouped line
    with (tmp_path / "out" / "grades.csv").open(newline="") as f:
        rows = list(csv.DictReader(f))
    assert 3 <= len(rows) < len(students)  # the batch stopped before the last students
    for row in rows:
        assert row["status"] == "failed" and "the grader's environment failed" in row["notes"], row
        assert row["score"] == "0", row
    from nbgrader.api import Gradebook

    with Gradebook(course.sqlite_url(course_root / "gradebook.db")) as gb:
        assert gb.find_assignment("envfail").submissions == []  # no 0 recorded for anyone
