"""Reading a folder of submissions, and telling what is wrong with each one.

Two layouts are accepted:

* one folder per student id, holding that student's notebook(s) under the released
  file names (``SUBMISSIONS/<student_id>/<notebook>.ipynb``);
* nbgrader's ``zip_collect`` layout, as downloaded from an LMS: archives and/or
  notebooks whose names start with the student id (``<student_id>_<anything>_<notebook>.ipynb``
  or ``<student_id>_<anything>.zip`` holding ``<notebook>.ipynb``), either directly in
  SUBMISSIONS or in ``SUBMISSIONS/archive/`` (nbgrader's ``downloaded/<assignment>/archive``).
  nbgrader's own extractor and file-name collector plugins do the work.

Nothing here raises for a learner's mistake: each problem becomes a line in
:attr:`Submission.problems`, and the notebooks that are fine are graded.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
import shutil
import tempfile
from pathlib import Path

import nbformat

from . import flags

MAX_NOTEBOOK_BYTES = 50 * 1024**2
STUDENT_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@+-]{0,99}$")
ARCHIVE_EXT = (".zip", ".gz", ".tgz", ".bz2", ".xz", ".tar")


@dataclasses.dataclass
class Submission:
    """One student's submission after checking.

    Attributes:
        student_id: the folder name (or the id parsed from LMS file names).
        notebooks: notebook name (no ``.ipynb``) -> path of a valid notebook to grade.
        problems: one human-readable line per problem found (missing, invalid, ...).
        flags: short reasons to look at this submission by hand.
        digest: SHA-256 of the submitted files, to skip unchanged submissions on re-runs.
    """

    student_id: str
    notebooks: dict[str, Path] = dataclasses.field(default_factory=dict)
    problems: list[str] = dataclasses.field(default_factory=list)
    flags: list[str] = dataclasses.field(default_factory=list)
    digest: str = ""


def graded_ids(nb) -> set[str]:
    """nbgrader ``grade_id`` of every cell carrying nbgrader metadata."""
    ids = set()
    for cell in nb.get("cells", []):
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if isinstance(meta, dict) and "grade_id" in meta:
            ids.add(str(meta["grade_id"]))
    return ids


def expected_ids(release_dir: Path) -> dict[str, set[str]]:
    """Released notebook name -> its grade ids."""
    return {
        p.stem: graded_ids(nbformat.read(p, as_version=4)) for p in sorted(Path(release_dir).glob("*.ipynb"))
    }


def restore_deleted_cells(nb, released) -> list[str]:
    """Put back, in place, the locked and graded cells of ``released`` that ``nb`` lacks.

    Returns their grade ids.  nbgrader's own ``add_missing_cells`` fails (KeyError) when the
    cell before a missing one is not a graded cell, or is missing too; a restored test cell is
    then completed (hidden tests) by nbgrader from the gradebook, and a restored written
    answer is the released stub ("no response", 0 points).
    """
    def gid(cell):
        return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")

    present = {gid(c) for c in nb.cells if gid(c) is not None}
    restored = []
    for i, cell in enumerate(released.cells):
        g = gid(cell)
        meta = cell.metadata["nbgrader"]
        if g is None or g in present or not (meta.get("locked") or meta.get("grade")):
            continue
        # after the nearest earlier released cell that the learner's notebook still has
        pos = 0
        for prev in reversed(released.cells[:i]):
            idx = next((k for k, c in enumerate(nb.cells) if gid(c) is not None and gid(c) == gid(prev)), None)
            if idx is not None:
                pos = idx + 1
                break
        nb.cells.insert(pos, cell)
        present.add(g)
        restored.append(g)
    return restored


def _digest(files) -> str:
    h = hashlib.sha256()
    for f in sorted(files):
        h.update(f.name.encode())
        h.update(hashlib.sha256(f.read_bytes()).digest())
    return h.hexdigest()


def check_notebook(path: Path, expected: set[str]):
    """Return ``(notebook_or_None, problem_or_None)`` for one submitted file."""
    name = path.name
    size = path.stat().st_size
    if size > MAX_NOTEBOOK_BYTES:
        return None, f"{name}: {size / 1024**2:.0f} MB is larger than the {MAX_NOTEBOOK_BYTES // 1024**2} MB allowed"
    raw = path.read_bytes()
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        return None, f"{name}: not valid JSON ({err}); it cannot be a notebook (was it saved from Jupyter?)"
    try:
        nb = nbformat.reads(json.dumps(data), as_version=4)
        nbformat.validate(nb)
    except Exception as err:  # nbformat raises several types for a malformed notebook
        return None, f"{name}: valid JSON but not a Jupyter notebook ({type(err).__name__}: {str(err)[:200]})"
    ids = graded_ids(nb)
    if expected and not ids & expected:
        return None, (
            f"{name}: none of its graded cells belong to this notebook of the assignment "
            "(a notebook of another assignment, or one made from scratch?)"
        )
    return nb, None


def check_student_folder(folder: Path, student_id: str, expected: dict[str, set[str]],
                         release_dir: Path | None = None) -> Submission:
    """Check ``folder`` against the released notebooks ``expected`` (name -> grade ids)."""
    sub = Submission(student_id)
    sub.flags = []
    files = sorted(p for p in folder.rglob("*") if p.is_file() and ".ipynb_checkpoints" not in p.parts)
    sub.digest = _digest(files)
    if not files:
        sub.problems.append("empty submission folder: nothing to grade")
        return sub
    by_name = {p.name: p for p in files}
    unused = [p for p in files if p.suffix == ".ipynb" and p.stem not in expected]
    for name, ids in expected.items():
        path = by_name.get(f"{name}.ipynb")
        if path is None:
            # A renamed copy ("rnn (1).ipynb") is accepted when its cells are this notebook's.
            for cand in list(unused):
                nb, problem = check_notebook(cand, ids)
                if nb is not None:
                    sub.problems.append(f"{cand.name}: graded as {name}.ipynb (renamed file)")
                    sub.notebooks[name] = cand
                    unused.remove(cand)
                    break
            else:
                sub.problems.append(f"{name}.ipynb: missing (0 points for its tests)")
            continue
        nb, problem = check_notebook(path, ids)
        if problem:
            sub.problems.append(problem + " (0 points for its tests)")
        else:
            sub.notebooks[name] = path
    for name, path in sub.notebooks.items():
        if release_dir is not None:
            released = nbformat.read(Path(release_dir) / f"{name}.ipynb", as_version=4)
            sub.flags += flags.locked_cell_changes(name, nbformat.read(path, as_version=4), released)
    for p in unused:
        sub.problems.append(f"{p.name}: not part of this assignment (ignored)")
    others = [p for p in files if p.suffix != ".ipynb"]
    if others and not sub.notebooks:
        sub.problems.append(
            "no notebook found; files present: " + ", ".join(p.name for p in others[:5])
            + (" ..." if len(others) > 5 else "")
        )
    return sub


def _is_zip_collect_layout(root: Path) -> bool:
    entries = [p for p in root.iterdir() if not p.name.startswith(".")]
    if (root / "archive").is_dir():
        return True
    loose = [p for p in entries if p.is_file()]
    return bool(loose) and all(p.is_file() for p in entries) and any(
        p.name.endswith(ARCHIVE_EXT) or p.suffix == ".ipynb" for p in loose
    )


def _zip_collect(root: Path, notebooks: list[str], work: Path) -> tuple[Path, list[str]]:
    """Turn the LMS download layout into one folder per student with nbgrader's plugins."""
    from nbgrader.plugins import ExtractorPlugin, FileNameCollectorPlugin

    archive = root / "archive" if (root / "archive").is_dir() else root
    extracted, per_student = work / "extracted", work / "students"
    ExtractorPlugin().extract(str(archive), str(extracted))
    names = "|".join(re.escape(n) for n in notebooks)
    collector = FileNameCollectorPlugin(
        named_regexp=rf"^(?:.*/)?(?P<student_id>[^/_]+)_(?:[^/]*[_/])?(?P<file_id>{names})\.ipynb$"
    )
    problems = []
    for f in sorted(p for p in extracted.rglob("*") if p.is_file()):
        rel = f.relative_to(extracted).as_posix()
        info = collector.collect(rel) if f.suffix == ".ipynb" else None
        if not info:
            problems.append(f"{rel}: file name does not read <student_id>_..._<notebook>.ipynb (ignored)")
            continue
        dest = per_student / info["student_id"] / f"{info['file_id']}.ipynb"
        if dest.exists():
            problems.append(f"{rel}: a second {info['file_id']}.ipynb for {info['student_id']} (ignored)")
            continue
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(f, dest)
    per_student.mkdir(parents=True, exist_ok=True)
    return per_student, problems


def read_submissions(submissions: Path, release_dir: Path, work: Path | None = None):
    """Check every student of ``submissions`` against the released notebooks.

    Args:
        submissions: the SUBMISSIONS folder (either layout, see the module doc).
        release_dir: ``<course>/release/<assignment>``: the released notebooks.
        work: a scratch folder for the zip_collect layout (a temporary one by default).

    Returns:
        ``(submissions, problems)``: one :class:`Submission` per student, sorted by id,
        and lines about entries that belong to no student.
    """
    submissions = Path(submissions)
    if not submissions.is_dir():
        raise ValueError(
            f"SUBMISSIONS: expected a folder holding one folder per student (or LMS downloads), "
            f"got {str(submissions)!r} which is not a folder; hint: check the path"
        )
    expected = expected_ids(release_dir)
    if not expected:
        raise ValueError(
            f"release_dir: expected released notebooks in {release_dir}, found none; "
            "hint: run `python -m autograder release` first"
        )
    problems: list[str] = []
    root = submissions
    if _is_zip_collect_layout(submissions):
        work = Path(work or tempfile.mkdtemp(prefix="ag-zip-"))
        root, problems = _zip_collect(submissions, sorted(expected), work)
    result = []
    for entry in sorted(root.iterdir()):
        if entry.name.startswith("."):
            continue
        if not entry.is_dir():
            problems.append(f"{entry.name}: not a student folder (ignored)")
            continue
        if not STUDENT_ID.match(entry.name):
            problems.append(
                f"{entry.name!r}: not a valid student id (letters, digits, _ . @ + -) (ignored)"
            )
            continue
        result.append(check_student_folder(entry, entry.name, expected, release_dir))
    return result, problems
