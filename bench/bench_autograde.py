"""Plain serial `nbgrader autograde` against `python -m autograder grade --jobs 2`.

Releases an assignment into a scratch course, makes N example submissions (correct,
partial, broken in turn), then times, side by side in one run:

* ``nbgrader autograde ASSIGNMENT`` over all N students, one after the other, with
  nbgrader's stock ``Execute`` (no sandbox, no feedback) -- the usual way;
* ``nbgrader generate_feedback ASSIGNMENT`` after it (the HTML feedback ours also makes);
* ``python -m autograder grade ASSIGNMENT --jobs 2`` (sandboxed kernels, feedback HTML,
  report) on the same submissions, in a course folder released the same way.

Before timing, ``lstmlab``'s bytecode is written (:func:`autograder.kernel.compile_bytecode`),
which ``grade`` also does: the kernels of both runs import the same compiled ``lstmlab`` (in an
environment with ``PYTHONDONTWRITEBYTECODE`` the plain run would otherwise compile it from
source in every kernel).

Prints both times, seconds per student, and the ratio (target: >= 1.7x on 2 cores).
Usage: ``python bench/bench_autograde.py [--students 20] [--assignment fixture|rnn|...]``.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from autograder import course, examples, kernel  # noqa: E402

FIXTURES = REPO / "tests" / "autograder" / "fixtures" / "source"


def run(cmd, cwd=REPO, label=None):
    """Run ``cmd``; return its wall time (``label`` names it in error messages)."""
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}")
    t0 = time.perf_counter()
    proc = subprocess.run([str(c) for c in cmd], cwd=cwd, env=env, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - t0
    if proc.returncode != 0:
        raise SystemExit(f"failed: {' '.join(map(str, cmd))}\n{proc.stdout[-2000:]}\n{proc.stderr[-4000:]}")
    return elapsed


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--students", type=int, default=20)
    ap.add_argument("--assignment", default="rnn")
    ap.add_argument("--jobs", type=int, default=2)
    args = ap.parse_args()
    source = course.DEFAULT_SOURCE
    if not (source / args.assignment).is_dir():
        source = FIXTURES
        args.assignment = "fixture"
    tmp = Path(tempfile.mkdtemp(prefix="bench-autograde-"))
    try:
        plain, ours = tmp / "plain", tmp / "ours"
        for root in (plain, ours):
            run([sys.executable, "-m", "autograder", "release", args.assignment, "--source", source, "--course", root])
        release = plain / "release" / args.assignment
        kinds = examples.KINDS
        students = {f"s{i:03d}": kinds[i % len(kinds)] for i in range(args.students)}
        subs = examples.make_submissions(release, source / args.assignment, tmp / "subs", students)
        # nbgrader's layout for the plain run: submitted/<student>/<assignment>/<notebook>.ipynb
        for sid in students:
            shutil.copytree(subs / sid, plain / "submitted" / sid / args.assignment)
        # Plain nbgrader: stock Execute, its own config (no sandbox), all students in one process.
        (plain / "nbgrader_config.py").write_text(
            "c = get_config()\n"
            "c.CourseDirectory.course_id = 'lstmlab'\n"
            f"c.CourseDirectory.root = {str(plain)!r}\n"
            f"c.CourseDirectory.db_url = 'sqlite:///{plain}/gradebook.db'\n"
        )
        nbgrader = Path(sys.executable).parent / "nbgrader"
        kernel.compile_bytecode()  # the same compiled lstmlab for both runs (see the module doc)
        t_plain = run([nbgrader, "autograde", args.assignment], cwd=plain, label="plain")
        # The same outputs as ours need feedback too: nbgrader generate_feedback, serial.
        t_feedback = run([nbgrader, "generate_feedback", args.assignment], cwd=plain, label="feedback")
        t_ours = run([sys.executable, "-m", "autograder", "grade", args.assignment, subs, "--source", source,
                      "--course", ours, "--out", tmp / "out", "--jobs", args.jobs, "--no-progress"], label="ours")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    n = args.students
    print(f"assignment {args.assignment}, {n} submissions, {os.cpu_count()} CPUs")
    print(f"plain nbgrader autograde (serial, no sandbox): {t_plain:7.1f} s  ({t_plain / n:.2f} s/student)")
    print(f"python -m autograder grade --jobs {args.jobs} (sandbox, feedback, report): "
          f"{t_ours:7.1f} s  ({t_ours / n:.2f} s/student)")
    print(f"plain nbgrader autograde + generate_feedback (serial):      {t_plain + t_feedback:7.1f} s")
    # Kernels that ours stops are killed, not reaped in this process tree, so CPU seconds would
    # undercount ours; only wall clocks are compared.  On a shared machine they also measure the
    # neighbours: the load average is printed so that a ratio can be read against it.
    print(f"load average at the end (1 min): {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    print(f"ratio plain autograde / ours: {t_plain / t_ours:.2f}x; "
          f"plain autograde+feedback / ours: {(t_plain + t_feedback) / t_ours:.2f}x")


if __name__ == "__main__":
    main()
