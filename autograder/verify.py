"""Confirming test cells outside the kernel, from the evidence the checks recorded.

A test cell that passed in the learner's kernel only proves that the kernel *said* it
passed: code in an earlier cell can patch the interpreter so that later cells never run
(IPython's classes, the kernel's message handlers) and every test "passes".  So after a
notebook has run, each locked test cell that passed is replayed here, in the grader's own
process, with :func:`lstmlab.evidence.replay_cell`: the real checks, fed the values the
learner's code returned in the kernel (recorded in the scratch folder's evidence file),
compute the reference and decide again.  No evidence, malformed evidence or values that
fail the check: the cell fails with an explanation.

Only cells made of ``lstmlab.grading`` checks can be replayed
(:func:`lstmlab.evidence.checks_only`); a custom test cell keeps the kernel's verdict.
"""

from __future__ import annotations

import contextlib
import io
from pathlib import Path

from nbgrader.utils import determine_grade

from lstmlab import evidence

from .sandbox import EVIDENCE_FILE


def evidence_path(scratch: Path) -> Path:
    """Where the kernel's checks write (its ``LSTMLAB_EVIDENCE``)."""
    return Path(scratch) / EVIDENCE_FILE


def clear(scratch: Path) -> None:
    """Remove the evidence file (before a test cell: what earlier cells wrote doesn't count)."""
    try:
        evidence_path(scratch).unlink()
    except OSError:  # absent; or something else planted under that name, which then can't be written
        pass


def collect(scratch: Path) -> list[dict] | str:
    """The records a test cell left (then removes the file), or why they can't be read."""
    path = evidence_path(scratch)
    try:
        return evidence.read(str(path))
    except evidence.EvidenceError as err:
        return str(err)
    except OSError as err:  # a folder or a fifo planted under that name, ...
        return f"the evidence file could not be read ({err.strerror or err})"
    finally:
        clear(scratch)


def passed(cell) -> bool:
    """Whether nbgrader gives the test cell any points (no error output, nothing on stderr)."""
    score, _ = determine_grade(cell)
    return bool(score)


def confirm(source: str, records: list[dict] | str, ecf: bool = True) -> str | None:
    """``None`` when the test cell's checks pass again on the recorded values, else why not.

    ``ecf``: whether the assignment gives error-carried-forward credit.  The replay decides
    with this, the grader's own setting, whatever the kernel's environment said: a backward
    credited past a forward mistake is confirmed only when the grader, from the recorded
    forward outputs, finds the same known mistake and computes that mistake's exact gradient
    (``lstmlab.grading._variants``) equal to the recorded backward.
    """
    if isinstance(records, str):
        return records
    if not records:
        return "no check in this cell recorded that it ran in the notebook"
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
        return evidence.replay_cell(source, records, ecf)
