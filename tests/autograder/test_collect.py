"""Fast tests of the autograder's pure parts: checking submissions, examples, report, errors."""

import json
import zipfile
from pathlib import Path

import nbformat
import pytest

from autograder import cli, collect, course, examples, flags, report
from autograder.results import Row
from autograder.sandbox import Limits

FIXTURES = Path(__file__).parent / "fixtures" / "source"
SOURCE_NB = FIXTURES / "fixture" / "fixture.ipynb"


@pytest.fixture
def release_dir(tmp_path):
    """Stand-in for a released assignment: the learner version made by examples (same grade ids)."""
    d = tmp_path / "release" / "fixture"
    d.mkdir(parents=True)
    nb = nbformat.read(SOURCE_NB, as_version=4)
    nbformat.write(nb, d / "fixture.ipynb")
    return d


def _student(root, sid, files):
    d = root / sid
    d.mkdir(parents=True)
    for name, content in files.items():
        (d / name).write_text(content) if isinstance(content, str) else nbformat.write(content, d / name)
    return d


def test_valid_missing_empty_invalid_and_foreign(tmp_path, release_dir):
    subs = tmp_path / "subs"
    good = nbformat.read(SOURCE_NB, as_version=4)
    foreign = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
        "x = 1", metadata={"nbgrader": {"grade_id": "other_q", "grade": False, "solution": True,
                                        "locked": False, "schema_version": 3}})])
    _student(subs, "alice", {"fixture.ipynb": good})
    _student(subs, "bob", {"fixture.ipynb": "{not json"})
    _student(subs, "carol", {"fixture.ipynb": json.dumps({"cells": 3})})
    _student(subs, "dave", {"fixture.ipynb": foreign})
    _student(subs, "erin", {"notes.txt": "I forgot"})
    (subs / "frank").mkdir()
    _student(subs, "gina", {"fixture (1).ipynb": good})
    (subs / "stray.txt").write_text("not a folder")
    (subs / "bad id!").mkdir()

    result, stray = collect.read_submissions(subs, release_dir)
    by = {s.student_id: s for s in result}
    assert sorted(by) == ["alice", "bob", "carol", "dave", "erin", "frank", "gina"]
    assert set(by["alice"].notebooks) == {"fixture"} and by["alice"].problems == []
    assert by["bob"].notebooks == {} and "not valid JSON" in by["bob"].problems[0]
    assert "not a Jupyter notebook" in by["carol"].problems[0]
    assert "another assignment" in by["dave"].problems[0]
    assert any("missing" in p for p in by["erin"].problems)
    assert any("no notebook found" in p and "notes.txt" in p for p in by["erin"].problems)
    assert by["frank"].problems == ["empty submission folder: nothing to grade"]
    assert by["gina"].notebooks["fixture"].name == "fixture (1).ipynb"
    assert any("renamed" in p for p in by["gina"].problems)
    assert any("stray.txt" in s for s in stray) and any("not a valid student id" in s for s in stray)
    # digests differ with content and are stable
    again, _ = collect.read_submissions(subs, release_dir)
    assert [s.digest for s in again] == [s.digest for s in result]
    assert by["alice"].digest != by["gina"].digest


def test_tamper_flags_edited_and_deleted(release_dir):
    nb = nbformat.read(SOURCE_NB, as_version=4)
    for c in nb.cells:
        if c.metadata.get("nbgrader", {}).get("grade_id") == "test_square":
            c.source = "pass"
    nb.cells = [c for c in nb.cells if c.metadata["nbgrader"].get("grade_id") != "test_add"]
    found = flags.locked_cell_changes("fixture", nb, nbformat.read(release_dir / "fixture.ipynb", as_version=4))
    assert any("test_square was edited" in f for f in found)
    assert any("test_add was deleted" in f for f in found)
    assert flags.locked_cell_changes("fixture", nbformat.read(SOURCE_NB, as_version=4),
                                     nbformat.read(release_dir / "fixture.ipynb", as_version=4)) == []


def test_zip_collect_layout(tmp_path, release_dir):
    good = nbformat.writes(nbformat.read(SOURCE_NB, as_version=4))
    dl = tmp_path / "downloads"
    dl.mkdir()
    with zipfile.ZipFile(dl / "alice_attempt1.zip", "w") as z:
        z.writestr("fixture.ipynb", good)
    (dl / "bob_2024-01-01_fixture.ipynb").write_text(good)
    (dl / "carol_fixture.ipynb").write_text("{broken")
    (dl / "readme.pdf").write_text("x")
    result, stray = collect.read_submissions(dl, release_dir, work=tmp_path / "work")
    by = {s.student_id: s for s in result}
    assert set(by) == {"alice", "bob", "carol"}
    assert set(by["alice"].notebooks) == {"fixture"} and set(by["bob"].notebooks) == {"fixture"}
    assert "not valid JSON" in by["carol"].problems[0]
    assert any("readme.pdf" in s for s in stray)


def test_read_submissions_errors(tmp_path, release_dir):
    with pytest.raises(ValueError, match=r"SUBMISSIONS: expected a folder.*got .*nope.*hint"):
        collect.read_submissions(tmp_path / "nope", release_dir)
    (tmp_path / "subs").mkdir()
    with pytest.raises(ValueError, match=r"release_dir: expected released notebooks.*hint: run"):
        collect.read_submissions(tmp_path / "subs", tmp_path)


def test_course_errors(tmp_path):
    assert course.list_assignments(FIXTURES) == ["fixture"]
    with pytest.raises(ValueError, match=r"assignment: expected one of \['fixture'\].*got 'rnn'.*hint"):
        course.check_assignment(FIXTURES, "rnn")
    with pytest.raises(ValueError, match=r"source: expected a folder of assignments.*hint: pass --source"):
        course.list_assignments(tmp_path / "missing")


def test_limits_errors():
    with pytest.raises(ValueError, match=r"Limits.cell_timeout must be a positive number, got 0.*hint"):
        Limits(cell_timeout=0)
    with pytest.raises(ValueError, match=r"Limits.memory_bytes must be a positive number, got -1"):
        Limits(memory_bytes=-1)


def test_examples_kinds(tmp_path, release_dir):
    correct = examples.make_notebook(release_dir / "fixture.ipynb", SOURCE_NB, "correct")
    src = "\n".join(c.source for c in correct.cells)
    assert "return x * x" in src and "BEGIN SOLUTION" not in src
    broken = examples.make_notebook(release_dir / "fixture.ipynb", SOURCE_NB, "broken")
    assert "def this is not python(:" in "\n".join(c.source for c in broken.cells)
    with pytest.raises(ValueError, match=r"kind: expected one of .*got 'perfect'.*hint"):
        examples.make_notebook(release_dir / "fixture.ipynb", SOURCE_NB, "perfect")


def test_report_pass_rates_and_histogram(tmp_path):
    structure = {"nb": {"q1": 1.0, "q2": 2.0}}
    rows = [
        Row("a", 3.0, 3.0, "graded", cells={"nb/q1": 1.0, "nb/q2": 2.0}),
        Row("b", 1.0, 3.0, "graded", timed_out=True, flags=["x"], notes=["n"], cells={"nb/q1": 1.0, "nb/q2": 0.0}),
    ]
    rates = {q["cell"]: q for q in report.pass_rates(rows, structure)}
    assert rates["q1"]["pass_rate"] == 1.0 and rates["q2"]["pass_rate"] == 0.5
    assert rates["q2"]["mean"] == 1.0
    page = report.write_report(tmp_path, "demo", rows, structure, ["stray"]).read_text()
    assert "data:image/png;base64," in page and "50%" in page and "stray" in page
    assert (tmp_path / "score_histogram.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_cli_rejects_negative_jobs(tmp_path, capsys):
    rc = cli.main(["grade", "fixture", str(tmp_path), "--jobs", "-1", "--source", str(FIXTURES),
                   "--course", str(tmp_path / "c")])
    assert rc == 2
    assert "--jobs: expected a number of worker processes >= 1" in capsys.readouterr().err


def test_restore_deleted_cells_in_place(release_dir):
    released = nbformat.read(release_dir / "fixture.ipynb", as_version=4)
    nb = nbformat.read(SOURCE_NB, as_version=4)
    order = [c.metadata["nbgrader"]["grade_id"] for c in nb.cells]
    nb.cells = [c for c in nb.cells if c.metadata["nbgrader"]["grade_id"] not in ("test_add", "test_hidden")]
    assert collect.restore_deleted_cells(nb, released) == ["test_add", "test_hidden"]
    assert [c.metadata["nbgrader"]["grade_id"] for c in nb.cells] == order
