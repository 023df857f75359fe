"""Manual points: *pending* in report.html and the summary until a person grades them in
formgrader; the next ``grade`` run (the student's files unchanged, so not graded again) counts them."""

import re
from pathlib import Path

import pytest

from autograder import course, examples

from .conftest import autograder, read_grades

pytestmark = pytest.mark.slow

SOURCE = Path(__file__).parent / "fixtures" / "manual_source"


def test_manual_points_pending_then_counted(tmp_path):
    course_root = tmp_path / "course"
    autograder("release", "manual", "--source", SOURCE, "--course", course_root)
    subs = examples.make_submissions(course_root / "release" / "manual", SOURCE / "manual", tmp_path / "subs",
                                     {"mia": "correct", "ned": "correct"})
    common = ("--out", tmp_path / "out", "--jobs", 1, "--source", SOURCE, "--course", course_root, "--no-progress")
    first = autograder("grade", "manual", subs, *common)
    assert "awaiting manual grading: 2" in first.stdout
    assert "2 students: 3 points await manual grading (nbgrader formgrader)" in first.stdout
    page = (tmp_path / "out" / "report.html").read_text()
    assert "<td>explain</td><td>3</td><td>pending</td><td>pending</td>" in page
    assert "4 / 7 <span class=pending>+ 3 pending</span>" in page

    # What formgrader does when a person gives mia 2 of the 3 points.
    from nbgrader.api import Gradebook

    with Gradebook(course.sqlite_url(course_root / "gradebook.db")) as gb:
        grade = gb.find_grade("explain", "manual", "manual", "mia")
        grade.manual_score = 2.0
        grade.needs_manual_grade = False
        gb.db.commit()

    again = autograder("grade", "manual", subs, *common)
    assert "2 unchanged and skipped" in again.stdout
    assert "ned: 3 points await manual grading" in again.stdout
    grades = read_grades(tmp_path / "out")
    assert grades["mia"]["score"] == "6" and "await manual grading" not in grades["mia"]["notes"]
    assert grades["ned"]["score"] == "4" and "3 points await manual grading" in grades["ned"]["notes"]
    page = (tmp_path / "out" / "report.html").read_text()
    assert re.search(r"<td>explain</td><td>3</td><td>0% \(1 pending\)</td><td>2\.00</td>", page), page
    assert "<td>6 / 7</td>" in page
