"""``python -m autograder grade``: from a folder of submissions to grades, feedback and a report.

Steps: (1) copy the instructor notebooks into the course folder and run nbgrader's
``generate_assignment`` (the real gradebook learns the assignment's cells); (2) build a
*template* SQLite gradebook the same way in a scratch course; (3) check every student's
folder (:mod:`autograder.collect`); (4) grade the students in ``--jobs`` worker processes,
each in its own scratch course with a copy of the template (:mod:`autograder.worker`);
(5) merge each result into the real gradebook, serially, in this process; (6) write
``grades.csv``, ``feedback/<student>/*.html`` and ``report.html``.

``OUT/results.json`` remembers each student's result and a digest of the submitted files:
a re-run skips students whose files did not change (``--force`` re-grades everyone).
"""

from __future__ import annotations

import concurrent.futures as cf
import csv
import dataclasses
import json
import shutil
import tempfile
from pathlib import Path

from tqdm.auto import tqdm

from . import collect, course, feedback, kernel, pool, preflight, report, sandbox, worker
from .results import FAILED, GRADED, Result, Row

CSV_COLUMNS = ["student_id", "score", "max_score", "status", "timed_out", "flagged", "notes"]

#: Students in a row whose cells fail on the grader's environment (ImportError of lstmlab,
#: numpy, torch) before the batch stops: the set-up is broken, grading the rest would only
#: fail them too.
ENVIRONMENT_FAILURES_TO_STOP = 3

#: Lines of the end-of-run summary below its head: enough for a screen at any class size.
SUMMARY_LINES = 20

MANUAL_NOTE = "points await manual grading (nbgrader formgrader)"


@dataclasses.dataclass
class Options:
    """Options of one ``grade`` run (see ``python -m autograder grade --help``)."""

    assignment: str
    submissions: Path
    out: Path
    jobs: int = 0
    force: bool = False
    db_url: str | None = None
    source: Path = course.DEFAULT_SOURCE
    course_root: Path = course.AUTOGRADER_DIR
    execute: dict = dataclasses.field(default_factory=dict)
    progress: bool = True


def template_structure(db_url: str, assignment: str) -> dict:
    """notebook -> grade_id -> max score, from a gradebook that knows the assignment."""
    from nbgrader.api import Gradebook

    with Gradebook(db_url) as gb:
        a = gb.find_assignment(assignment)
        return {nb.name: {c.name: float(c.max_score) for c in nb.grade_cells} for nb in a.notebooks}


def build_template(opts: Options) -> Path:
    """A course (``COURSE/work/template/<assignment>``) whose SQLite gradebook holds only the
    assignment's cells; rebuilt only when the sources change."""
    root = Path(opts.course_root) / "work" / "template" / opts.assignment
    course.ensure_generated(course.load_config(root), opts.source, opts.assignment)
    return root


def already_graded(db_url: str, assignment: str) -> set[str]:
    from nbgrader.api import Gradebook

    with Gradebook(db_url) as gb:
        return {s.student.id for s in gb.find_assignment(assignment).submissions}


def merge(result: Result, sub: collect.Submission, structure: dict, opts: Options, db_url: str) -> Row:
    """Write one worker result into the real gradebook, the course folder and OUT.

    A student failed by the grader's environment (``result.environment_error``) gets no
    gradebook row: a 0 there would read as the learner's.
    """
    from nbgrader.api import Gradebook

    sid, a = sub.student_id, opts.assignment
    cells = result.cells
    if not result.environment_error:
        with Gradebook(db_url) as gb:
            gb.update_or_create_student(sid)
            submission = gb.update_or_create_submission(a, sid)
            for nb in submission.notebooks:
                for g in nb.grades:
                    cell = cells.get(nb.name, {}).get(g.name)
                    score = cell.score if cell is not None else 0.0
                    g.auto_score = score
                    # Written answers (no autograder score) wait for a grader in formgrader,
                    # unless one already gave their points there (kept on a re-grade).
                    g.needs_manual_grade = (bool(cell is not None and cell.manual) or score is None) \
                        and g.manual_score is None
            gb.db.commit()

    fb_out = opts.out / "feedback" / sid
    shutil.rmtree(fb_out, ignore_errors=True)
    fb_out.mkdir(parents=True, exist_ok=True)
    for kind, pages in (("autograded", result.autograded), ("feedback", result.feedback)):
        dest = Path(opts.course_root) / kind / sid / a
        shutil.rmtree(dest, ignore_errors=True)
        for path in pages.values():
            dest.mkdir(parents=True, exist_ok=True)
            shutil.copy(path, dest / Path(path).name)
            if kind == "feedback":
                shutil.copy(path, fb_out / Path(path).name)
    lines = sub.problems + result.notes
    for name in structure:
        if name not in result.feedback:
            mine = [p for p in sub.problems if p.startswith(f"{name}.ipynb")] or lines
            what = "not graded, the grader's set-up failed" if result.environment_error else "0 points"
            page = feedback.simple_page(f"{a} / {name}.ipynb: {what} ({sid})", mine or ["not graded"])
            (fb_out / f"{name}.html").write_text(page, encoding="utf-8")

    # No score counts from a run the grader's set-up broke (the kernel lacked the course's packages).
    scored = {} if result.environment_error else cells
    per_cell = {f"{nb}/{cid}": _points(scored.get(nb, {}).get(cid)) for nb, ids in structure.items() for cid in ids}
    return Row(
        student_id=sid,
        score=round(sum(per_cell.values()), 6),
        max_score=sum(sum(ids.values()) for ids in structure.values()),
        status=result.status,
        timed_out=result.timed_out,
        flags=sub.flags + result.flags,
        notes=lines,
        cells=per_cell,
        digest=sub.digest,
        seconds=round(result.seconds, 2),
        error=result.error,
        slot=result.slot,
        started=result.started,
    )


def _points(cell) -> float:
    return 0.0 if cell is None or cell.score is None else float(cell.score)


def with_manual_grades(rows: list[Row], db_url: str, assignment: str) -> list[Row]:
    """Each graded row with the gradebook's view of manual grading: points a person gave in
    formgrader are added, and those still to give are ``pending`` (with a note saying so).

    Read at the end of every run, so a re-run after grading in formgrader shows the points
    even for students whose files did not change (and were not graded again).
    """
    from nbgrader.api import Gradebook, MissingEntry

    with Gradebook(db_url) as gb:
        for row in rows:
            row.notes = [n for n in row.notes if not n.endswith(MANUAL_NOTE)]
            row.pending, row.pending_cells = 0.0, []
            if row.status != GRADED:
                continue
            try:
                submission = gb.find_submission(assignment, row.student_id)
            except MissingEntry:
                continue
            for nb in submission.notebooks:
                for g in nb.grades:
                    key = f"{nb.name}/{g.name}"
                    if g.needs_manual_grade:
                        row.pending += float(g.max_score)
                        row.pending_cells.append(key)
                    elif g.manual_score is not None and key in row.cells:
                        row.cells[key] = float(g.manual_score)
            row.score = round(sum(row.cells.values()), 6)
            if row.pending:
                row.notes.append(f"{row.pending:g} {MANUAL_NOTE}")
    return rows


def write_grades(out: Path, rows: list[Row]) -> Path:
    path = out / "grades.csv"
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(CSV_COLUMNS)
        for r in sorted(rows, key=lambda r: r.student_id):
            w.writerow([r.student_id, f"{r.score:g}", f"{r.max_score:g}", r.status,
                        int(r.timed_out), int(bool(r.flags)), " | ".join(r.notes + r.flags_not_in_notes())])
    return path


def run(opts: Options, workers: cf.ProcessPoolExecutor | None = None) -> dict:
    """Grade ``opts.submissions``; return the summary (also printed by the CLI).

    ``workers``: a pool from :func:`autograder.pool.start` (the CLI starts it before importing
    this module); by default one is started here.  It is shut down on return.
    """
    course.setup_environment()
    course.quiet_warnings()
    opts.out = Path(opts.out)
    if workers is None:
        # Start the workers first: they spawn and import nbgrader while this process prepares.
        workers = pool.start(pool.count(opts.jobs, opts.submissions))
    try:
        opts.out.mkdir(parents=True, exist_ok=True)
        return _run(opts, workers)
    finally:
        workers.shutdown(wait=True, cancel_futures=True)


def _run(opts: Options, workers: cf.ProcessPoolExecutor) -> dict:
    sandbox.check_available()
    kernel.compile_bytecode()  # before any kernel starts: they cannot write it themselves
    # Before the first student: a kernel that cannot import the grader's lstmlab would grade
    # the whole class 0 (exit 2, no student written; see autograder/preflight.py).  Its kernel
    # starts in a thread while this one prepares the batch; the answer is awaited below.
    checking = cf.ThreadPoolExecutor(1, thread_name_prefix="preflight")
    checked = checking.submit(preflight.check, course.load_config(opts.course_root, **opts.execute))
    checking.shutdown(wait=False)
    cfg = course.load_config(opts.course_root, opts.db_url)
    db_url = cfg.CourseDirectory.db_url
    course.ensure_generated(cfg, opts.source, opts.assignment)

    scratch = Path(tempfile.mkdtemp(prefix="autograder-"))
    try:
        template = build_template(opts)
        structure = template_structure(course.sqlite_url(template / "gradebook.db"), opts.assignment)
        subs, stray = collect.read_submissions(
            opts.submissions, Path(opts.course_root) / "release" / opts.assignment, scratch / "zip")

        state_path = opts.out / "results.json"
        state = json.loads(state_path.read_text()) if state_path.exists() else {}
        in_gradebook = already_graded(db_url, opts.assignment)
        todo, skipped = [], []
        for s in subs:
            old = state.get(s.student_id)
            # A submission that failed with gradable notebooks (an nbgrader or machine problem,
            # not the learner's) is tried again even when its files did not change.
            settled = old and (old.get("status") == "graded" or not s.notebooks)
            if not opts.force and settled and old.get("digest") == s.digest and s.student_id in in_gradebook:
                skipped.append(s.student_id)
            else:
                todo.append(s)
        rows = {sid: Row.from_json(state[sid]) for sid in skipped}

        checked.result()  # raises PreflightError: no student is graded
        tasks = {}
        for s in todo:
            if s.notebooks:
                tasks[s.student_id] = worker.Task(
                    opts.assignment, s.student_id, {k: str(v) for k, v in s.notebooks.items()},
                    str(template), str(scratch), opts.execute)
            else:
                rows[s.student_id] = merge(Result(s.student_id, status=FAILED), s, structure, opts, db_url)
        by_id = {s.student_id: s for s in todo}
        bar = tqdm(total=len(tasks), desc=f"grading {opts.assignment}", unit="student",
                   disable=not opts.progress)
        stopped = ""
        if tasks:
            preload = report.preload_in_background()
            in_a_row = 0
            try:
                futures = {workers.submit(worker.grade, t): sid for sid, t in tasks.items()}
                for fut in cf.as_completed(futures):
                    sid = futures[fut]
                    try:
                        result = fut.result()
                    except cf.CancelledError:
                        continue
                    except Exception as err:  # a worker crash must not stop the batch
                        result = Result(sid, status=FAILED, notes=[f"grading crashed: {type(err).__name__}: {err}"])
                    rows[sid] = merge(result, by_id[sid], structure, opts, db_url)
                    worker.cleanup(result)
                    state[sid] = rows[sid].to_json()
                    state_path.write_text(json.dumps(state, indent=1, sort_keys=True))
                    bar.update(1)
                    in_a_row = in_a_row + 1 if result.environment_error else 0
                    if in_a_row >= ENVIRONMENT_FAILURES_TO_STOP and not stopped:
                        stopped = (f"stopped: {in_a_row} students in a row failed on the grader's environment "
                                   f"({result.environment_error}); the others were not graded. hint: fix the "
                                   "grader's venv (`make venv`, or `pip install -e .` in this checkout) "
                                   "and grade again")
                        for other in futures:
                            other.cancel()
            finally:
                # Every result is in: the workers exit while the report is written (run() waits).
                workers.shutdown(wait=False, cancel_futures=True)
            preload.join()
        bar.close()
        current = with_manual_grades([rows[s.student_id] for s in subs if s.student_id in rows],
                                     db_url, opts.assignment)
        state.update({r.student_id: r.to_json() for r in current})
        state_path.write_text(json.dumps(state, indent=1, sort_keys=True))

        write_grades(opts.out, current)
        report.write_report(opts.out, opts.assignment, current, structure, stray)
        summary = summarize(current, skipped, stray)
        summary["stopped"] = stopped
        summary["not_graded"] = len(subs) - len(current)
        return summary
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def summarize(rows: list[Row], skipped: list[str], stray: list[str]) -> dict:
    """Counts, and the notes and flags grouped (:func:`group_lines`)."""
    return {
        "students": len(rows),
        "graded": sum(r.status == GRADED for r in rows),
        "failed": sum(r.status == FAILED for r in rows),
        "timed_out": sum(r.timed_out for r in rows),
        "flagged": sum(bool(r.flags) for r in rows),
        "pending": sum(r.pending > 0 for r in rows),
        "skipped": len(skipped),
        "lines": group_lines(rows) + list(stray),
        "stopped": "",
        "not_graded": 0,
    }


def group_lines(rows: list[Row], limit: int = SUMMARY_LINES) -> list[str]:
    """One line per distinct note or flag: ``"80 students: 3 points await manual grading"``, or
    ``"alice: ..."`` when one student has it; the most common first, at most ``limit`` lines."""
    who: dict[str, list[str]] = {}
    for r in sorted(rows, key=lambda r: r.student_id):
        for line in r.notes + [f"FLAG {f}" for f in r.flags_not_in_notes()]:
            who.setdefault(line, []).append(r.student_id)
    groups = sorted(who.items(), key=lambda kv: (-len(kv[1]), kv[1][0], kv[0]))
    out = [f"{len(ids)} students: {line}" if len(ids) > 1 else f"{ids[0]}: {line}" for line, ids in groups[:limit]]
    rest = groups[limit:]
    if rest:
        students = len({sid for _, ids in rest for sid in ids})
        out.append(f"... and {len(rest)} other notes on {students} students: see report.html")
    return out


def format_summary(summary: dict) -> str:
    head = (f"graded: {summary['graded']}, failed: {summary['failed']}, timed out: {summary['timed_out']}, "
            f"flagged: {summary['flagged']}, awaiting manual grading: {summary['pending']} "
            f"(of {summary['students']} students; {summary['skipped']} unchanged and skipped)")
    lines = [head, *("  " + line for line in summary["lines"])]
    if summary.get("stopped"):
        lines.append(f"{summary['stopped']} ({summary['not_graded']} students not graded)")
    return "\n".join(lines)
