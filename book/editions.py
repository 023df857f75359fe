"""Build the book's editions and keep the Chinese catalogues in sync with the English text.

The English chapters in ``book/`` are the single source.  The Chinese edition is Sphinx's
own translation workflow (the one the Python and Sphinx documentation use):

1. the gettext builder extracts every translatable message of the English book into
   ``_build/gettext/<page>.pot``;
2. ``sphinx-intl update`` merges them into ``book/locales/zh_CN/LC_MESSAGES/<page>.po``
   (new messages come in empty, changed ones are marked fuzzy, translations are kept);
3. the Chinese build is the English build with ``language = "zh_CN"``: Sphinx swaps each
   message for its translation, and code, outputs and figures are shared (the notebooks'
   execution cache is the English build's, so the code is not run again).

Usage (the Makefile's ``book``, ``book-zh`` and ``translations`` targets call these)::

    python book/editions.py build zh_CN [--all] [--strict]   # Chinese edition -> _build/html/zh
    python book/editions.py update                           # refresh the catalogues
    python book/editions.py extract [DIR]                    # only the English messages, DIR/<page>.pot
    python book/editions.py stats [--strict]                 # per page: translated, fuzzy, untranslated

jupyter-book's command line has no way to pass a Sphinx setting such as ``language``
(jupyter-book/jupyter-book#1791), so the Chinese build calls jupyter-book's own
``build_sphinx`` with the book's ``_config.yml`` and that one override.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BUILD = ROOT / "_build"
LOCALES = ROOT / "book" / "locales"
GETTEXT = BUILD / "gettext"
# Each edition's output folder, relative to the repository root.
OUTPUT = {"en": BUILD / "html", "zh_CN": BUILD / "html" / "zh"}
LANGUAGES = ("zh_CN",)


def _sphinx_build(builder: str, outdir: Path, language: str | None, *, force_all: bool, strict: bool) -> int:
    """One jupyter-book build of the whole book with ``builder``; returns Sphinx's exit code."""
    from jupyter_book.sphinx import build_sphinx

    overrides = {
        # What `jupyter-book build .` sets for a book: the table of contents, no per-page PDFs.
        "external_toc_path": "_toc.yml",
        "latex_individualpages": False,
        # The English build's execution cache: the code runs once for both editions.
        "nb_execution_cache_path": str(BUILD / ".jupyter_cache"),
    }
    if language:
        overrides["language"] = language
    if strict:
        overrides["nitpicky"] = True  # what `jupyter-book build -n` sets
    result = build_sphinx(
        str(ROOT),
        str(outdir),
        path_config=str(ROOT / "_config.yml"),
        noconfig=True,  # the configuration is _config.yml, as for `jupyter-book build`
        confoverrides=overrides,
        doctreedir=str(BUILD / f".doctrees-{builder}-{language or 'en'}"),
        builder=builder,
        force_all=force_all,
        warningiserror=strict,
        keep_going=True,
    )
    if isinstance(result, Exception):  # build_sphinx returns configuration errors
        print(result, file=sys.stderr)
        return 2
    return int(result)


def build(language: str, *, force_all: bool, strict: bool) -> int:
    """Build one translated edition into ``OUTPUT[language]``."""
    if language not in LANGUAGES:
        raise SystemExit(f"build: language must be one of {LANGUAGES}, got {language!r}")
    return _sphinx_build("html", OUTPUT[language], language, force_all=force_all, strict=strict)


def extract(outdir: Path = GETTEXT) -> int:
    """Extract every translatable message of the English book into ``outdir/<page>.pot``."""
    return _sphinx_build("gettext", outdir, None, force_all=True, strict=True)


def update() -> int:
    """Extract the English messages and merge them into every language's catalogues."""
    code = extract()
    if code:
        return code
    sphinx_intl = Path(sys.executable).with_name("sphinx-intl")
    for language in LANGUAGES:
        subprocess.run(
            [str(sphinx_intl), "update", "-p", str(GETTEXT), "-d", str(LOCALES), "-l", language,
             "--line-width", "-1"],
            check=True,
        )
    return 0


def _read(path: Path):
    from babel.messages.pofile import read_po

    with path.open("rb") as handle:
        return read_po(handle)


def message_ids(folder: Path, suffix: str) -> dict[str, set[str]]:
    """Per page (e.g. ``book/01-rnn``): the message ids of the ``*.pot`` or ``*.po`` files in ``folder``."""
    return {
        str(path.relative_to(folder).with_suffix("")): {m.id for m in _read(path) if m.id}
        for path in sorted(folder.rglob(f"*{suffix}"))
    }


@dataclass(frozen=True)
class PageStats:
    """How much of one page's catalogue is translated."""

    page: str
    translated: int
    fuzzy: int
    untranslated: int

    @property
    def complete(self) -> bool:
        return self.fuzzy == 0 and self.untranslated == 0


def catalogue_stats(language: str = "zh_CN") -> list[PageStats]:
    """Per page of ``language``'s catalogues: translated, fuzzy and untranslated messages."""
    folder = LOCALES / language / "LC_MESSAGES"
    stats = []
    for po_path in sorted(folder.rglob("*.po")):
        catalogue = _read(po_path)
        messages = [m for m in catalogue if m.id]  # the header has an empty id
        fuzzy = sum(1 for m in messages if m.fuzzy)
        untranslated = sum(1 for m in messages if not m.fuzzy and not m.string)
        stats.append(PageStats(str(po_path.relative_to(folder).with_suffix("")),
                               len(messages) - fuzzy - untranslated, fuzzy, untranslated))
    return stats


def print_stats(language: str, *, strict: bool) -> int:
    stats = catalogue_stats(language)
    width = max(len(s.page) for s in stats)
    print(f"{'page':<{width}}  translated  fuzzy  untranslated")
    for s in stats:
        print(f"{s.page:<{width}}  {s.translated:>10}  {s.fuzzy:>5}  {s.untranslated:>12}")
    total = [sum(getattr(s, f) for s in stats) for f in ("translated", "fuzzy", "untranslated")]
    print(f"{'total':<{width}}  {total[0]:>10}  {total[1]:>5}  {total[2]:>12}")
    return 1 if strict and (total[1] or total[2]) else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    build_cmd = commands.add_parser("build", help="build a translated edition")
    build_cmd.add_argument("language", choices=LANGUAGES)
    build_cmd.add_argument("--all", action="store_true", help="rewrite every page (like jupyter-book --all)")
    build_cmd.add_argument("--strict", action="store_true", help="warnings are errors, nit-picky (-W -n)")
    commands.add_parser("update", help="extract the English messages and update the catalogues")
    extract_cmd = commands.add_parser("extract", help="only extract the English messages (*.pot) into a folder")
    extract_cmd.add_argument("outdir", type=Path, nargs="?", default=GETTEXT)
    stats_cmd = commands.add_parser("stats", help="translated / fuzzy / untranslated messages per page")
    stats_cmd.add_argument("--language", default="zh_CN", choices=LANGUAGES)
    stats_cmd.add_argument("--strict", action="store_true", help="exit 1 if anything is fuzzy or untranslated")
    args = parser.parse_args(argv)
    os.chdir(ROOT)
    if args.command == "build":
        return build(args.language, force_all=args.all, strict=args.strict)
    if args.command == "update":
        return update()
    if args.command == "extract":
        return extract(args.outdir.resolve())
    return print_stats(args.language, strict=args.strict)


if __name__ == "__main__":
    sys.exit(main())
