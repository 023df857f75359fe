"""Before the first student: a sandboxed kernel must import the grader's own ``lstmlab.grading``.

A venv whose editable ``lstmlab`` points at another checkout grades nothing: the sandbox
shows the kernel only this checkout's ``lstmlab`` (:func:`autograder.sandbox.readonly_paths`),
so every test cell of every student fails with ``ModuleNotFoundError`` and scores 0 -- a
whole class graded 0 with exit status 0.  :func:`check` starts one kernel exactly as grading
does (same kernel manager, same limits from the grading configuration), asks it where its
``lstmlab`` comes from and which version it is, and raises :class:`PreflightError` (exit 2,
no gradebook row written) when the import fails or differs from the grader's.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import nbformat
from nbclient import NotebookClient

from . import course, sandbox
# Imported here, in the thread that imports this module: the pipeline runs check() in a
# thread of its own while the main thread imports nbgrader, and two threads importing the
# same package's circular imports at once can see it half-initialised.
from .execute import SandboxedExecute
from .kernel import SandboxedKernelManager

#: Printed by the probe before its JSON answer.
MARKER = "LSTMLAB-PREFLIGHT "

#: Run in the sandboxed kernel.
PROBE = f"""\
import json, os
import lstmlab, lstmlab.grading
print({MARKER!r} + json.dumps({{"path": os.path.dirname(os.path.realpath(lstmlab.__file__)),
                                "version": lstmlab.__version__}}))
"""


class PreflightError(course.GradingError):
    """The sandboxed kernel cannot import the grader's ``lstmlab.grading``."""


def grader_lstmlab() -> tuple[str, str]:
    """``(folder, version)`` of the ``lstmlab`` this grading process uses."""
    import lstmlab

    return str(Path(lstmlab.__file__).resolve().parent), lstmlab.__version__


def venv_lstmlab() -> str:
    """Where the grader's Python imports ``lstmlab`` from when nothing shadows it (outside any
    sandbox, not from the working folder): the venv's own install, editable or not."""
    code = "import importlib.util as u; s = u.find_spec('lstmlab'); print(s.origin if s and s.origin else '')"
    try:
        proc = subprocess.run([sys.executable, "-I", "-c", code], capture_output=True, text=True,
                              timeout=60, cwd="/", check=False)
    except (OSError, subprocess.TimeoutExpired) as err:
        return f"unknown ({err})"
    origin = proc.stdout.strip()
    return str(Path(origin).resolve().parent) if origin else "nowhere (lstmlab is not installed in this venv)"


def probe_kernel(cfg, timeout: float = 120.0) -> dict:
    """Run :data:`PROBE` in one sandboxed kernel set up as for grading.

    Returns ``{"path", "version"}`` on success, else ``{"error": why}``.
    """
    limits = SandboxedExecute(config=cfg).limits()
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(PROBE)])
    # A slot (so, as root, a uid) of its own: the workers of this run or another may be using theirs.
    slot, lock = sandbox.lease_slot()
    try:
        km = SandboxedKernelManager(limits=limits, slot=slot)
        client = NotebookClient(nb, km=km, timeout=int(timeout), allow_errors=True)
        with client.setup_kernel(cleanup_kc=True):
            client.execute_cell(nb.cells[0], 0)
    except Exception as err:  # the kernel did not start or did not answer
        return {"error": f"the kernel did not run ({type(err).__name__}: {str(err).strip()[:300]})"}
    finally:
        os.close(lock)
    for out in nb.cells[0].outputs:
        if out.get("output_type") == "error":
            return {"error": f"{out.get('ename')}: {out.get('evalue')}"}
        if out.get("output_type") == "stream" and MARKER in out.get("text", ""):
            line = out["text"].split(MARKER, 1)[1].splitlines()[0]
            return json.loads(line)
    return {"error": "the kernel printed no answer"}


def check(cfg) -> dict:
    """Raise :class:`PreflightError` unless a sandboxed kernel imports the grader's own
    ``lstmlab.grading`` (same folder, same version); return what the kernel reported."""
    path, version = grader_lstmlab()
    found = probe_kernel(cfg)
    if "error" not in found and found["path"] == path and found["version"] == version:
        return found
    repo = str(Path(path).parent)
    venv = venv_lstmlab()
    if "error" in found:
        what = f"a sandboxed kernel could not import lstmlab.grading: {found['error']}"
    else:
        what = (f"a sandboxed kernel imports lstmlab {found['version']} from {found['path']}, "
                f"not the grader's")
    if venv == path and "error" in found and "No module named 'lstmlab'" not in found["error"]:
        # The right package, which fails to import by itself (a broken edit, a missing dependency).
        hint = (f"`cd {repo} && {sys.executable} -c 'import lstmlab.grading'` shows the error; "
                f"fix it (or `make venv` for a missing dependency) and grade again")
    else:
        hint = (f"install this checkout into the venv: `{sys.executable} -m pip install -e {repo}` "
                f"(or `make venv` there), or grade with the venv of the checkout the venv's lstmlab comes from")
    raise PreflightError(
        f"preflight failed, no student graded: {what}\n"
        f"  the grader uses lstmlab {version} from {path}\n"
        f"  the venv's Python ({sys.executable}) imports lstmlab from {venv}\n"
        f"  the sandbox shows the kernel only {sandbox.REPO_ROOT / 'lstmlab'}\n"
        f"hint: {hint}"
    )
