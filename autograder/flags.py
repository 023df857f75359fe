"""Every reason a submission is flagged for a look by hand, or failed for the grader's set-up.

"Why was this student flagged?" has one answer, here.  Flags never change a grade:

* :func:`locked_cell_changes`: locked cells deleted or edited (the release is the reference;
  nbgrader restores them from the gradebook) -- checked while collecting (:mod:`autograder.collect`);
* :func:`points_edited`: a cell's points edited (nbgrader's log says so; the gradebook's count);
* :func:`suspicious_code`: learner code worth reading (:data:`SUSPICIOUS`);
* :func:`from_execution`: what happened while the notebook ran (:mod:`autograder.execute`
  records it in the notebook's metadata): a timeout is counted, not flagged; a dead kernel,
  truncated output and a passed cell the grader could not confirm are flagged.

:func:`environment_error` is no flag: cells that fail on the grader's own set-up make the
student ``failed`` (never ``graded`` with 0) and, repeated, stop the batch.
"""

from __future__ import annotations

import re

#: Patterns in a learner's own cells worth a look by hand (the grade is not changed).
SUSPICIOUS = {
    "get_ipython": r"\bget_ipython\b",
    "builtins": r"\b__builtins__\b|\bimport\s+builtins\b|\bbuiltins\.",
    "sys.modules": r"\bsys\.modules\b",
    "os._exit / sys.exit": r"\bos\._exit\b|\bsys\.exit\b",
    "fork / subprocess": r"\bos\.fork\b|\bsubprocess\b|\bmultiprocessing\b",
    "network": r"\bsocket\b|\burllib\b|\brequests\b",
    "ctypes": r"\bctypes\b",
    "file access outside the notebook": r"\bgradebook\b|\bopen\(\s*['\"]/",
    "patching numpy or lstmlab": (r"\b(?:np|numpy)\.(?:allclose|testing|isclose|array_equal)\s*="
                                  r"|\blstmlab\.\w+(?:\.\w+)*\s*="),
}

#: Kinds of execution notes (:mod:`autograder.execute`) that flag the submission.
FLAGGED_KINDS = ("died", "output", "unconfirmed")

#: Packages the grader provides: failing to import one of them is the set-up's fault, not the learner's.
PROVIDED = ("lstmlab", "numpy", "torch")

_PROVIDED_IMPORT = re.compile(
    r"(?:No module named|cannot import name .* from) '(?:{})(?:\.[\w.]+)?'".format("|".join(PROVIDED)))


def _grade_id(cell) -> str | None:
    gid = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
    return None if gid is None else str(gid)


def locked_cell_changes(name: str, nb, released) -> list[str]:
    """Locked cells of ``released`` that ``nb`` deleted or edited (nbgrader restores both)."""
    mine = {_grade_id(c): c.source for c in nb.cells if _grade_id(c) is not None}
    flags = []
    for cell in released.cells:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        gid = _grade_id(cell)
        if not (isinstance(meta, dict) and meta.get("locked") and gid is not None):
            continue
        if gid not in mine:
            flags.append(f"{name}.ipynb: locked cell {gid} was deleted (restored from the gradebook)")
        elif mine[gid].strip() != cell.source.strip():
            flags.append(f"{name}.ipynb: locked cell {gid} was edited (restored from the gradebook)")
    return flags


def points_edited(log: str) -> list[str]:
    """Cells whose points the learner edited, from nbgrader's autograde log (it restores them)."""
    return [f"points of cell {cell} were edited (restored)"
            for cell in sorted(set(re.findall(r"Attribute 'points' for cell (\S+) has changed", log)))]


def suspicious_code(name: str, nb) -> list[str]:
    """One flag naming the :data:`SUSPICIOUS` patterns found in the learner's own cells, if any."""
    code = "\n".join(
        c.source for c in nb.cells
        if c.cell_type == "code" and not c.get("metadata", {}).get("nbgrader", {}).get("locked", False)
    )
    found = [label for label, pattern in SUSPICIOUS.items() if re.search(pattern, code)]
    return [f"{name}.ipynb: code worth a look ({', '.join(found)})"] if found else []


def from_execution(name: str, notes: list[dict]) -> tuple[list[str], list[str], bool]:
    """Execution notes (``{"kind", "message"}``) of notebook ``name`` as ``(notes, flags, timed_out)``."""
    lines = [f"{name}.ipynb: {n['message']}" for n in notes]
    flags = [f"{name}.ipynb: {n['message']}" for n in notes if n["kind"] in FLAGGED_KINDS]
    return lines, flags, any(n["kind"] == "timeout" for n in notes)


def environment_error(nb) -> str:
    """Why the grader's set-up, not the learner, failed this notebook ("" when it did not).

    An ``ImportError`` (``ModuleNotFoundError`` included) of lstmlab, numpy or torch in a
    *locked* cell: the instructor's own imports and checks, which work wherever the course's
    environment is installed.  A learner's own cell importing something that does not exist
    (``import lstmlab.foo``) is the learner's mistake and is graded as usual.
    """
    for cell in nb.cells:
        if cell.cell_type != "code" or not cell.get("metadata", {}).get("nbgrader", {}).get("locked", False):
            continue
        for out in cell.get("outputs", []):
            if out.get("output_type") != "error" or out.get("ename") not in ("ModuleNotFoundError", "ImportError"):
                continue
            evalue = str(out.get("evalue", ""))
            if _PROVIDED_IMPORT.search(evalue):
                return f"{out['ename']}: {evalue}"
    return ""
