"""What crosses the process boundary: a worker's :class:`Result` and the batch's :class:`Row`.

Both are plain dataclasses (picklable, like :class:`autograder.worker.Task`): a misspelt
field fails where it is written instead of reading as a silent default.
"""

from __future__ import annotations

import dataclasses

#: Statuses of a student: graded, or not (the learner's files or the grader's set-up; the note says which).
GRADED, FAILED = "graded", "failed"


@dataclasses.dataclass
class CellScore:
    """One graded cell as the worker's scratch gradebook scored it.

    Attributes:
        score: points the autograder gave; ``None`` for a written answer (manual only).
        max: points the cell is worth.
        manual: whether nbgrader wants a person to grade it.
    """

    score: float | None
    max: float
    manual: bool = False


@dataclasses.dataclass
class Result:
    """One student graded by a worker (:func:`autograder.worker.grade`), merged by
    :func:`autograder.pipeline.merge`.

    Attributes:
        student_id: the student.
        status: :data:`GRADED` or :data:`FAILED`.
        notes: lines for the learner and the instructor, ``"<notebook>.ipynb: ..."``.
        flags: reasons to look at the submission by hand (:mod:`autograder.flags`).
        timed_out: a cell or the notebook ran past its time limit.
        environment_error: set when cells failed on the grader's set-up (an ImportError of
            lstmlab, numpy or torch), not on the learner's code; the student is then ``failed``.
        cells: notebook -> grade_id -> :class:`CellScore`.
        autograded: notebook -> path of the autograded notebook (in ``scratch``).
        feedback: notebook -> path of its feedback page (in ``scratch``).
        error: the end of nbgrader's log and the kernel's stderr when grading failed.
        scratch: the worker's scratch folder (removed by :func:`autograder.worker.cleanup`).
        slot: the worker slot (sandbox uid) that graded it.
        started: ``time.time()`` when grading started.
        seconds: wall time of grading.
    """

    student_id: str
    status: str = GRADED
    notes: list[str] = dataclasses.field(default_factory=list)
    flags: list[str] = dataclasses.field(default_factory=list)
    timed_out: bool = False
    environment_error: str = ""
    cells: dict[str, dict[str, CellScore]] = dataclasses.field(default_factory=dict)
    autograded: dict[str, str] = dataclasses.field(default_factory=dict)
    feedback: dict[str, str] = dataclasses.field(default_factory=dict)
    error: str = ""
    scratch: str = ""
    slot: int | None = None
    started: float | None = None
    seconds: float = 0.0


@dataclasses.dataclass
class Row:
    """One student's line of ``grades.csv`` and ``report.html`` (kept in ``OUT/results.json``).

    Attributes:
        student_id: the student.
        score: points, autograded plus those a person gave in formgrader.
        max_score: points the assignment is worth.
        status: :data:`GRADED` or :data:`FAILED`.
        timed_out: a time limit stopped a notebook.
        flags: reasons to look at the submission by hand.
        notes: every note (the submission's problems first).
        cells: ``"<notebook>/<grade_id>"`` -> points (0 for a cell not graded yet).
        pending: points that await manual grading in formgrader.
        pending_cells: ``"<notebook>/<grade_id>"`` of the cells that await it.
        digest: SHA-256 of the submitted files (a re-run skips unchanged students).
        seconds: grading wall time.
        error: why grading failed (nbgrader's log, the kernel's stderr).
        slot: worker slot that graded it.
        started: ``time.time()`` when grading started.
    """

    student_id: str
    score: float
    max_score: float
    status: str
    timed_out: bool = False
    flags: list[str] = dataclasses.field(default_factory=list)
    notes: list[str] = dataclasses.field(default_factory=list)
    cells: dict[str, float] = dataclasses.field(default_factory=dict)
    pending: float = 0.0
    pending_cells: list[str] = dataclasses.field(default_factory=list)
    digest: str = ""
    seconds: float = 0.0
    error: str = ""
    slot: int | None = None
    started: float | None = None

    def flags_not_in_notes(self) -> list[str]:
        """Each flag once, leaving out those already written as a note."""
        return [f for f in dict.fromkeys(self.flags) if f not in self.notes]

    def to_json(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_json(cls, data: dict) -> Row:
        """A row saved by :meth:`to_json` (fields this version does not know are dropped)."""
        names = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in names})
