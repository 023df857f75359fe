"""Grading one student in a private scratch course folder (runs in a worker process).

nbgrader's gradebook is not made for concurrent writers, so a worker never touches the
real one: it copies a *template* gradebook (the assignment's cells only, no students),
autogrades the student there with nbgrader's ``Autograde`` (whose ``Execute`` step runs
the kernel in the sandbox), renders feedback with ``GenerateFeedback``, and returns the
scores.  The main process merges them into the real gradebook one student at a time.
"""

from __future__ import annotations

import dataclasses
import shutil
import tempfile
import time
from pathlib import Path

from .lazy_imports import defer_rfc3987_syntax

defer_rfc3987_syntax()  # before nbformat (see autograder/__main__.py)

import nbformat  # noqa: E402

from . import collect, course, feedback, flags, kernel, sandbox  # noqa: E402
from .results import FAILED, CellScore, Result  # noqa: E402

#: Worker slot of this process (selects the sandbox uid); set by :func:`init_worker`.
SLOT = 0

@dataclasses.dataclass
class Task:
    """Everything a worker needs to grade one student (picklable)."""

    assignment: str
    student_id: str
    notebooks: dict  # notebook name -> path of the submitted file
    template: str  # template course folder (gradebook.db + source/<assignment>)
    scratch_root: str
    execute: dict  # SandboxedExecute overrides (timeouts, limits)


#: Open lock of the leased slot (held until the worker process ends).
_SLOT_LOCK: int | None = None


def init_worker(slots) -> None:
    """ProcessPool initializer: lease a worker slot (one sandbox uid per concurrent worker on
    the machine, this run's or another's); the run's own numbering is tried first."""
    global SLOT, _SLOT_LOCK
    SLOT, _SLOT_LOCK = sandbox.lease_slot(slots.get())
    course.setup_environment()
    course.quiet_warnings()


def warm_up() -> None:
    """Import what grading needs and build the feedback exporter (runs once per worker)."""
    import nbclient  # noqa: F401
    import nbgrader.converters  # noqa: F401

    from . import execute  # noqa: F401

    feedback.feedback_exporter()


def _scores(db_url: str, assignment: str, student_id: str) -> dict[str, dict[str, CellScore]]:
    from nbgrader.api import Gradebook

    out = {}
    with Gradebook(db_url) as gb:
        sub = gb.find_submission(assignment, student_id)
        for nb in sub.notebooks:
            out[nb.name] = {g.name: CellScore(None if g.auto_score is None else float(g.auto_score),
                                              float(g.max_score), bool(g.needs_manual_grade))
                            for g in nb.grades}
    return out


def _uid_processes() -> str:
    """``pid state name`` of the processes still running as this slot's sandbox uid."""
    if not sandbox.is_root():
        return "n/a"
    return "; ".join(f"{p['pid']} {p['state']} {p['name']} threads={p['threads']}"
                     for p in kernel.uid_processes(sandbox.sandbox_uid(SLOT))) or "none"


def _kernel_stderr() -> str:
    try:
        with open(kernel.LAST_STDERR, "rb") as f:
            return f.read(4000).decode("utf-8", "replace")
    except OSError:
        return ""


def grade(task: Task) -> Result:
    """Autograde one student; return a picklable :class:`~autograder.results.Result`
    (merged by :func:`autograder.pipeline.merge`)."""
    t0 = time.monotonic()
    scratch = Path(tempfile.mkdtemp(prefix=f"{task.student_id}-", dir=task.scratch_root))
    root = scratch / "course"
    template = Path(task.template)
    released_dir = template / "release" / task.assignment
    (root / "source").mkdir(parents=True)
    shutil.copy(template / "gradebook.db", root / "gradebook.db")
    # Non-notebook files of the assignment (data) are copied next to the notebooks by nbgrader.
    shutil.copytree(template / "source" / task.assignment, root / "source" / task.assignment,
                    ignore=shutil.ignore_patterns("*.ipynb"))
    sub_dir = root / "submitted" / task.student_id / task.assignment
    sub_dir.mkdir(parents=True)
    result = Result(task.student_id, slot=SLOT, started=time.time(), scratch=str(scratch))
    for name, path in task.notebooks.items():
        nb = nbformat.read(path, as_version=4)
        collect.restore_deleted_cells(nb, nbformat.read(released_dir / f"{name}.ipynb", as_version=4))
        nbformat.write(nb, sub_dir / f"{name}.ipynb")
        result.flags += flags.suspicious_code(name, nb)

    cfg = course.load_config(root, **task.execute)
    cfg.SandboxedExecute.slot = SLOT
    from nbgrader.converters import Autograde

    for attempt in (1, 2):
        try:
            log = course.run_app(Autograde(
                coursedir=course.coursedir(cfg, assignment_id=task.assignment, student_id=task.student_id),
                config=cfg, force=True, create_student=True,
            ))
            break
        except course.GradingError as err:
            # One retry: a kernel can fail to start on a machine under heavy load.
            if attempt == 2:
                result.status = FAILED
                result.notes.append("nbgrader could not autograde this submission: " + str(err).splitlines()[0])
                result.error = (str(err)[-4000:] + "\nkernel stderr:\n" + _kernel_stderr()
                                + f"\nprocesses of the sandbox uid: {_uid_processes()}")
                kernel.drop_stderr()
                result.seconds = time.monotonic() - t0
                return result
            if sandbox.is_root():
                kernel.wait_for_uid_gone(sandbox.sandbox_uid(SLOT), timeout=30)
            time.sleep(1.0)
    kernel.drop_stderr()
    result.flags += flags.points_edited(log)
    graded_dir = root / "autograded" / task.student_id / task.assignment
    for name in task.notebooks:
        path = graded_dir / f"{name}.ipynb"
        graded = nbformat.read(path, as_version=4)
        lines, flagged, timed_out = flags.from_execution(name, feedback.notes_of(graded))
        result.notes += lines
        result.flags += flagged
        result.timed_out |= timed_out
        why = flags.environment_error(graded)
        if why and not result.environment_error:
            result.environment_error = f"{name}.ipynb: {why}"
        result.autograded[name] = str(path)
    result.cells = _scores(cfg.CourseDirectory.db_url, task.assignment, task.student_id)
    if result.environment_error:
        # The grader's set-up failed, not the learner: no grade, and no feedback blaming them.
        result.status = FAILED
        result.notes.append(f"not graded: the grader's environment failed ({result.environment_error}); "
                            "hint: fix the grader's venv and grade again")
        result.seconds = time.monotonic() - t0
        return result

    # Feedback: nbgrader's HTML feedback template and GetGrades (autograder/feedback.py).
    fb_dir = root / "feedback" / task.student_id / task.assignment
    fb_dir.mkdir(parents=True, exist_ok=True)
    for name in task.notebooks:
        try:
            page = feedback.render_feedback(graded_dir / f"{name}.ipynb", cfg.CourseDirectory.db_url,
                                            task.assignment, task.student_id, name,
                                            released=released_dir / f"{name}.ipynb")
        except Exception as err:  # feedback is a courtesy: never lose the grade over it
            result.notes.append(f"{name}.ipynb: feedback could not be rendered ({type(err).__name__}: {err})")
            continue
        (fb_dir / f"{name}.html").write_text(page, encoding="utf-8")
        result.feedback[name] = str(fb_dir / f"{name}.html")
    result.seconds = time.monotonic() - t0
    return result


def cleanup(result: Result) -> None:
    """Remove the worker's scratch folder of ``result`` (once merged)."""
    if result.scratch:
        shutil.rmtree(result.scratch, ignore_errors=True)


