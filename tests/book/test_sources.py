"""The book's sources hold no control characters, and no LaTeX escape is eaten by Python.

Two ways a formula has gone wrong before: a page was written through a non-raw Python string,
so ``\\text`` arrived in the Markdown as a TAB followed by ``ext`` and rendered as "extmarkedt";
and a code cell that builds a matplotlib label with a non-raw string turns ``"$\\theta$"``
into a TAB and ``heta`` at run time, which no build warning reports.  The first test reads
every text file under ``book/`` (and the book's configuration); the second tokenizes every
Python code cell of the book and every module of ``lstmlab.plots`` and flags escape sequences
``\\t \\n \\r \\f \\a \\b`` followed by a letter inside ``$...$`` of a non-raw string.
Fast (well under a second), so not marked slow.
"""

from __future__ import annotations

import io
import re
import tokenize
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BOOK = ROOT / "book"
# Binary data the book loads (weights, results) and the compiled gettext catalogues (.mo, written by
# the Chinese build next to their .po sources) are not sources.
BINARY_SUFFIXES = {".npz", ".npy", ".png", ".jpg", ".jpeg", ".gif", ".svg", ".pdf", ".ico", ".pt", ".mo"}
# Anything below U+0020 except LF, plus DEL; CR is included (sources use LF line ends).
CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f\x7f]")
CODE_CELL = re.compile(r"^```\{code-cell\}[^\n]*\n(.*?)^```[ \t]*$", re.M | re.S)
# An escape Python interprets (\t \n \r \f \a \b) directly followed by a letter: "\theta", "\nabla",
# "\frac", "\alpha", "\bar", "\rho", ...; preceded by an even number of backslashes (not "\\t").
EATEN_ESCAPE = re.compile(r"(?<!\\)(?:\\\\)*(\\[tnrfab][A-Za-z]+)")
MATH_SPAN = re.compile(r"\$[^$]*\$")


def book_sources() -> list[Path]:
    files = [p for p in BOOK.rglob("*") if p.is_file() and p.suffix.lower() not in BINARY_SUFFIXES]
    files += [ROOT / "_toc.yml", ROOT / "_config.yml"]
    return sorted(p for p in files if "__pycache__" not in p.parts and ".ipynb_checkpoints" not in p.parts)


def control_characters(text: str) -> list[tuple[int, int, str]]:
    """(line, column, character name) of every control character or tab in ``text``."""
    found = []
    for lineno, line in enumerate(text.split("\n"), start=1):
        for m in CONTROL.finditer(line):
            found.append((lineno, m.start() + 1, f"U+{ord(m.group()):04X}"))
    return found


def python_sources() -> list[tuple[str, int, str]]:
    """(file, first line, code) of every book code cell and every lstmlab.plots module."""
    out = []
    for page in sorted(BOOK.glob("*.md")):
        text = page.read_text(encoding="utf-8")
        for m in CODE_CELL.finditer(text):
            first_line = text.count("\n", 0, m.start(1)) + 1
            out.append((page.relative_to(ROOT).as_posix(), first_line, m.group(1)))
    for module in sorted((ROOT / "lstmlab" / "plots").glob("*.py")):
        out.append((module.relative_to(ROOT).as_posix(), 1, module.read_text(encoding="utf-8")))
    return out


def string_literals(code: str) -> list[tuple[int, str, str]]:
    """(line, prefix, body) of every string literal in ``code``; IPython magics are skipped."""
    lines = [("# " + line) if line.lstrip().startswith(("%", "!")) else line for line in code.split("\n")]
    literals = []
    for tok in tokenize.generate_tokens(io.StringIO("\n".join(lines)).readline):
        if tok.type == tokenize.STRING:
            prefix = re.match(r"[A-Za-z]*", tok.string).group()
            literals.append((tok.start[0], prefix, tok.string[len(prefix):]))
    return literals


def eaten_escapes(code: str) -> list[tuple[int, str]]:
    """(line, escape) for every ``\\t``-like escape inside ``$...$`` of a non-raw string."""
    found = []
    for line, prefix, body in string_literals(code):
        if "r" in prefix.lower():
            continue
        for span in MATH_SPAN.finditer(body):
            found += [(line, m.group(1)) for m in EATEN_ESCAPE.finditer(span.group())]
    return found


def test_the_book_has_sources_to_check():
    """Guards the two tests below against passing because they found nothing to read."""
    sources = book_sources()
    assert sum(p.suffix == ".md" for p in sources) >= 10, sources
    cells = python_sources()
    assert sum(code.count("$") for _, _, code in cells) > 50  # labels with math exist


@pytest.mark.parametrize("path", book_sources(), ids=lambda p: p.relative_to(ROOT).as_posix())
def test_no_control_characters_or_tabs(path: Path):
    found = control_characters(path.read_text(encoding="utf-8"))
    assert not found, (
        f"{path.relative_to(ROOT)}: control characters or tabs at (line, column, char) {found[:10]}; "
        "a LaTeX command written through a non-raw Python string (\\text -> TAB + 'ext') "
        "is the usual cause; use spaces for indentation"
    )


def test_no_latex_escape_eaten_by_python():
    problems = []
    for where, first_line, code in python_sources():
        problems += [f"{where}:{first_line + line - 1}: {escape!r}" for line, escape in eaten_escapes(code)]
    assert not problems, (
        "non-raw strings whose $...$ math starts a LaTeX command with a Python escape "
        "(write them as r'...' strings):\n" + "\n".join(problems)
    )


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ('label = "$\\theta$"', [(1, "\\theta")]),
        ('ax.set_title(f"$\\nabla L$ at {t}")', [(1, "\\nabla")]),
        ('x = 1\ny = "$\\frac{1}{2} \\alpha \\bar h$"', [(2, "\\frac"), (2, "\\alpha"), (2, "\\bar")]),
        ('label = r"$\\theta$"', []),
        ('label = "$\\\\theta$"', []),
        ('print("done\\nthe end")', []),  # a newline outside math is meant
        ("%matplotlib inline\nlabel = '$\\rho$'", [(2, "\\rho")]),
    ],
)
def test_the_escape_check_itself(code, expected):
    assert eaten_escapes(code) == expected


def test_the_control_character_check_itself():
    assert control_characters("a\n\tb\x07") == [(2, 1, "U+0009"), (2, 3, "U+0007")]
    assert control_characters("plain text\n$\\text{ok}$\n") == []
