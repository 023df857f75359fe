"""The book builds strictly: no warning, no failing cell, every page in the table of contents.

The build itself runs once per session in ``conftest.book_build``
(``jupyter-book build . --all -W -n --keep-going``; about a minute cold for the
pages that exist so far, seconds when the execution cache is warm).
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
import yaml


pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]

ANSI = re.compile(r"\x1b\[[0-9;]*m")
PROBLEM = re.compile(r"\b(WARNING|ERROR|CRITICAL)\b|Traceback \(most recent call last\)")
# ipykernel >= 7 logs this once per kernel start on its own stderr, which jupyter-book
# passes through: it is about the kernel's local socket, not about the book.
KERNEL_STARTUP_NOTICE = "[IPKernelApp] WARNING | Kernel is running over TCP without encryption"
# Elements without an end tag: they must not count as nesting in the parsers below.
VOID_TAGS = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}
# The last line of a failing cell's traceback, e.g. "KeyError: 'cpu_threads'".
CELL_EXCEPTION = re.compile(r"^[A-Za-z_.]*(Error|Exception)\b.*: ")
# A Python warning printed by a cell ("file.py:12: RuntimeWarning: overflow ...").
CELL_WARNING = re.compile(r"\b[A-Z][A-Za-z]*Warning: ")


def toc_files() -> list[str]:
    """Every ``file:`` entry of ``_toc.yml`` (root included), as paths without suffix."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = [toc["root"]]

    def walk(node):
        if isinstance(node, dict):
            if "file" in node:
                files.append(node["file"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(toc.get("parts", toc.get("chapters", [])))
    return files


def is_notebook(path: Path) -> bool:
    """A MyST markdown notebook: jupytext front matter naming the python3 kernel."""
    text = path.read_text(encoding="utf-8")
    front = re.match(r"---\n(.*?)\n---\n", text, re.S)
    if not front:
        return False
    meta = yaml.safe_load(front.group(1)) or {}
    return meta.get("kernelspec", {}).get("name") == "python3" and "jupytext" in meta


def test_strict_build_exits_zero(book_build):
    # The log's tail is jupyter-book's own traceback; the causes are the warnings and the
    # exception lines of failing cells ("KeyError: 'x'"), so those are what the message shows.
    lines = ANSI.sub("", book_build.log).splitlines()
    causes = [
        line for line in lines
        if (PROBLEM.search(line) and KERNEL_STARTUP_NOTICE not in line) or CELL_EXCEPTION.match(line)
    ]
    assert book_build.returncode == 0, (
        f"jupyter-book build --all -W -n --keep-going failed with exit code "
        f"{book_build.returncode} (full log: {book_build.log_path}):\n" + "\n".join(causes[:40])
    )
    assert "build succeeded" in book_build.log


def test_build_log_has_no_warning_or_error(book_build):
    problems = [
        line
        for line in ANSI.sub("", book_build.log).splitlines()
        if PROBLEM.search(line) and KERNEL_STARTUP_NOTICE not in line
    ]
    assert problems == [], "the book build reported:\n" + "\n".join(problems)


class _OutputCollector(HTMLParser):
    """Collects the text of cell output blocks whose class marks stderr or an error."""

    def __init__(self):
        super().__init__()
        self.depth = 0  # > 0 while inside a stderr/traceback output block
        self.blocks: list[str] = []

    def handle_starttag(self, tag, attrs):
        classes = (dict(attrs).get("class") or "").split()
        if self.depth:
            self.depth += tag not in VOID_TAGS
        elif tag == "div" and "output" in classes and ({"stderr", "traceback"} & set(classes)):
            self.depth = 1
            self.blocks.append("")

    def handle_endtag(self, tag):
        if self.depth and tag not in VOID_TAGS:
            self.depth -= 1

    def handle_data(self, data):
        if self.depth:
            self.blocks[-1] += data


class _CellImages(HTMLParser):
    """The ``src`` of every image inside a code cell's output block."""

    def __init__(self):
        super().__init__()
        self.depth = 0  # > 0 while inside a div.cell_output
        self.sources: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if self.depth:
            self.depth += tag not in VOID_TAGS
            if tag == "img" and attrs.get("src"):
                self.sources.append(attrs["src"])
        elif tag == "div" and "cell_output" in (attrs.get("class") or "").split():
            self.depth = 1

    def handle_endtag(self, tag):
        if self.depth and tag not in VOID_TAGS:
            self.depth -= 1


def test_no_cell_prints_a_python_warning_or_traceback(book_build, built_html):
    """A cell's warning is a defect the -W flag cannot see: it goes to the page, not the log."""
    found = {}
    for page in book_build.pages():
        collector = _OutputCollector()
        collector.feed(page.read_text(encoding="utf-8"))
        bad = [b for b in collector.blocks if CELL_WARNING.search(b) or "Traceback" in b]
        if bad:
            found[page.name] = bad
    assert found == {}, f"cells printed warnings or tracebacks: {found}"


def test_every_toc_entry_exists_and_was_built(built_html):
    for entry in toc_files():
        sources = [ROOT / f"{entry}{suffix}" for suffix in (".md", ".ipynb")]
        assert any(s.exists() for s in sources), f"_toc.yml lists {entry}, which has no source file"
        assert (built_html / f"{entry}.html").exists(), f"{entry} is in _toc.yml but was not built"


def test_every_book_page_is_in_the_toc():
    """only_build_toc_files silently skips a page missing from _toc.yml: catch it here."""
    listed = set(toc_files())
    orphans = [p.name for p in sorted((ROOT / "book").glob("*.md")) if f"book/{p.stem}" not in listed]
    assert orphans == [], f"pages not in _toc.yml (add them or remove them): {orphans}"


def test_chapters_are_executable_notebooks():
    """Numbered chapters and the notation page run their code at build time."""
    pages = sorted((ROOT / "book").glob("[0-9][0-9]-*.md")) + [ROOT / "book" / "notation.md"]
    not_notebooks = [p.name for p in pages if p.exists() and not is_notebook(p)]
    assert not_notebooks == [], f"missing jupytext/kernelspec python3 front matter: {not_notebooks}"


def test_notebook_pages_offer_downloads_and_no_launch_links_yet(built_html):
    for entry in toc_files():
        source = ROOT / f"{entry}.md"
        if not source.exists() or not is_notebook(source):
            continue
        html = (built_html / f"{entry}.html").read_text(encoding="utf-8")
        name = Path(entry).name
        for download in (f"_sources/{entry}.md", f"_sources/{entry}.ipynb"):
            assert download in html, f"{entry}.html offers no download of {download}"
            assert (built_html / download).exists(), f"{download} was not written"
        # repository.url is the placeholder: no launch button may lead readers nowhere
        # (with a real URL they appear: tests/book/test_reader_ext.py builds that case).
        for host in ("mybinder.org", "colab.research.google.com", "/hub/user-redirect/git-pull"):
            assert host not in html, f"{entry}.html has a launch link to {host} without a repository"
        assert f"{name}.md" in html
        # Live code (thebe) would load a kernel from the web when the page is used.
        assert "thebe-launch-button" not in html, f"{entry}.html has a thebe button"


def test_every_chapter_shows_a_figure_computed_at_build_time(built_html):
    """Numbered chapters draw at least one figure in a cell; its PNG is written with the page.

    A kernel that inherits MPLBACKEND=Agg draws nothing inline, and the page silently loses
    every figure: this catches that (and a chapter that forgot its figure).
    """
    missing = []
    for entry in toc_files():
        if not re.match(r"book/\d\d-", entry):
            continue
        collector = _CellImages()
        collector.feed((built_html / f"{entry}.html").read_text(encoding="utf-8"))
        cell_images = collector.sources
        if not cell_images or not all((built_html / "book" / src).resolve().exists() for src in cell_images):
            missing.append(entry)
    assert missing == [], f"chapters with no figure drawn by a cell: {missing}"


def test_math_uses_the_bundled_mathjax(built_html):
    html = (built_html / "book" / "notation.html").read_text(encoding="utf-8")
    scripts = re.findall(r'<script[^>]*src="([^"]*mathjax[^"]*)"', html, re.I)
    assert scripts, "notation.html loads no MathJax script"
    assert all(not s.startswith(("http:", "https:", "//")) for s in scripts), scripts
    for script in scripts:
        assert (built_html / "book" / script.split("?")[0]).resolve().exists(), script
