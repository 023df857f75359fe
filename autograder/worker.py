"""Grading one student in a private scratch course folder (runs in a worker process).

nbgrader's gradebook is not made for concurrent writers, so a worker never touches the
real one: it copies a *template* gradebook (the assignment's cells only, no students),
autogrades the student there with nbgrader's ``Autograde`` (whose ``Execute`` step runs
the kernel in the sandbox), renders feedback with ``GenerateFeedback``, and returns the
scores.  The main process merges them into the real gradebook one student at a time.
"""

from __future__ import annotations

import dataclasses
import html
import os
import re
import shutil
import tempfile
import time
from pathlib import Path

from .lazy_imports import defer_rfc3987_syntax

defer_rfc3987_syntax()  # before nbformat (see autograder/__main__.py)

import nbformat  # noqa: E402

from . import collect, course, kernel, sandbox  # noqa: E402
from .execute import NOTES  # noqa: E402

#: Worker slot of this process (selects the sandbox uid); set by :func:`init_worker`.
SLOT = 0

# Patterns in a learner's own cells worth a look by hand (the grade is not changed).
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


@dataclasses.dataclass
class Task:
    """Everything a worker needs to grade one student (picklable)."""

    assignment: str
    student_id: str
    notebooks: dict  # notebook name -> path of the submitted file
    template: str  # template course folder (gradebook.db + source/<assignment>)
    scratch_root: str
    execute: dict  # SandboxedExecute overrides (timeouts, limits)


#: Open lock of the leased slot (held until the worker process ends).
_SLOT_LOCK: int | None = None


def init_worker(slots) -> None:
    """ProcessPool initializer: lease a worker slot (one sandbox uid per concurrent worker on
    the machine, this run's or another's); the run's own numbering is tried first."""
    global SLOT, _SLOT_LOCK
    SLOT, _SLOT_LOCK = sandbox.lease_slot(slots.get())
    course.setup_environment()
    course.quiet_warnings()


def warm_up() -> None:
    """Import what grading needs and build the feedback exporter (runs once per worker)."""
    import nbclient  # noqa: F401
    import nbgrader.converters  # noqa: F401

    from . import execute  # noqa: F401

    feedback_exporter()


def _tamper_flags(log: str) -> list[str]:
    # Edited or deleted locked cells are found by collect.tamper_flags (against the release);
    # nbgrader's log also tells when a cell's points were changed.
    return [f"points of cell {cell} were edited (restored)"
            for cell in sorted(set(re.findall(r"Attribute 'points' for cell (\S+) has changed", log)))]


def _suspicious(nb) -> list[str]:
    found = []
    code = "\n".join(
        c.source for c in nb.cells
        if c.cell_type == "code" and not c.get("metadata", {}).get("nbgrader", {}).get("locked", False)
    )
    for label, pattern in SUSPICIOUS.items():
        if re.search(pattern, code):
            found.append(label)
    return found


def _scores(db_url: str, assignment: str, student_id: str) -> dict:
    from nbgrader.api import Gradebook

    out = {}
    with Gradebook(db_url) as gb:
        sub = gb.find_submission(assignment, student_id)
        for nb in sub.notebooks:
            cells = {g.name: {"score": None if g.auto_score is None else float(g.auto_score),
                              "max": float(g.max_score), "manual": bool(g.needs_manual_grade)}
                     for g in nb.grades}
            out[nb.name] = cells
    return out


def _uid_processes() -> str:
    """``pid state name`` of the processes still running as this slot's sandbox uid."""
    if not sandbox.is_root():
        return "n/a"
    uid, out = sandbox.sandbox_uid(SLOT), []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            status = open(f"/proc/{pid}/status").read()
        except OSError:
            continue
        fields = dict(line.split(":\t", 1) for line in status.splitlines() if ":\t" in line)
        if fields.get("Uid", "").split()[:1] == [str(uid)]:
            out.append(f"{pid} {fields.get('State', '?').split()[0]} {fields.get('Name', '?')} "
                       f"threads={fields.get('Threads', '?')}")
    return "; ".join(out) or "none"


def _kernel_stderr() -> str:
    try:
        with open(kernel.LAST_STDERR, "rb") as f:
            return f.read(4000).decode("utf-8", "replace")
    except OSError:
        return ""


def notes_cell(lines: list[str]):
    text = "**Autograder notes**\n\n" + "\n".join(f"- {line}" for line in lines)
    return nbformat.v4.new_markdown_cell(text)


def grade(task: Task) -> dict:
    """Autograde one student; return a picklable result (see :func:`pipeline.merge`)."""
    t0 = time.monotonic()
    scratch = Path(tempfile.mkdtemp(prefix=f"{task.student_id}-", dir=task.scratch_root))
    root = scratch / "course"
    template = Path(task.template)
    (root / "source").mkdir(parents=True)
    shutil.copy(template / "gradebook.db", root / "gradebook.db")
    # Non-notebook files of the assignment (data) are copied next to the notebooks by nbgrader.
    shutil.copytree(template / "source" / task.assignment, root / "source" / task.assignment,
                    ignore=shutil.ignore_patterns("*.ipynb"))
    sub_dir = root / "submitted" / task.student_id / task.assignment
    sub_dir.mkdir(parents=True)
    for name, path in task.notebooks.items():
        nb = nbformat.read(path, as_version=4)
        released = nbformat.read(template / "release" / task.assignment / f"{name}.ipynb", as_version=4)
        collect.restore_deleted_cells(nb, released)
        nbformat.write(nb, sub_dir / f"{name}.ipynb")

    result = {
        "student_id": task.student_id, "status": "graded", "notes": [], "flags": [], "slot": SLOT,
        "started": time.time(),
        "timed_out": False, "scratch": str(scratch), "feedback": {}, "autograded": {}, "cells": {},
    }
    for name in task.notebooks:
        found = _suspicious(nbformat.read(sub_dir / f"{name}.ipynb", as_version=4))
        if found:
            result["flags"].append(f"{name}.ipynb: code worth a look ({', '.join(found)})")

    cfg = course.load_config(root, **task.execute)
    cfg.SandboxedExecute.slot = SLOT
    NOTES.clear()
    from nbgrader.converters import Autograde

    for attempt in (1, 2):
        NOTES.clear()
        try:
            log = course.run_app(Autograde(
                coursedir=course.coursedir(cfg, assignment_id=task.assignment, student_id=task.student_id),
                config=cfg, force=True, create_student=True,
            ))
            break
        except course.GradingError as err:
            # One retry: a kernel can fail to start on a machine under heavy load.
            if attempt == 2:
                result["status"] = "failed"
                result["notes"].append("nbgrader could not autograde this submission: "
                                       + str(err).splitlines()[0])
                result["error"] = (str(err)[-4000:] + "\nkernel stderr:\n" + _kernel_stderr()
                                   + f"\nprocesses of the sandbox uid: {_uid_processes()}")
                kernel.drop_stderr()
                result["cells"] = {}
                result["seconds"] = time.monotonic() - t0
                return result
            if sandbox.is_root():
                kernel.wait_for_uid_gone(sandbox.sandbox_uid(SLOT), timeout=30)
            time.sleep(1.0)
    kernel.drop_stderr()
    result["flags"] += _tamper_flags(log)
    for nb_name, notes in NOTES.items():
        for n in notes:
            result["notes"].append(f"{nb_name}.ipynb: {n['message']}")
            if n["kind"] == "timeout":
                result["timed_out"] = True
            elif n["kind"] in ("died", "output", "unconfirmed"):
                result["flags"].append(f"{nb_name}.ipynb: {n['message']}")
    result["cells"] = _scores(cfg.CourseDirectory.db_url, task.assignment, task.student_id)

    # Feedback: nbgrader's HTML feedback template and GetGrades, with our notes on top.
    graded_dir = root / "autograded" / task.student_id / task.assignment
    for name in task.notebooks:
        path = graded_dir / f"{name}.ipynb"
        lines = [n["message"] for n in NOTES.get(name, [])]
        if lines:
            nb = nbformat.read(path, as_version=4)
            nb.cells.insert(0, notes_cell(lines))
            nbformat.write(nb, path)
        result["autograded"][name] = str(path)
    fb_dir = root / "feedback" / task.student_id / task.assignment
    fb_dir.mkdir(parents=True, exist_ok=True)
    for name in task.notebooks:
        try:
            page = render_feedback(graded_dir / f"{name}.ipynb", cfg.CourseDirectory.db_url,
                                   task.assignment, task.student_id, name)
        except Exception as err:  # feedback is a courtesy: never lose the grade over it
            result["notes"].append(f"{name}.ipynb: feedback could not be rendered ({type(err).__name__}: {err})")
            continue
        (fb_dir / f"{name}.html").write_text(page, encoding="utf-8")
        result["feedback"][name] = str(fb_dir / f"{name}.html")
    result["seconds"] = time.monotonic() - t0
    return result


_FEEDBACK_EXPORTER = None


def _html_exporter_class():
    from nbconvert.exporters import HTMLExporter, TemplateExporter
    from nbconvert.filters.highlight import Highlight2HTML
    from nbconvert.filters.widgetsdatatypefilter import WidgetsDataTypeFilter

    class FeedbackHTMLExporter(HTMLExporter):
        """``HTMLExporter`` that parses its page with BeautifulSoup only when that changes it.

        nbconvert re-parses every page to add ``alt`` text to ``<img>`` tags without one and
        ``tabindex`` to the lab template's cells; on a feedback page (classic template) with
        no image that pass does nothing but costs about half of the rendering time.
        """

        def from_notebook_node(self, nb, resources=None, **kw):
            # The same set-up as HTMLExporter.from_notebook_node (nbconvert 7).
            langinfo = nb.metadata.get("language_info", {})
            lexer = langinfo.get("pygments_lexer", langinfo.get("name", None))
            highlight_code = self.filters.get("highlight_code", Highlight2HTML(pygments_lexer=lexer, parent=self))
            resources = self._init_resources(resources)
            filter_data_type = WidgetsDataTypeFilter(
                notebook_metadata=self._nb_metadata, parent=self, resources=resources)
            self.register_filter("highlight_code", highlight_code)
            self.register_filter("filter_data_type", filter_data_type)
            page, resources = TemplateExporter.from_notebook_node(self, nb, resources, **kw)
            if "<img" not in page and "jp-Notebook" not in page:
                return page, resources
            from bs4 import BeautifulSoup

            # The accessibility fix-ups of HTMLExporter.from_notebook_node, unchanged.
            soup = BeautifulSoup(page, features="html.parser")
            missing_alt = 0
            for elem in soup.select("img:not([alt])"):
                elem.attrs["alt"] = "No description has been provided for this image"
                missing_alt += 1
            if missing_alt:
                self.log.warning("Alternative text is missing on %s image(s).", missing_alt)
            for elem in soup.select(".jp-Notebook div.jp-Cell-inputWrapper"):
                elem.attrs["tabindex"] = "0"
            for elem in soup.select(".jp-Notebook div.jp-OutputArea-output"):
                elem.attrs["tabindex"] = "0"
            return str(soup), resources

    return FeedbackHTMLExporter


def feedback_exporter():
    """nbgrader's feedback exporter (as ``GenerateFeedback`` sets it up), built once per worker.

    ``GenerateFeedback`` builds a new exporter, and compiles its Jinja templates, for every
    student; reusing one saves a good part of the per-student time.
    """
    global _FEEDBACK_EXPORTER
    if _FEEDBACK_EXPORTER is None:
        import nbgrader
        from nbconvert.preprocessors import CSSHTMLHeaderPreprocessor
        from nbgrader.preprocessors import GetGrades
        from traitlets.config import Config

        formgrader = Path(nbgrader.__file__).parent / "server_extensions" / "formgrader"
        c = Config()
        c.HTMLExporter.template_name = "feedback"
        c.HTMLExporter.extra_template_basedirs = [str(formgrader / "templates")]
        c.HTMLExporter.extra_template_paths = [
            str(formgrader / "static" / "node_modules" / "bootstrap" / "dist" / "css")]
        exporter = _html_exporter_class()(config=c)
        exporter.register_preprocessor(GetGrades, enabled=True)
        exporter.register_preprocessor(CSSHTMLHeaderPreprocessor, enabled=True)
        _FEEDBACK_EXPORTER = exporter
    return _FEEDBACK_EXPORTER


def render_feedback(path: Path, db_url: str, assignment: str, student: str, notebook: str) -> str:
    """nbgrader's HTML feedback of one autograded notebook (scores read from ``db_url``)."""
    resources = {
        "unique_key": notebook, "output_files_dir": f"{notebook}_files",
        "nbgrader": {"student": student, "assignment": assignment, "notebook": notebook, "db_url": db_url},
    }
    page, _ = feedback_exporter().from_notebook_node(nbformat.read(path, as_version=4), resources=resources)
    return page


def simple_page(title: str, lines: list[str]) -> str:
    """A minimal HTML feedback page (for notebooks nbgrader could not grade)."""
    items = "\n".join(f"<li>{html.escape(line)}</li>" for line in lines)
    return (
        "<!DOCTYPE html>\n<html><head><meta charset='utf-8'>"
        f"<title>{html.escape(title)}</title></head>\n<body>\n<h1>{html.escape(title)}</h1>\n"
        f"<ul>\n{items}\n</ul>\n</body></html>\n"
    )


def cleanup(result: dict) -> None:
    shutil.rmtree(result.get("scratch", ""), ignore_errors=True)


