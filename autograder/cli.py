"""Command line: ``python -m autograder release|grade``.

::

    python -m autograder release [ASSIGNMENT ...] [--out DIR]
    python -m autograder grade ASSIGNMENT SUBMISSIONS [--out DIR] [--jobs N] [--force] [--db URL]
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

from . import course, pool, sandbox


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--source", type=Path, default=course.DEFAULT_SOURCE,
                   help="folder of instructor notebooks, <source>/<assignment>/<notebook>.ipynb "
                        "(default: the repository's notebooks/)")
    p.add_argument("--course", type=Path, default=course.AUTOGRADER_DIR,
                   help="nbgrader course folder (default: autograder/)")
    p.add_argument("--db", default=None, metavar="URL",
                   help="gradebook as an SQLAlchemy URL, e.g. postgresql://user@host/lstmlab "
                        "(default: sqlite COURSE/gradebook.db)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m autograder", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)

    rel = sub.add_parser("release", help="make the learner versions of assignments")
    rel.add_argument("assignments", nargs="*", metavar="ASSIGNMENT", help="default: all")
    rel.add_argument("--out", type=Path, default=None,
                     help="write DIR/<assignment>/<notebook>.ipynb (default: COURSE/release)")
    _common(rel)

    gr = sub.add_parser("grade", help="grade a folder of submissions")
    gr.add_argument("assignment", metavar="ASSIGNMENT")
    gr.add_argument("submissions", type=Path, metavar="SUBMISSIONS",
                    help="one folder per student id (or nbgrader's zip_collect layout)")
    gr.add_argument("--out", type=Path, default=None, help="default: grading-out/<assignment>")
    gr.add_argument("--jobs", type=int, default=0, help="worker processes (default: number of CPUs)")
    gr.add_argument("--force", action="store_true", help="re-grade students already graded")
    gr.add_argument("--cell-timeout", type=float, default=None, help="seconds per cell")
    gr.add_argument("--notebook-timeout", type=float, default=None, help="seconds per notebook")
    gr.add_argument("--memory-mb", type=int, default=None, help="address space per kernel process")
    gr.add_argument("--no-progress", action="store_true", help="no progress bar")
    _common(gr)
    return parser


def release(args) -> int:
    from . import pipeline

    cfg = course.load_config(args.course, args.db)
    names = args.assignments or course.list_assignments(args.source)
    for a in names:
        course.ensure_generated(cfg, args.source, a)
        # Also prepare the workers' template gradebook now, so that `grade` starts at once.
        pipeline.build_template(pipeline.Options(a, Path("."), Path("."), source=args.source,
                                                 course_root=args.course))
        src = Path(args.course) / "release" / a
        if args.out is not None and Path(args.out).resolve() / a != src.resolve():
            dest = Path(args.out) / a
            shutil.rmtree(dest, ignore_errors=True)
            shutil.copytree(src, dest)
        else:
            dest = src
        print(f"released {a}: {', '.join(p.name for p in sorted(dest.glob('*.ipynb')))} -> {dest}")
    return 0


def grade(args) -> int:
    if args.jobs < 0:
        raise ValueError(f"--jobs: expected a number of worker processes >= 1 (0 = all CPUs), "
                         f"got {args.jobs}; hint: --jobs 2")
    course.check_assignment(args.source, args.assignment)
    # The workers start before this process imports nbgrader (pipeline): both import at once.
    workers = pool.start(pool.count(args.jobs, args.submissions))
    try:
        from . import pipeline

        execute = {"cell_timeout": args.cell_timeout, "notebook_timeout": args.notebook_timeout,
                   "memory_bytes": None if args.memory_mb is None else args.memory_mb * 1024**2}
        opts = pipeline.Options(
            assignment=args.assignment, submissions=args.submissions,
            out=args.out or Path("grading-out") / args.assignment, jobs=args.jobs, force=args.force,
            db_url=args.db, source=args.source, course_root=args.course,
            execute={k: v for k, v in execute.items() if v is not None}, progress=not args.no_progress,
        )
        summary = pipeline.run(opts, workers)
    finally:
        workers.shutdown(wait=False, cancel_futures=True)  # run() has already waited for them
    print(pipeline.format_summary(summary))
    print(f"wrote {opts.out / 'grades.csv'}, {opts.out / 'feedback'}/, {opts.out / 'report.html'}")
    # A batch stopped on the grader's environment must not look like a finished one.
    return 2 if summary.get("stopped") else 0


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    course.setup_environment()
    try:
        return release(args) if args.command == "release" else grade(args)
    except (ValueError, course.GradingError, sandbox.SandboxUnavailable) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
