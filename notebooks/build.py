"""Build the instructor notebooks (``notebooks/<a>/<a>.ipynb``) from their sources (``<a>.py``).

The source of each assignment is a jupytext ``py:percent`` file, easy to review as a diff.
A cell's role for nbgrader is written in its header as ``lstmlab={...}``:

    # %% lstmlab={"kind": "solution", "id": "rnn_step_forward"}       code the learner writes
    # %% lstmlab={"kind": "tests", "id": "test_rnn_step", "points": 2}  autograded, locked
    # %% [markdown] lstmlab={"kind": "manual", "id": "why", "points": 2}  written answer
    # %% lstmlab={"kind": "readonly"}                                   locked setup or text

and this script expands it into nbgrader's cell metadata (schema 3), gives every cell a
stable id, replaces ``{book}`` in markdown with :data:`BOOK_URL` and writes the notebook
without outputs.  Usage::

    python notebooks/build.py            # rewrite every .ipynb from its .py
    python notebooks/build.py --check    # exit 1 if any .ipynb is out of date

The learner's version is made from the .ipynb by ``nbgrader generate_assignment``, never by hand.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import jupytext
import nbformat

HERE = Path(__file__).resolve().parent
ASSIGNMENTS = ("rnn", "gradients", "lstm", "pytorch", "charlm")  # the order of the book
BOOK_URL = "https://lstmlab.github.io/lstmlab/book"  # placeholder for the published book

_ROLES = {
    "solution": {"grade": False, "solution": True, "locked": False, "task": False},
    "tests": {"grade": True, "solution": False, "locked": True, "task": False},
    "manual": {"grade": True, "solution": True, "locked": False, "task": False},
    "readonly": {"grade": False, "solution": False, "locked": True, "task": False},
}


def _nbgrader_metadata(spec: dict, cell_type: str, where: str) -> dict:
    kind = spec.get("kind")
    if kind not in _ROLES:
        raise ValueError(f"{where}: lstmlab kind must be one of {sorted(_ROLES)}, got {kind!r}")
    meta = dict(_ROLES[kind], schema_version=3, grade_id=spec["id"])
    if kind in ("tests", "manual"):
        if not isinstance(spec.get("points"), (int, float)) or spec["points"] <= 0:
            raise ValueError(f"{where}: a {kind} cell needs points > 0")
        meta["points"] = spec["points"]
    if (kind == "manual") != (cell_type == "markdown") and kind in ("manual", "solution", "tests"):
        raise ValueError(f"{where}: a {kind} cell must be {'markdown' if kind == 'manual' else 'code'}")
    return meta


def build(name: str) -> nbformat.NotebookNode:
    """The instructor notebook of assignment ``name``, built from ``<name>/<name>.py``."""
    source = jupytext.read(HERE / name / f"{name}.py", fmt="py:percent")
    nb = nbformat.v4.new_notebook()
    nb.metadata = {
        "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
        "language_info": {"name": "python"},
    }
    seen = set()
    for index, cell in enumerate(source.cells):
        spec = cell.metadata.get("lstmlab")
        text = cell.source.replace("{book}", BOOK_URL) if cell.cell_type == "markdown" else cell.source
        new = (nbformat.v4.new_markdown_cell if cell.cell_type == "markdown" else nbformat.v4.new_code_cell)(text)
        if spec is not None:
            spec = dict(spec)
            spec.setdefault("id", f"{name}-{spec.get('kind')}-{index}")
            if spec["id"] in seen:
                raise ValueError(f"{name}.py cell {index}: duplicate id {spec['id']!r}")
            seen.add(spec["id"])
            new.metadata["nbgrader"] = _nbgrader_metadata(spec, cell.cell_type, f"{name}.py cell {index}")
        new.id = spec["id"] if spec else f"{name}-{index}"
        nb.cells.append(new)
    nbformat.validate(nb)
    return nb


def _serialise(nb) -> str:
    return json.dumps(nb, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true", help="fail if a notebook is out of date")
    parser.add_argument("names", nargs="*", default=list(ASSIGNMENTS))
    args = parser.parse_args(argv)
    stale = []
    for name in args.names:
        path = HERE / name / f"{name}.ipynb"
        text = _serialise(build(name))
        if path.exists() and path.read_text() == text:
            continue
        if args.check:
            stale.append(str(path))
        else:
            path.write_text(text)
            print(f"wrote {path.relative_to(HERE.parent)}")
    if stale:
        print("out of date (run python notebooks/build.py):", *stale, sep="\n  ")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
