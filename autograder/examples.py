"""Example submissions made from the released notebooks (for ``make grade``, tests, benchmarks).

* ``correct``: every solution cell filled with the instructor's solution;
* ``partial``: the first half of the solution cells filled, the rest left as released;
* ``broken``: the released notebook with a syntax error in the first solution cell.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat

KINDS = ("correct", "partial", "broken")
_MARKERS = re.compile(r"^[ \t]*### (BEGIN|END) SOLUTION[ \t]*\n?", re.MULTILINE)


def _solutions(source_nb) -> dict[str, str]:
    """grade_id -> instructor source of each solution cell, markers removed."""
    out = {}
    for cell in source_nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("solution"):
            out[meta["grade_id"]] = _MARKERS.sub("", cell.source)
    return out


def make_notebook(released: Path, source: Path, kind: str):
    """One learner notebook of ``kind`` (see the module doc) as an nbformat node."""
    if kind not in KINDS:
        raise ValueError(f"kind: expected one of {KINDS}, got {kind!r}; hint: use 'correct' for a full-marks copy")
    nb = nbformat.read(released, as_version=4)
    answers = _solutions(nbformat.read(source, as_version=4))
    solution_cells = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("solution")]
    fill = {"correct": len(solution_cells), "partial": len(solution_cells) // 2, "broken": 0}[kind]
    for i, cell in enumerate(solution_cells):
        gid = cell.metadata["nbgrader"]["grade_id"]
        if i < fill and gid in answers:
            cell.source = answers[gid]
    if kind == "broken" and solution_cells:
        solution_cells[0].source = "def this is not python(:\n" + solution_cells[0].source
    return nb


def make_submissions(release_dir: Path, source_dir: Path, out: Path, students: dict[str, str]) -> Path:
    """Write ``out/<student>/<notebook>.ipynb`` for ``students`` (id -> kind)."""
    release_dir, source_dir, out = Path(release_dir), Path(source_dir), Path(out)
    for sid, kind in students.items():
        (out / sid).mkdir(parents=True, exist_ok=True)
        for released in sorted(release_dir.glob("*.ipynb")):
            nb = make_notebook(released, source_dir / released.name, kind)
            nbformat.write(nb, out / sid / released.name)
    return out


def main(argv=None) -> int:
    """``python -m autograder.examples RELEASE_DIR SOURCE_DIR OUT [student=kind ...]``."""
    import sys

    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) < 3:
        print(main.__doc__)
        return 2
    students = dict(a.split("=", 1) for a in args[3:]) or {f"student-{k}": k for k in KINDS}
    make_submissions(Path(args[0]), Path(args[1]), Path(args[2]), students)
    print(f"wrote {len(students)} example submissions to {args[2]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
