"""Write each chapter's notebook (``book/<chapter>.ipynb``) for Colab and Binder: ``make notebooks``.

The chapters are MyST markdown (jupytext), which Colab cannot open.  This writes a plain
``.ipynb`` beside each one, without outputs, and puts ``repository.url`` from ``_config.yml``
into the chapter's hidden install cell, so a notebook opened where ``lstmlab`` is missing
installs it from the course repository.  Sphinx skips these copies (``exclude_patterns``);
the launch buttons point at them (``lstmlab_reader``).

    python book/_ext/chapter_notebooks.py            # every chapter, from _config.yml
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import jupytext
import yaml

ROOT = Path(__file__).resolve().parents[2]
REPOSITORY_LINE = re.compile(r'^COURSE_REPOSITORY = ".*"$', re.M)


def chapters(root: Path = ROOT) -> list[Path]:
    """The notebook pages of the book: ``book/*.md`` with a kernel."""
    return [p for p in sorted((root / "book").glob("*.md")) if "kernelspec:" in p.read_text(encoding="utf-8")[:600]]


def configured_repository(root: Path = ROOT) -> str:
    """``repository.url`` of ``_config.yml``."""
    config = yaml.safe_load((root / "_config.yml").read_text(encoding="utf-8"))
    return config["repository"]["url"]


def chapter_notebook(chapter: Path, repository: str):
    """The chapter as a notebook (nbformat node) whose install cell names ``repository``."""
    notebook = jupytext.read(chapter)
    install = [cell for cell in notebook.cells if cell.cell_type == "code" and REPOSITORY_LINE.search(cell.source)]
    if len(install) != 1:
        raise ValueError(
            f"chapter_notebook: {chapter.name} has {len(install)} cells setting COURSE_REPOSITORY, expected 1. "
            "Hint: copy the hidden install cell from book/01-rnn.md to the top of the chapter"
        )
    install[0].source = REPOSITORY_LINE.sub(f'COURSE_REPOSITORY = "{repository}"', install[0].source)
    return notebook


def write_notebooks(root: Path = ROOT, repository: str | None = None, out_dir: Path | None = None) -> list[Path]:
    """Write ``<chapter>.ipynb`` for every chapter into ``out_dir`` (default: beside it)."""
    repository = repository or configured_repository(root)
    written = []
    for chapter in chapters(root):
        target = (out_dir or chapter.parent) / chapter.with_suffix(".ipynb").name
        jupytext.write(chapter_notebook(chapter, repository), target, fmt="ipynb")
        written.append(target)
    return written


if __name__ == "__main__":
    for path in write_notebooks():
        print(path.relative_to(ROOT))
    sys.exit(0)
