"""nbgrader's ``Execute`` preprocessor, run cell by cell in a sandboxed kernel.

What it changes compared with nbgrader's own ``Execute``:

* the kernel runs in :mod:`autograder.sandbox` (:class:`~autograder.kernel.SandboxedKernelManager`);
* a cell that exceeds its time limit, or the notebook's wall clock, or a kernel that
  dies (``os._exit``, a crash, the memory limit) *stops* the notebook: the kernel is
  killed, the cells already run keep their outputs (so the tests they passed keep
  their points), and every later code cell gets an error output saying why it did not
  run (so its tests score 0).  nbgrader alone would raise and leave the whole notebook
  unscored;
* each locked test cell that passed is replayed outside the kernel from the values the
  learner's code returned to its checks (:mod:`autograder.verify`); if the replay fails, so
  does the cell;
* output is capped per notebook, so printing gigabytes cannot exhaust the grader's
  memory.  What decides a grade is never dropped: errors and ``execute_result`` are
  kept, and a cell keeps at least the start of each stream it wrote (nbgrader gives 0
  to a test cell that wrote to stderr).

What happened is recorded in the notebook's own metadata (:func:`autograder.feedback.add_note`):
the notes stay with the notebook they describe, :class:`autograder.feedback.NotesCell` writes
them as its first cell, and the worker reads them back from the autograded notebook.
"""

from __future__ import annotations

import math
import os
import shutil
from time import monotonic

from jupyter_core.utils import run_sync
from nbclient import NotebookClient
from nbclient.exceptions import CellTimeoutError, DeadKernelError
from nbformat.notebooknode import NotebookNode
from nbgrader.preprocessors import Execute
from nbgrader.utils import is_grade, is_locked
from traitlets import Float, Integer, List, Unicode

from lstmlab.evidence import checks_only

from . import feedback, verify
from .kernel import SandboxedKernelManager
from .sandbox import Limits, is_root, sandbox_uid

STOPPED_ENAME = "AutograderStopped"
UNCONFIRMED_ENAME = "AutograderUnconfirmed"

#: Run (as a silent user expression, outside the notebook) before each locked test cell: a notebook that swapped
#: ``lstmlab.grading`` in ``sys.modules`` (or through an import hook of its own) for a fake gets
#: the real checks, imported again from their files, and IPython input/AST transformers added
#: by the notebook, or methods it replaced on the shell instance, are dropped.  A courtesy for
#: the feedback (the test runs and says what is wrong), not the defence: code that rewrites the
#: interpreter more deeply can undo anything run in the same process, which is why every passed
#: test cell is confirmed outside the kernel afterwards (:mod:`autograder.verify`).
PRELUDE = """\
def _autograder_prelude():
    import sys
    for k in [k for k in list(sys.modules) if k == "lstmlab.grading" or k.startswith("lstmlab.grading.")]:
        sys.modules.pop(k, None)
    sys.meta_path[:] = [f for f in sys.meta_path
                        if getattr(f if isinstance(f, type) else type(f), "__module__", "") != "__main__"]
    ip = get_ipython()
    ip.input_transformers_post.clear()
    ip.ast_transformers.clear()
    for name in ("run_cell", "run_cell_async", "transform_cell", "should_run_async", "run_ast_nodes"):
        ip.__dict__.pop(name, None)  # per-instance overrides of the shell's methods
_autograder_prelude()
del _autograder_prelude
"""


def _error_output(message: str, ename: str = STOPPED_ENAME) -> NotebookNode:
    return NotebookNode(
        output_type="error", ename=ename, evalue=message,
        traceback=[f"{ename}: {message}"],
    )


def _output_size(out: NotebookNode) -> int:
    if out.get("output_type") == "stream":
        return len(out.get("text", ""))
    data = out.get("data", {})
    return sum(len(str(v)) for v in data.values()) + len(str(out.get("traceback", "")))


class SandboxedExecute(Execute):
    """Execute a notebook in the sandbox with per-cell and per-notebook time limits."""

    cell_timeout = Float(Limits.cell_timeout, help="Seconds one cell may run.").tag(config=True)
    notebook_timeout = Float(Limits.notebook_timeout, help="Seconds one notebook may run.").tag(config=True)
    memory_bytes = Integer(Limits.memory_bytes, help="RLIMIT_AS of the kernel.").tag(config=True)
    nproc = Integer(Limits.nproc, help="RLIMIT_NPROC of the kernel (threads count).").tag(config=True)
    fsize_bytes = Integer(Limits.fsize_bytes, help="RLIMIT_FSIZE of the kernel.").tag(config=True)
    output_chars = Integer(Limits.output_chars, help="Output characters kept per notebook.").tag(config=True)
    slot = Integer(0, help="Worker slot (selects the sandbox uid when run as root).").tag(config=True)
    shutdown_kernel = Unicode("immediate")
    no_ecf = List(Unicode(), help="Assignments whose checks give no error-carried-forward credit "
                  "(a backward exact for a mistaken forward then scores 0).").tag(config=True)

    def limits(self) -> Limits:
        return Limits(
            cell_timeout=self.cell_timeout, notebook_timeout=self.notebook_timeout,
            memory_bytes=self.memory_bytes, nproc=self.nproc, fsize_bytes=self.fsize_bytes,
            output_chars=self.output_chars,
        )

    # -- output cap ---------------------------------------------------------------------

    def output(self, outs, msg, display_id, cell_index):
        out = super().output(outs, msg, display_id, cell_index)
        if out is None:
            return None
        self._output_used += _output_size(out)
        if self._output_used <= self.output_chars:
            return out
        kind = out.get("output_type")
        if kind in ("error", "execute_result"):
            for key, value in out.get("data", {}).items():
                if isinstance(value, str) and len(value) > 10_000:
                    out["data"][key] = value[:10_000] + "\n[... truncated by the autograder]"
            return out
        outs.remove(out)
        if kind == "stream" and not any(
            o.get("output_type") == "stream" and o.get("name") == out["name"] for o in outs
        ):
            # Keep the start of the stream: a stderr output is what fails a test cell.
            out["text"] = out["text"][:200] + "\n[... output truncated by the autograder]\n"
            outs.append(out)
        if not self._output_truncated:
            self._output_truncated = True
            self._note("output", f"output exceeded {self.output_chars} characters and was truncated")
        return None

    # -- execution ----------------------------------------------------------------------

    def _note(self, kind: str, message: str) -> None:
        """Record what happened (kinds: ``timeout``, ``died``, ``output``, ``unconfirmed``)."""
        feedback.add_note(self.nb, kind, message)

    def preprocess(self, nb, resources=None, km=None):
        # Notes a submission brought along in its metadata are not the grader's: drop them.
        nb.metadata.pop(feedback.KEY, None)
        self._ecf = (resources or {}).get("nbgrader", {}).get("assignment") not in self.no_ecf
        self._output_used = 0
        self._output_truncated = False
        self.interrupt_on_timeout = False  # we stop the notebook instead (see module doc)
        km = SandboxedKernelManager(limits=self.limits(), slot=self.slot, ecf=self._ecf)
        self._copy_data_files((resources or {}).get("metadata", {}).get("path"), km)
        # Same as ExecutePreprocessor.preprocess, but cell by cell with our stop rules.
        NotebookClient.__init__(self, nb, km)
        self.reset_execution_trackers()
        self._check_assign_resources(resources)
        deadline = monotonic() + self.notebook_timeout
        stopped: str | None = None
        evidence: dict[int, list | str] = {}  # test cell index -> its records (or why unreadable)
        # cleanup_kc: nbclient only shuts down kernels it created itself, and we made this one.
        with self.setup_kernel(cleanup_kc=True):
            info_msg = self.wait_for_reply(self.kc.kernel_info())
            if info_msg is not None and "language_info" in info_msg["content"]:
                self.nb.metadata["language_info"] = info_msg["content"]["language_info"]
            for index, cell in enumerate(self.nb.cells):
                if cell.cell_type != "code" or not cell.source.strip():
                    continue
                if stopped is None and deadline - monotonic() <= 0:
                    stopped = f"the notebook's time limit ({self.notebook_timeout:g} s) was reached"
                    self._note("timeout", stopped)
                if stopped is not None:
                    cell.outputs = [_error_output(f"not run: {stopped}")]
                    continue
                remaining = deadline - monotonic()
                by_notebook = remaining < self.cell_timeout
                self.timeout = max(1, math.ceil(min(self.cell_timeout, remaining)))
                test_cell = is_grade(cell) and is_locked(cell)
                try:
                    if test_cell:
                        self._prelude()
                        verify.clear(km.scratch)
                    self.preprocess_cell(cell, resources, index)
                    if test_cell:
                        evidence[index] = verify.collect(km.scratch)
                except CellTimeoutError:
                    if by_notebook:
                        why = f"the notebook's time limit ({self.notebook_timeout:g} s) was reached"
                    else:
                        why = f"a cell ran past its time limit of {self.cell_timeout:g} s"
                    stopped = f"{why} (in cell {index + 1}); the kernel was stopped"
                    self._note("timeout", stopped)
                    cell.outputs.append(_error_output(stopped))
                    self._kill()
                except DeadKernelError:
                    stopped = (
                        f"the kernel died in cell {index + 1} (os._exit, a crash, or the memory "
                        f"limit of {self.memory_bytes / 1024**3:g} GiB)"
                    )
                    self._note("died", stopped)
                    cell.outputs.append(_error_output(stopped))
        self._confirm(evidence)
        self.set_widgets_metadata()
        return self.nb, self.resources

    def _confirm(self, evidence: dict) -> None:
        """Fail each test cell that passed in the kernel but not when replayed outside it."""
        for index, records in evidence.items():
            cell = self.nb.cells[index]
            if not verify.passed(cell) or not checks_only(cell.source):
                continue
            reason = verify.confirm(cell.source, records, self._ecf)
            if reason:
                message = (f"cell {index + 1} passed inside the notebook, but the grader could not confirm it "
                           f"from the values your code returned: {reason}")
                cell.outputs.append(_error_output(message, UNCONFIRMED_ENAME))
                self._note("unconfirmed", message)

    def _prelude(self) -> None:
        try:
            # As a user expression: IPython evaluates those with eval(), past the notebook's
            # input transformers and any replaced run_cell.
            run_sync(self.kc.execute_interactive)(
                "", silent=True, store_history=False, timeout=10, output_hook=lambda msg: None,
                user_expressions={"prelude": f"exec({PRELUDE!r})"})
        except Exception:  # a busy or dead kernel: the test cell itself will time out or fail
            pass

    @staticmethod
    def _copy_data_files(folder, km) -> None:
        """Give the kernel the assignment's data files (never notebooks: those hold the tests)."""
        if not folder or not os.path.isdir(folder):
            return
        for name in os.listdir(folder):
            src = os.path.join(folder, name)
            if name.endswith(".ipynb") or not os.path.isfile(src) or os.path.getsize(src) > 50 * 1024**2:
                continue
            dest = km.scratch / name
            shutil.copy(src, dest)
            if is_root():
                os.chown(dest, sandbox_uid(km.slot), sandbox_uid(km.slot))

    def _kill(self) -> None:
        try:
            run_sync(self.km._async_shutdown_kernel)(now=True)
        except Exception:  # already dead: nothing to stop
            pass
