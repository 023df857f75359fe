"""autograder.verify: reading a kernel's evidence file and confirming a test cell from it.

The end-to-end cases (a notebook that patches IPython so tests never run, one that forges the
evidence) are in test_tamper.py; these pin the pieces, without a kernel."""

from __future__ import annotations

import json

from nbformat.v4 import new_code_cell, new_output

from autograder import verify
from autograder.sandbox import EVIDENCE_FILE, kernel_environment

CELL = "from lstmlab.grading import check_rnn_step_forward\ncheck_rnn_step_forward(rnn_step_forward)"


def test_the_kernel_is_told_where_to_write(tmp_path):
    assert kernel_environment(tmp_path)["LSTMLAB_EVIDENCE"] == str(verify.evidence_path(tmp_path))
    assert verify.evidence_path(tmp_path).name == EVIDENCE_FILE


def test_collect_reads_the_records_and_removes_the_file(tmp_path):
    path = verify.evidence_path(tmp_path)
    path.write_text(json.dumps({"check": "check_x", "values": []}) + "\n")
    assert verify.collect(tmp_path) == [{"check": "check_x", "values": []}]
    assert not path.exists()
    assert verify.collect(tmp_path) == []  # nothing written: no records


def test_unreadable_evidence_is_a_reason_not_a_crash(tmp_path):
    verify.evidence_path(tmp_path).write_text("{not json\n")
    assert "not JSON lines" in verify.collect(tmp_path)
    verify.evidence_path(tmp_path).mkdir()  # something planted under the file's name
    assert "could not be read" in verify.collect(tmp_path)
    verify.clear(tmp_path)  # a folder can't be unlinked: clear leaves it, quietly


def _test_cell(*outputs):
    cell = new_code_cell("check_x(f)", outputs=list(outputs))
    cell.metadata["nbgrader"] = {"grade": True, "solution": False, "locked": True, "points": 2, "grade_id": "t"}
    return cell


def test_passed_follows_nbgraders_rule():
    cell = _test_cell(new_output("stream", name="stdout", text="fine\n"))
    assert verify.passed(cell)
    cell.outputs.append(new_output("stream", name="stderr", text="warning\n"))
    assert not verify.passed(cell)
    assert not verify.passed(_test_cell(new_output("error", ename="E", evalue="", traceback=[])))


def test_confirm_needs_evidence():
    assert verify.confirm(CELL, []) == "no check in this cell recorded that it ran in the notebook"
    assert verify.confirm(CELL, "the evidence file is not JSON lines.") == "the evidence file is not JSON lines."
    reason = verify.confirm(CELL, [{"check": "check_rnn_step_forward", "values": []}])
    assert "ends before the check does" in reason
