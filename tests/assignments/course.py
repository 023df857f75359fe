"""A throwaway nbgrader course around the instructor notebooks (for the end-to-end tests).

Each course lives in a pytest ``tmp_path`` with its own ``nbgrader_config.py`` (plain nbgrader
execution, no sandbox), so these tests don't depend on the autograder's configuration.
nbgrader shells out to ``alembic``: the venv's ``bin`` must be on PATH.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat

REPO = Path(__file__).resolve().parents[2]
NOTEBOOKS = REPO / "notebooks"
BIN = str(Path(sys.executable).parent)

CONFIG = """\
c = get_config()
c.CourseDirectory.course_id = "lstmlab-test"
c.CourseDirectory.root = {root!r}
c.CourseDirectory.db_url = "sqlite:///" + {db!r}
c.ClearSolutions.code_stub = {{"python": "# YOUR CODE HERE\\nraise NotImplementedError()"}}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"
c.OverwriteCells.add_missing_cells = True
c.ExecutePreprocessor.timeout = 120
"""


class Course:
    def __init__(self, root: Path) -> None:
        self.root = root
        root.mkdir(parents=True, exist_ok=True)
        self.db = root / "gradebook.db"
        (root / "nbgrader_config.py").write_text(CONFIG.format(root=str(root), db=str(self.db)))

    def nbgrader(self, *args: str) -> subprocess.CompletedProcess:
        env = dict(os.environ, PATH=BIN + os.pathsep + os.environ.get("PATH", ""))
        env.pop("PYTHONWARNINGS", None)
        proc = subprocess.run([os.path.join(BIN, "nbgrader"), *args], cwd=self.root, env=env,
                              capture_output=True, text=True, timeout=600)
        if proc.returncode != 0:
            raise AssertionError(f"nbgrader {' '.join(args)} failed:\n{proc.stdout}\n{proc.stderr}")
        return proc

    def add_source(self, assignment: str) -> None:
        dest = self.root / "source" / assignment
        dest.mkdir(parents=True, exist_ok=True)
        shutil.copy(NOTEBOOKS / assignment / f"{assignment}.ipynb", dest / f"{assignment}.ipynb")

    def generate(self, assignment: str) -> nbformat.NotebookNode:
        self.add_source(assignment)
        self.nbgrader("generate_assignment", assignment, "--force")
        return nbformat.read(self.root / "release" / assignment / f"{assignment}.ipynb", as_version=4)

    def submit(self, student: str, assignment: str, nb: nbformat.NotebookNode) -> None:
        dest = self.root / "submitted" / student / assignment
        dest.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, dest / f"{assignment}.ipynb")

    def autograde(self, assignment: str, *students: str) -> None:
        args = ["autograde", assignment, "--create", "--force"]
        for s in students:
            args += ["--student", s]
        self.nbgrader(*args)

    def scores(self, student: str, assignment: str) -> dict:
        """{grade_id: (auto_score or None, max_score)} for every graded cell."""
        from nbgrader.api import Gradebook

        with Gradebook(f"sqlite:///{self.db}") as gb:
            sub = gb.find_submission_notebook(assignment, assignment, student)
            return {g.name: (g.auto_score, g.max_score) for g in sub.grades}

    def autograded(self, student: str, assignment: str) -> nbformat.NotebookNode:
        return nbformat.read(self.root / "autograded" / student / assignment / f"{assignment}.ipynb",
                             as_version=4)
