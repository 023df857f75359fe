"""The instructor notebooks: in sync with their sources, valid nbgrader markup, links to the book."""

from __future__ import annotations

import re
import subprocess
import sys

import nbformat
import pytest

from .course import NOTEBOOKS, REPO

sys.path.insert(0, str(NOTEBOOKS))
import build  # notebooks/build.py

CHAPTERS = {"01-rnn", "02-long-term-dependencies", "03-vanishing-exploding", "04-clipping", "05-lstm",
            "06-bptt", "07-gru", "08-pytorch-gpu", "09-experiments", "10-where-next"}


def _load(name):
    return nbformat.read(NOTEBOOKS / name / f"{name}.ipynb", as_version=4)


def test_every_notebook_is_built_from_its_source():
    proc = subprocess.run([sys.executable, str(NOTEBOOKS / "build.py"), "--check"], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_build_rejects_bad_markup(tmp_path):
    with pytest.raises(ValueError, match="needs points > 0"):
        build._nbgrader_metadata({"kind": "tests", "id": "t"}, "code", "x.py cell 3")
    with pytest.raises(ValueError, match="kind must be one of"):
        build._nbgrader_metadata({"kind": "test", "id": "t"}, "code", "x.py cell 3")
    with pytest.raises(ValueError, match="a manual cell must be markdown"):
        build._nbgrader_metadata({"kind": "manual", "id": "t", "points": 1}, "code", "x.py cell 3")


@pytest.mark.parametrize("name", build.ASSIGNMENTS)
def test_nbgrader_markup(name):
    nb = _load(name)
    ids, kinds = set(), {"solution": 0, "tests": 0}
    for cell in nb.cells:
        assert cell.get("outputs", []) == [] and cell.get("execution_count") is None, "outputs stripped"
        meta = cell.metadata.get("nbgrader")
        if meta is None:
            continue
        assert meta["schema_version"] == 3
        assert meta["grade_id"] not in ids
        ids.add(meta["grade_id"])
        if meta["grade"]:
            assert meta["points"] > 0
        if meta["grade"] and not meta["solution"]:  # autograded test cell
            kinds["tests"] += 1
            assert meta["locked"] and cell.cell_type == "code"
            assert "### BEGIN HIDDEN TESTS" in cell.source and "### END HIDDEN TESTS" in cell.source
            assert "from lstmlab.grading import" in cell.source and "fresh()." in cell.source
            assert "def " not in cell.source, "test cells call lstmlab.grading, no helper pasted"
        if meta["solution"]:
            kinds["solution"] += 1
            assert "### BEGIN SOLUTION" in cell.source and "### END SOLUTION" in cell.source
    assert kinds["tests"] >= 2 and kinds["solution"] >= 2


@pytest.mark.parametrize("name", build.ASSIGNMENTS)
def test_links_to_the_book(name):
    text = "\n".join(c.source for c in _load(name).cells if c.cell_type == "markdown")
    links = re.findall(r"\]\((https?://[^)]+)\)", text)
    assert links
    for link in links:
        assert link.startswith(build.BOOK_URL + "/"), link
        chapter = link[len(build.BOOK_URL) + 1:].removesuffix(".html")
        assert chapter in CHAPTERS, link
    assert (REPO / "book").is_dir()
