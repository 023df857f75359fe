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

from . import collect, course, kernel, pool, report, sandbox, worker

CSV_COLUMNS = ["student_id", "score", "max_score", "status", "timed_out", "flagged", "notes"]


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


def merge(result: dict, sub: collect.Submission, structure: dict, opts: Options, db_url: str) -> dict:
    """Write one worker result into the real gradebook, the course folder and OUT."""
    from nbgrader.api import Gradebook

    sid, a = sub.student_id, opts.assignment
    cells = result.get("cells", {})
    with Gradebook(db_url) as gb:
        gb.update_or_create_student(sid)
        submission = gb.update_or_create_submission(a, sid)
        manual = 0.0
        for nb in submission.notebooks:
            for g in nb.grades:
                cell = cells.get(nb.name, {}).get(g.name, {"score": 0.0})
                g.auto_score = cell["score"]
                # Written answers (no autograder score) wait for a grader in formgrader.
                g.needs_manual_grade = cell.get("manual", False) or cell["score"] is None
                if g.needs_manual_grade:
                    manual += float(g.max_score)
        gb.db.commit()

    fb_out = opts.out / "feedback" / sid
    shutil.rmtree(fb_out, ignore_errors=True)
    fb_out.mkdir(parents=True, exist_ok=True)
    for kind, key in (("autograded", "autograded"), ("feedback", "feedback")):
        dest = Path(opts.course_root) / kind / sid / a
        shutil.rmtree(dest, ignore_errors=True)
        for path in result.get(key, {}).values():
            dest.mkdir(parents=True, exist_ok=True)
            shutil.copy(path, dest / Path(path).name)
            if kind == "feedback":
                shutil.copy(path, fb_out / Path(path).name)
    lines = sub.problems + result.get("notes", [])
    if manual and result.get("status") == "graded":
        lines = lines + [f"{manual:g} points await manual grading (nbgrader formgrader)"]
    for name in structure:
        if name not in result.get("feedback", {}):
            mine = [p for p in sub.problems if p.startswith(f"{name}.ipynb")] or lines
            page = worker.simple_page(f"{a} / {name}.ipynb: 0 points ({sid})", mine or ["not graded"])
            (fb_out / f"{name}.html").write_text(page, encoding="utf-8")

    per_cell = {f"{nb}/{cid}": cells.get(nb, {}).get(cid, {}).get("score") or 0.0
                for nb, ids in structure.items() for cid in ids}
    max_score = sum(sum(ids.values()) for ids in structure.values())
    return {
        "student_id": sid,
        "score": round(sum(per_cell.values()), 6),
        "max_score": max_score,
        "status": result.get("status", "failed"),
        "timed_out": bool(result.get("timed_out")),
        "flags": sub.flags + result.get("flags", []),
        "notes": lines,
        "cells": per_cell,
        "digest": sub.digest,
        "seconds": round(result.get("seconds", 0.0), 2),
        "error": result.get("error", ""),
        "slot": result.get("slot"),
        "started": result.get("started"),
    }


def write_grades(out: Path, rows: list[dict]) -> Path:
    path = out / "grades.csv"
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(CSV_COLUMNS)
        for r in sorted(rows, key=lambda r: r["student_id"]):
            notes = r["notes"] + [f for f in dict.fromkeys(r["flags"]) if f not in r["notes"]]
            w.writerow([r["student_id"], f"{r['score']:g}", f"{r['max_score']:g}", r["status"],
                        int(r["timed_out"]), int(bool(r["flags"])), " | ".join(notes)])
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
        rows = {sid: state[sid] for sid in skipped}

        tasks = {}
        for s in todo:
            if s.notebooks:
                tasks[s.student_id] = worker.Task(
                    opts.assignment, s.student_id, {k: str(v) for k, v in s.notebooks.items()},
                    str(template), str(scratch), opts.execute)
            else:
                rows[s.student_id] = merge({"status": "failed"}, s, structure, opts, db_url)
        by_id = {s.student_id: s for s in todo}
        bar = tqdm(total=len(tasks), desc=f"grading {opts.assignment}", unit="student",
                   disable=not opts.progress)
        if tasks:
            preload = report.preload_in_background()
            try:
                futures = {workers.submit(worker.grade, t): sid for sid, t in tasks.items()}
                for fut in cf.as_completed(futures):
                    sid = futures[fut]
                    try:
                        result = fut.result()
                    except Exception as err:  # a worker crash must not stop the batch
                        result = {"status": "failed", "notes": [f"grading crashed: {type(err).__name__}: {err}"]}
                    rows[sid] = merge(result, by_id[sid], structure, opts, db_url)
                    worker.cleanup(result)
                    state.update({sid: rows[sid]})
                    state_path.write_text(json.dumps(state, indent=1, sort_keys=True))
                    bar.update(1)
            finally:
                # Every result is in: the workers exit while the report is written (run() waits).
                workers.shutdown(wait=False, cancel_futures=True)
            preload.join()
        bar.close()
        state.update(rows)
        state_path.write_text(json.dumps(state, indent=1, sort_keys=True))

        current = [rows[s.student_id] for s in subs]
        write_grades(opts.out, current)
        report.write_report(opts.out, opts.assignment, current, structure, stray)
        return summarize(current, skipped, stray)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def summarize(rows: list[dict], skipped: list[str], stray: list[str]) -> dict:
    return {
        "students": len(rows),
        "graded": sum(r["status"] == "graded" for r in rows),
        "failed": sum(r["status"] == "failed" for r in rows),
        "timed_out": sum(bool(r["timed_out"]) for r in rows),
        "flagged": sum(bool(r["flags"]) for r in rows),
        "skipped": len(skipped),
        "lines": [f"{r['student_id']}: {line}" for r in sorted(rows, key=lambda r: r["student_id"])
                  for line in r["notes"] + [f"FLAG {f}" for f in dict.fromkeys(r["flags"])
                                            if f not in r["notes"]]] + list(stray),
    }


def format_summary(summary: dict) -> str:
    head = (f"graded: {summary['graded']}, failed: {summary['failed']}, timed out: {summary['timed_out']}, "
            f"flagged: {summary['flagged']} (of {summary['students']} students; "
            f"{summary['skipped']} unchanged and skipped)")
    return "\n".join([head, *("  " + line for line in summary["lines"])])
