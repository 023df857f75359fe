"""The end-of-run summary groups repeated notes; report.html shows manual points as pending."""

from autograder import pipeline, report
from autograder.results import Row

STRUCTURE = {"rnn": {"test_a": 2.0, "explain": 3.0}}


def _row(sid, notes=(), flags=(), pending=0.0, cells=None, status="graded"):
    cells = cells if cells is not None else {"rnn/test_a": 2.0, "rnn/explain": 0.0}
    return Row(sid, sum(cells.values()), 5.0, status, notes=list(notes), flags=list(flags), cells=cells,
               pending=pending, pending_cells=["rnn/explain"] if pending else [])


def test_repeated_notes_are_one_line():
    rows = [_row(f"s{i:03d}", notes=[f"3 {pipeline.MANUAL_NOTE}"], pending=3.0) for i in range(80)]
    rows += [_row("zed", notes=["rnn.ipynb: a cell ran past its time limit of 120 s"], flags=["rnn.ipynb: odd"])]
    lines = pipeline.group_lines(rows)
    assert lines[0] == f"80 students: 3 {pipeline.MANUAL_NOTE}"
    assert "zed: rnn.ipynb: a cell ran past its time limit of 120 s" in lines
    assert "zed: FLAG rnn.ipynb: odd" in lines
    assert len(lines) == 3


def test_a_500_student_run_fits_on_a_screen():
    # Every student with a note of their own plus one shared by all: the summary stays short.
    rows = [_row(f"s{i:03d}", notes=[f"3 {pipeline.MANUAL_NOTE}", f"rnn.ipynb: cell {i} stopped"], pending=3.0)
            for i in range(500)]
    text = pipeline.format_summary(pipeline.summarize(rows, [], []))
    lines = text.splitlines()
    assert len(lines) <= pipeline.SUMMARY_LINES + 2, text
    assert lines[1] == f"  500 students: 3 {pipeline.MANUAL_NOTE}"
    assert lines[-1] == "  ... and 481 other notes on 481 students: see report.html"
    assert "awaiting manual grading: 500" in lines[0]


def test_report_shows_manual_points_pending(tmp_path):
    rows = [_row("a", pending=3.0), _row("b", pending=3.0)]
    rates = {q["cell"]: q for q in report.pass_rates(rows, STRUCTURE)}
    assert rates["explain"]["pass_rate"] is None and rates["explain"]["pending"] == 2
    assert rates["test_a"]["pass_rate"] == 1.0
    page = report.write_report(tmp_path, "rnn", rows, STRUCTURE, []).read_text()
    assert "<td>explain</td><td>3</td><td>pending</td><td>pending</td>" in page
    assert "2 / 5 <span class=pending>+ 3 pending</span>" in page
    assert "<td>0%</td>" not in page  # the pending question is not shown as failed by everyone


def test_report_after_manual_grading(tmp_path):
    # One graded in formgrader (3 points), one still pending: the question is rated over the graded one.
    rows = [_row("a", cells={"rnn/test_a": 2.0, "rnn/explain": 3.0}), _row("b", pending=3.0)]
    rates = {q["cell"]: q for q in report.pass_rates(rows, STRUCTURE)}
    assert rates["explain"]["pass_rate"] == 1.0 and rates["explain"]["pending"] == 1
    page = report.write_report(tmp_path, "rnn", rows, STRUCTURE, []).read_text()
    assert "<td>100% (1 pending)</td><td>3.00</td>" in page
    assert "<td>5 / 5</td>" in page
