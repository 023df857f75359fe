"""The preflight: a checkout whose venv's lstmlab lives elsewhere refuses to grade (exit 2).

The checkout is a copy of this one's ``autograder/`` and ``lstmlab/`` run with this
worktree's venv, whose editable ``lstmlab`` points back here: the grader (started in the
copy) imports the copy's ``lstmlab``, the sandboxed kernel finds this worktree's, which the
sandbox does not show -- the set-up that once graded a whole class 0 with exit status 0.
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from autograder import course, examples, preflight, sandbox

from .conftest import FIXTURES, REPO

pytestmark = pytest.mark.slow

COURSE_FILES = ("release", "source", "submitted", "autograded", "feedback", "work", "gradebook.db", "__pycache__")


@pytest.fixture(scope="module")
def sandbox_ok():
    try:
        sandbox.check_available()
    except sandbox.SandboxUnavailable as err:
        pytest.skip(str(err))


def test_preflight_passes_in_this_checkout(sandbox_ok):
    found = preflight.check(course.load_config(course.AUTOGRADER_DIR))
    assert found == {"path": str(REPO / "lstmlab"), "version": preflight.grader_lstmlab()[1]}


def test_venv_lstmlab_elsewhere_exits_2_and_writes_nothing(sandbox_ok, fixture_course, tmp_path):
    course_root, release = fixture_course
    other = tmp_path / "other-checkout"
    shutil.copytree(REPO / "autograder", other / "autograder", ignore=shutil.ignore_patterns(*COURSE_FILES))
    shutil.copytree(REPO / "lstmlab", other / "lstmlab", ignore=shutil.ignore_patterns("__pycache__"))
    subs = examples.make_submissions(release, FIXTURES / "fixture", tmp_path / "subs", {"pf-alice": "correct"})
    out = tmp_path / "out"
    env = dict(os.environ)
    env.pop("PYTHONWARNINGS", None)
    proc = subprocess.run(
        [sys.executable, "-m", "autograder", "grade", "fixture", subs, "--out", out, "--jobs", "1",
         "--source", FIXTURES, "--course", course_root, "--no-progress"],
        cwd=other, env=env, capture_output=True, text=True, timeout=600, check=False)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    err = proc.stderr
    assert "preflight failed, no student graded" in err
    assert "No module named 'lstmlab'" in err
    assert f"the grader uses lstmlab {preflight.grader_lstmlab()[1]} from {other / 'lstmlab'}" in err
    assert f"imports lstmlab from {REPO / 'lstmlab'}" in err  # the venv's editable install
    assert f"pip install -e {other}" in err
    assert not (out / "grades.csv").exists()
    from nbgrader.api import Gradebook, MissingEntry

    with Gradebook(course.sqlite_url(Path(course_root) / "gradebook.db")) as gb:
        with pytest.raises(MissingEntry):
            gb.find_student("pf-alice")
