"""Shared fixtures of the autograder tests: a released copy of the fixture assignment."""

import csv
import os
import subprocess
import sys
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures" / "source"
REPO = Path(__file__).resolve().parents[2]


def autograder(*args, timeout=600):
    """Run ``python -m autograder ARGS`` as the outside checks do; return the CompletedProcess."""
    env = dict(os.environ)
    env.pop("PYTHONWARNINGS", None)
    proc = subprocess.run([sys.executable, "-m", "autograder", *map(str, args)], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=timeout, check=False)
    assert proc.returncode == 0, f"autograder {args} failed:\n{proc.stdout}\n{proc.stderr[-4000:]}"
    return proc


def read_grades(out: Path) -> dict:
    with (Path(out) / "grades.csv").open(newline="") as f:
        return {row["student_id"]: row for row in csv.DictReader(f)}


@pytest.fixture(scope="session")
def fixture_course(tmp_path_factory):
    """A course folder with the fixture assignment released: ``(course, release_dir)``."""
    root = tmp_path_factory.mktemp("course")
    autograder("release", "fixture", "--source", FIXTURES, "--course", root)
    return root, root / "release" / "fixture"
