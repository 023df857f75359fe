"""`.ci/apt-ensure`: the one install step for bubblewrap, shared by `make grade` and `.ci/run`."""

import shutil
import subprocess
from pathlib import Path

from .conftest import REPO

SCRIPT = REPO / ".ci" / "apt-ensure"


def test_make_grade_and_ci_share_the_script():
    dry = subprocess.run(["make", "-n", "grade"], cwd=REPO, capture_output=True, text=True, check=True,
                         env={"PATH": "/usr/bin:/bin"})
    lines = dry.stdout.splitlines()
    ensure = [i for i, line in enumerate(lines) if line.startswith(".ci/apt-ensure bwrap bubblewrap")]
    release = [i for i, line in enumerate(lines) if "-m autograder release" in line]
    assert ensure and release and ensure[0] < release[0], dry.stdout  # before the grader first runs
    ci = (REPO / ".ci" / "run").read_text()
    assert ".ci/apt-ensure bwrap bubblewrap" in ci and "apt-get install -y -qq bubblewrap" not in ci


def test_present_command_installs_nothing():
    proc = subprocess.run([str(SCRIPT), "sh", "no-such-package-xyz"], capture_output=True, text=True, timeout=30)
    assert proc.returncode == 0 and proc.stdout == "" and proc.stderr == ""


def test_without_apt_get_it_leaves_the_error_to_the_grader(tmp_path):
    # No apt-get on PATH (not Debian/Ubuntu): nothing is tried; `grade` then says what is missing.
    bash = shutil.which("bash")
    proc = subprocess.run([bash, str(SCRIPT), "no-such-command-xyz", "bubblewrap"], capture_output=True, text=True,
                          timeout=30, env={"PATH": str(tmp_path)})
    assert proc.returncode == 0 and proc.stdout == "" and proc.stderr == ""
    assert Path(SCRIPT).stat().st_mode & 0o111  # executable, as the Makefile and .ci/run call it
