"""Feedback pages: nbgrader's HTML feedback, made to stand alone and to say what each cell tests.

What changes compared with ``nbgrader generate_feedback`` (template ``feedback``):

* nothing is loaded from the web: math is rendered to MathML here (:func:`prerender_math`,
  shown by the browser itself) and the page does not load MathJax from a CDN, so a learner
  who opens the file offline reads the math, not raw ``$$``;
* long output lines wrap instead of running off the page;
* the summary at the top names each test cell by the function it tests;
* a test cell shows its *released* source (what the learner saw), never the hidden tests;
  their output, which says what failed, is kept;
* the autograder's notes about the run (a timeout, truncated output...) come first, in a
  cell written by :class:`NotesCell` from the notebook's metadata.

The exporter is built once per worker (:func:`feedback_exporter`), not once per student.
"""

from __future__ import annotations

import html
import re
from pathlib import Path

import nbformat
from nbconvert.preprocessors import Preprocessor

#: Our template folder (``feedback_lstmlab``, extending nbgrader's ``feedback``).
TEMPLATES = Path(__file__).resolve().parent / "templates"

#: Where execution notes live in a notebook's metadata: ``nb.metadata[KEY]["notes"]``.
KEY = "autograder"

_HIDDEN = re.compile(r"^[ \t]*### BEGIN HIDDEN TESTS.*?^[ \t]*### END HIDDEN TESTS[ \t]*\n?", re.S | re.M)
HIDDEN_NOTE = "# (hidden tests ran here too: their source is not shown, their output is)"


# -- notes: recorded in the notebook's metadata, written as its first cell ------------------

def add_note(nb, kind: str, message: str) -> None:
    """Record an execution note (``kind``: timeout, died, output, unconfirmed) in ``nb``'s metadata."""
    nb.metadata.setdefault(KEY, {}).setdefault("notes", []).append({"kind": kind, "message": message})


def notes_of(nb) -> list[dict]:
    """The execution notes :func:`add_note` recorded in ``nb``."""
    return list(nb.metadata.get(KEY, {}).get("notes", []))


def notes_cell(lines: list[str]):
    """The markdown cell that opens a feedback page with the autograder's notes."""
    text = "**Autograder notes**\n\n" + "\n".join(f"- {line}" for line in lines)
    cell = nbformat.v4.new_markdown_cell(text)
    cell.metadata[KEY] = {"notes_cell": True}
    return cell


class NotesCell(Preprocessor):
    """Write the notes recorded in the notebook's metadata as its first cell (nbgrader's habit:
    a preprocessor leaves its result in the notebook, not in a global)."""

    def preprocess(self, nb, resources):
        nb.cells = [c for c in nb.cells if not c.get("metadata", {}).get(KEY, {}).get("notes_cell")]
        lines = [n["message"] for n in notes_of(nb)]
        if lines:
            nb.cells.insert(0, notes_cell(lines))
        return nb, resources


# -- what a test cell shows -----------------------------------------------------------------

def _grade_id(cell) -> str | None:
    return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")


def _is_test(cell) -> bool:
    meta = cell.get("metadata", {}).get("nbgrader", {})
    return cell.cell_type == "code" and bool(meta.get("grade")) and not meta.get("solution")


_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_GUTTER = re.compile(r"^\s*(-*>)?\s*\d+\s?")


def scrub_traceback(text: str, hidden: set[str]) -> str:
    """``text`` (one traceback entry) without the lines that quote a hidden test.

    IPython quotes the lines around the failing one; a quoted hidden line is dropped, and
    the failing one, if hidden, becomes ``----> (a hidden test)``.
    """
    keep = []
    for line in text.split("\n"):
        plain = _ANSI.sub("", line)
        gutter = _GUTTER.match(plain)
        code = plain[gutter.end():].strip() if gutter else plain.strip()
        if code and code in hidden:
            if gutter and gutter.group(1):
                keep.append("----> (a hidden test)")
            continue
        keep.append(line)
    return "\n".join(keep)


class ReleasedTestSources(Preprocessor):
    """Show each test cell as released: the hidden tests' source is dropped, from the cell and
    from the tracebacks that quote it (their outputs, which say what failed, stay).

    ``resources["lstmlab_released"]``: the released notebook, when there is one; otherwise the
    ``### BEGIN/END HIDDEN TESTS`` blocks are cut out of the autograded source.
    """

    def preprocess(self, nb, resources):
        released = resources.get("lstmlab_released")
        shown = {_grade_id(c): c.source for c in released.cells} if released is not None else {}
        for cell in nb.cells:
            if not _is_test(cell):
                continue
            before = cell.source
            source = shown.get(_grade_id(cell))
            if source is None:
                source = _HIDDEN.sub("", before)
            hidden = {ln.strip() for ln in before.splitlines()} - {ln.strip() for ln in source.splitlines()} - {""}
            if hidden:
                source = source.rstrip() + ("\n" if source.strip() else "") + HIDDEN_NOTE
                for out in cell.get("outputs", []):
                    if out.get("output_type") == "error":
                        out["traceback"] = [scrub_traceback(t, hidden) for t in out.get("traceback", [])]
            cell.source = source
        return nb, resources


def test_label(cell, functions: list[str]) -> str:
    """How the summary names a test cell: the learner's functions it checks, and its id.

    ``check_rnn_step_forward(rnn_step_forward)`` -> ``rnn_step_forward (test_rnn_step_forward)``;
    a cell of plain asserts is named by the learner's functions it calls.
    """
    gid = _grade_id(cell) or "test"
    called = [m for m in dict.fromkeys(re.findall(r"\bcheck_(\w+)\s*\(", cell.source)) if m in functions]
    if not called:
        called = [f for f in functions if re.search(rf"\b{re.escape(f)}\s*\(", cell.source)]
    return f"{', '.join(called)} ({gid})" if called else gid


def learner_functions(nb) -> list[str]:
    """Names of the functions defined in the notebook's solution cells, in order."""
    names = []
    for cell in nb.cells:
        if cell.cell_type == "code" and cell.get("metadata", {}).get("nbgrader", {}).get("solution"):
            names += re.findall(r"^def\s+(\w+)\s*\(", cell.source, re.M)
    return list(dict.fromkeys(names))


# -- math without MathJax ---------------------------------------------------------------------

_CODE = re.compile(r"(<(pre|code)\b.*?</\2>)", re.S | re.I)
_DISPLAY = re.compile(r"\$\$(.+?)\$\$", re.S)
_INLINE = re.compile(r"(?<![\\$])\$(?!\s)([^$\n]+?)(?<![\s\\])\$(?!\d)")


def _mathml(tex: str, display: bool) -> str | None:
    from latex2mathml.converter import convert

    try:
        return convert(html.unescape(tex).strip(), display="block" if display else "inline")
    except Exception:  # a macro latex2mathml does not know: the TeX stays as written
        return None


def prerender_math(fragment: str) -> str:
    """Replace ``$$...$$`` and ``$...$`` in rendered markdown with MathML (not inside code)."""
    parts = _CODE.split(fragment)
    out = []
    i = 0
    while i < len(parts):
        text = parts[i]
        text = _DISPLAY.sub(lambda m: _mathml(m.group(1), True) or m.group(0), text)
        text = _INLINE.sub(lambda m: _mathml(m.group(1), False) or m.group(0), text)
        out.append(text)
        if i + 1 < len(parts):
            out.append(parts[i + 1])  # a <pre> or <code> element, untouched
        i += 3
    return "".join(out)


# -- the exporter -----------------------------------------------------------------------------

_FEEDBACK_EXPORTER = None


def _html_exporter_class():
    from jinja2 import pass_context
    from nbconvert.exporters import HTMLExporter, TemplateExporter
    from nbconvert.filters.highlight import Highlight2HTML
    from nbconvert.filters.widgetsdatatypefilter import WidgetsDataTypeFilter

    class FeedbackHTMLExporter(HTMLExporter):
        """``HTMLExporter`` with math rendered to MathML, which parses its page with
        BeautifulSoup only when that changes it.

        nbconvert re-parses every page to add ``alt`` text to ``<img>`` tags without one and
        ``tabindex`` to the lab template's cells; on a feedback page (classic template) with
        no image that pass does nothing but costs about half of the rendering time.
        """

        @pass_context
        def markdown2html(self, context, source):
            return prerender_math(HTMLExporter.markdown2html(self, context, source))

        def default_filters(self):
            yield from super().default_filters()
            yield ("markdown2html", self.markdown2html)

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
            # Named from the full source, before the hidden tests are cut out of it (a cell made
            # only of hidden tests is still named by the functions it calls).
            functions = learner_functions(nb)
            labels = {_grade_id(c): test_label(c, functions) for c in nb.cells if _is_test(c)}
            self.register_filter("test_label", lambda cell: labels.get(_grade_id(cell)) or test_label(cell, functions))
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
    """nbgrader's feedback exporter (as ``GenerateFeedback`` sets it up, with our template),
    built once per worker.

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
        c.HTMLExporter.template_name = "feedback_lstmlab"
        c.HTMLExporter.extra_template_basedirs = [str(TEMPLATES), str(formgrader / "templates")]
        c.HTMLExporter.extra_template_paths = [
            str(formgrader / "static" / "node_modules" / "bootstrap" / "dist" / "css")]
        exporter = _html_exporter_class()(config=c)
        exporter.register_preprocessor(ReleasedTestSources, enabled=True)
        exporter.register_preprocessor(GetGrades, enabled=True)
        exporter.register_preprocessor(CSSHTMLHeaderPreprocessor, enabled=True)
        _FEEDBACK_EXPORTER = exporter
    return _FEEDBACK_EXPORTER


def render_feedback(path: Path, db_url: str, assignment: str, student: str, notebook: str,
                    released: Path | None = None) -> str:
    """The HTML feedback page of one autograded notebook (scores read from ``db_url``).

    ``released``: the released notebook, whose test cells' sources the page shows.
    """
    resources = {
        "unique_key": notebook, "output_files_dir": f"{notebook}_files",
        "nbgrader": {"student": student, "assignment": assignment, "notebook": notebook, "db_url": db_url},
        "lstmlab_released": nbformat.read(released, as_version=4) if released and Path(released).exists() else None,
    }
    page, _ = feedback_exporter().from_notebook_node(nbformat.read(path, as_version=4), resources=resources)
    return page


def simple_page(title: str, lines: list[str]) -> str:
    """A minimal HTML feedback page (for notebooks nbgrader could not grade)."""
    items = "\n".join(f"<li>{html.escape(line)}</li>" for line in lines)
    return (
        "<!DOCTYPE html>\n<html><head><meta charset='utf-8'>"
        f"<title>{html.escape(title)}</title>\n"
        "<style>body{font-family:sans-serif;max-width:60em;margin:2em auto}"
        "li{white-space:pre-wrap;overflow-wrap:anywhere}</style></head>\n"
        f"<body>\n<h1>{html.escape(title)}</h1>\n<ul>\n{items}\n</ul>\n</body></html>\n"
    )
