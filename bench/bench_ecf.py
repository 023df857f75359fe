"""Cost of error-carried-forward credit in the checks: the test cells of rnn and lstm, run in
this process with the checks of a commit before ECF and with the current ones, side by side.

The checks are the only grading code ECF changed, so what they cost per student, next to the
grading time per student (``python -m autograder grade``), bounds what ECF adds to grading.
Learners: the instructor's solution and every mistake of tests/grading/mistakes.py.  The
training cell and its test (the same code before and after) are left out.

``--grade ASSIGNMENT`` times ``grade`` itself instead: the corpus's notebooks of that
assignment, plus a correct one, graded with ECF on and (``SandboxedExecute.no_ecf``) off, in
turn, in fresh course folders: seconds per student, on and off.

Usage: ``python bench/bench_ecf.py [--before c24ccb5] [--repeats 3] [--table] [--grade rnn]``.
"""

from __future__ import annotations

import argparse
import compileall
import importlib.util
import contextlib
import io
import os
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.grading.mistakes import (  # noqa: E402
    LSTM_CELLS, MARKERS, MISTAKES, RNN_CELLS, Mistake, instructor, solution_sources,
)

SKIP = ("train_adding", "test_adding")


def old_grading(commit: str, into: Path):
    """lstmlab.grading as of ``commit``, loaded privately from an extracted copy."""
    archive = subprocess.run(["git", "archive", commit, "lstmlab"], cwd=REPO, capture_output=True, check=True).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")
    # Old modules that import a sibling absolutely (``from lstmlab.numpy._validate ...``) would
    # reach today's package, where that module may have moved: make them import their own.
    for path in (into / "lstmlab" / "numpy").glob("*.py"):
        path.write_text(path.read_text().replace("from lstmlab.numpy.", "from ."))
    # Both sides read compiled bytecode, as the grader's kernels do (autograder.kernel.compile_bytecode).
    compileall.compile_dir(str(into / "lstmlab"), quiet=1)
    compileall.compile_dir(str(REPO / "lstmlab"), quiet=1)
    folder = into / "lstmlab" / "grading"
    name = "_bench_grading_before"
    spec = importlib.util.spec_from_file_location(name, folder / "__init__.py",
                                                  submodule_search_locations=[str(folder)])
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # its relative imports need it; run_tests keeps it there while timing
    try:
        spec.loader.exec_module(module)
    finally:
        del sys.modules[name]
    return module


def cells(mistake: Mistake):
    """[(grade_id, is_test, compiled source)] of the notebook's code cells with the mistake in."""
    sources = solution_sources(mistake)
    out = []
    for cell in instructor(mistake.assignment).cells:
        meta = cell.metadata.get("nbgrader", {})
        gid = meta.get("grade_id")
        if cell.cell_type == "code" and gid not in SKIP:
            source = sources.get(gid, MARKERS.sub("", cell.source))
            is_test = bool(meta.get("grade")) and not meta.get("solution")
            out.append((gid, is_test, compile(source, gid or "cell", "exec")))
    return out


def run_tests(program, grading):
    """Run ``program`` with ``grading`` as lstmlab.grading: (seconds the test cells took,
    {grade_id: (passed, what it printed or raised)})."""
    saved = sys.modules["lstmlab.grading"]
    # Under its own (private) name too: its fresh() imports its siblings relatively.
    sys.modules["lstmlab.grading"] = sys.modules[grading.__name__] = grading
    total, results = 0.0, {}
    try:
        namespace = {"__name__": "__main__"}
        for gid, is_test, code in program:
            out = io.StringIO()
            failure = None
            t0 = time.perf_counter()
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
                try:
                    exec(code, namespace)
                except Exception as err:  # a failed check, or the learner's code failing in it
                    failure = f"{type(err).__name__}: {err}"
            if is_test:
                total += time.perf_counter() - t0
                results[gid] = (failure is None, out.getvalue() + (failure or ""))
    finally:
        sys.modules["lstmlab.grading"] = saved
        if grading.__name__ != "lstmlab.grading":
            del sys.modules[grading.__name__]
    return total, results


def _score(mistake: Mistake, results) -> float:
    points = RNN_CELLS if mistake.assignment == "rnn" else LSTM_CELLS
    return sum(points[gid] for gid, (passed, _) in results.items() if passed)


def _message(mistake: Mistake, results) -> str:
    for _, text in results.values():
        for line in text.splitlines():
            if mistake.phrase and mistake.phrase in line:
                line = line.strip().removeprefix("Hint: ")
                return line if len(line) < 120 else line[:117] + "..."
    return ""


_GRADE = ("import sys; from pathlib import Path; from autograder import pipeline; "
          "pipeline.run(pipeline.Options(sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3]), jobs=2, force=True, "
          "course_root=Path(sys.argv[4]), execute={'no_ecf': sys.argv[5:]}, progress=False))")


def time_grading(assignment: str, repeats: int) -> None:
    """Per-student ``grade`` time with ECF on and off (see the module doc)."""
    import nbformat

    from tests.grading.mistakes import learner_notebook

    learners = [Mistake("correct", assignment, {}, (), ""), *(m for m in MISTAKES if m.assignment == assignment)]
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        subprocess.run([sys.executable, "-m", "autograder", "release", assignment, "--course", tmp / "c0"],
                       cwd=REPO, check=True, capture_output=True)
        for k, m in enumerate(learners):
            (tmp / "subs" / f"s{k:02d}").mkdir(parents=True)
            nb = learner_notebook(m, tmp / "c0" / "release" / assignment / f"{assignment}.ipynb")
            nbformat.write(nb, tmp / "subs" / f"s{k:02d}" / f"{assignment}.ipynb")
        times = {"on": [], "off": []}
        for r in range(repeats):
            for label, off in (("on", []), ("off", [assignment])):
                root = tmp / f"{label}{r}"
                shutil.copytree(tmp / "c0", root)
                t0 = time.perf_counter()
                subprocess.run([sys.executable, "-c", _GRADE, assignment, tmp / "subs", root / "out", root, *off],
                               cwd=REPO, check=True, capture_output=True)
                times[label].append((time.perf_counter() - t0) / len(learners))
    on, off = statistics.median(times["on"]), statistics.median(times["off"])
    print(f"grade {assignment}, {len(learners)} students, --jobs 2, median of {repeats}: ECF on {on:.2f} s/student, "
          f"off {off:.2f} s/student, on/off {on / off:.3f}  (on {[f'{t:.2f}' for t in times['on']]}, "
          f"off {[f'{t:.2f}' for t in times['off']]}; load {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--before", default="c24ccb5", help="a commit before ECF")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--table", action="store_true", help="print mistake -> score before / after -> message")
    ap.add_argument("--grade", metavar="ASSIGNMENT", help="time `grade` per student, ECF on and off")
    args = ap.parse_args()
    if args.grade:
        time_grading(args.grade, args.repeats)
        return
    import lstmlab.grading as now

    correct = [Mistake(f"{a}: the instructor's solution", a, {}, (), "") for a in ("rnn", "lstm")]
    learners = [*correct, *MISTAKES]
    with tempfile.TemporaryDirectory() as tmp:
        before = old_grading(args.before, Path(tmp))
        programs = [(m, cells(m)) for m in learners]
        if args.table:
            print("| mistake | before | after | message now shown |\n|---|---|---|---|")
            for m, program in programs[2:]:
                _, old = run_tests(program, before)
                _, new = run_tests(program, now)
                print(f"| {m.name} | {_score(m, old):g} | {_score(m, new):g} | {_message(m, new)} |")
            print("(automatic points without the training cell: rnn out of 14, lstm out of 17)")
            return
        times = {"before": [], "after": []}
        for _ in range(args.repeats):  # alternate, so load drifts hit both alike
            for label, grading in (("before", before), ("after", now)):
                times[label].append(sum(run_tests(p, grading)[0] for _, p in programs))
    n = len(learners)
    b, a = statistics.median(times["before"]), statistics.median(times["after"])
    print(f"{n} learners (2 correct, {n - 2} mistakes), test cells only, median of {args.repeats}:")
    print(f"  before ECF ({args.before}): {b:.2f} s  ({b / n:.3f} s per learner)")
    print(f"  after:                     {a:.2f} s  ({a / n:.3f} s per learner)")
    print(f"  ratio after / before: {a / b:.2f}   runs before {[f'{t:.2f}' for t in times['before']]}, "
          f"after {[f'{t:.2f}' for t in times['after']]}")


if __name__ == "__main__":
    main()
