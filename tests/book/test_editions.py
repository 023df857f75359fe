"""The Chinese edition: built from the English sources, translated in full, and faithful to them.

* fast: the language switch's links, and the catalogues themselves (every message translated,
  none fuzzy; mathematics, code, roles and numbers carried over unchanged; Chinese punctuation);
* slow: the catalogues hold exactly the messages the English text has now (regenerating them
  changes nothing), the Chinese build is as strict as the English one, every page is marked
  ``zh-Hans`` and links to its English twin, and code, outputs and figures are the English build's.
"""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LOCALE_DIR = ROOT / "book" / "locales" / "zh_CN" / "LC_MESSAGES"


def _load(name: str, path: Path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


editions = _load("lstmlab_book_editions", ROOT / "book" / "editions.py")
switch = _load("lstmlab_editions_ext", ROOT / "book" / "_ext" / "lstmlab_editions.py")

# The parts of a message a translation must carry over character for character.
MATH = re.compile(r"\$\$.+?\$\$|\$[^$]+\$", re.S)
CODE = re.compile(r"``[^`]+``|`[^`]+`")
# A role such as {doc}`Chapter 1 <01-rnn>`: its text may be translated, its name and target not.
ROLE = re.compile(r"\{([a-z:-]+)\}`([^`]*)`")
EXPLICIT_TARGET = re.compile(r"<([^<>]+)>\s*$")
LINK_TARGET = re.compile(r"\]\(([^)\s]+)\)")
NUMBER = re.compile(r"(?<![\w.])\d+(?:[.,]\d+)*(?:e[-+]?\d+)?(?![\w])")
CJK = re.compile(r"[\u4e00-\u9fff]")
# ASCII punctuation right after a Chinese character, where the full-width form belongs.
HALF_WIDTH_AFTER_CJK = re.compile(r"[\u4e00-\u9fff][,;!?]|[\u4e00-\u9fff][.:](?=\s|$)")


def catalogue_entries():
    """(page, msgid, msgstr) for every translated message of the Chinese catalogues."""
    from babel.messages.pofile import read_po

    for path in sorted(LOCALE_DIR.rglob("*.po")):
        with path.open("rb") as handle:
            for message in read_po(handle):
                if message.id and message.string and not message.fuzzy:
                    yield str(path.relative_to(LOCALE_DIR).with_suffix("")), message.id, message.string


def _without(pattern: re.Pattern, text: str) -> str:
    return pattern.sub(" ", text)


def role_targets(text: str) -> list[tuple[str, str]]:
    """(role, target) of every role in ``text``; without an explicit ``<target>``, the whole text."""
    found = []
    for role, content in ROLE.findall(text):
        explicit = EXPLICIT_TARGET.search(content)
        found.append((role, explicit.group(1) if explicit else content))
    return found


# ----------------------------------------------------------------------------- fast


def test_switch_links_lead_to_the_same_page_in_the_other_edition():
    assert switch.other_edition_href("book/01-rnn", "en") == "../zh/book/01-rnn.html"
    assert switch.other_edition_href("book/01-rnn", "zh_CN") == "../../book/01-rnn.html"
    assert switch.other_edition_href("index", "en") == "zh/index.html"
    assert switch.other_edition_href("index", "zh_CN") == "../index.html"
    assert switch.edition_of("zh_CN") == "zh_CN"
    assert switch.edition_of(None) == "en" and switch.edition_of("en") == "en"


def test_every_page_has_a_catalogue():
    pages = {p for p in editions.message_ids(LOCALE_DIR, ".po")}
    sources = {f"book/{p.stem}" for p in (ROOT / "book").glob("*.md")}
    assert sources <= pages, f"pages without a Chinese catalogue (run `make translations`): {sorted(sources - pages)}"


def test_catalogues_are_translated_in_full():
    incomplete = [s for s in editions.catalogue_stats("zh_CN") if not s.complete]
    assert incomplete == [], (
        "messages left to translate (`python book/editions.py stats` lists them per page): "
        + ", ".join(f"{s.page}: {s.untranslated} untranslated, {s.fuzzy} fuzzy" for s in incomplete)
    )


def test_translations_keep_mathematics_code_roles_and_links():
    problems = []
    for page, english, chinese in catalogue_entries():
        checks = (
            ("math", MATH.findall),
            ("code", lambda text: CODE.findall(_without(ROLE, text))),
            ("role", role_targets),
            ("link target", LINK_TARGET.findall),
        )
        for name, find in checks:
            want, got = Counter(find(english)), Counter(find(chinese))
            if want != got:
                problems.append(f"{page}: {name} differs in {english[:60]!r}: "
                                f"missing {sorted((want - got).elements())}, added {sorted((got - want).elements())}")
    assert problems == [], "\n".join(problems[:20])


def test_translations_keep_every_number():
    problems = []
    for page, english, chinese in catalogue_entries():
        plain_en = _without(CODE, _without(ROLE, _without(MATH, english)))
        plain_zh = _without(CODE, _without(ROLE, _without(MATH, chinese)))
        missing = Counter(NUMBER.findall(plain_en)) - Counter(NUMBER.findall(plain_zh))
        if missing:
            problems.append(f"{page}: {sorted(missing.elements())} missing from the translation of {english[:70]!r}")
    assert problems == [], "\n".join(problems[:20])


def test_translations_use_chinese_punctuation():
    problems = []
    for page, _english, chinese in catalogue_entries():
        prose = _without(LINK_TARGET, _without(CODE, _without(ROLE, _without(MATH, chinese))))
        for match in HALF_WIDTH_AFTER_CJK.finditer(prose):
            problems.append(f"{page}: half-width {match.group()!r} in {chinese[:60]!r}")
    assert problems == [], "\n".join(problems[:20])


def test_role_targets_ignore_the_translated_text():
    assert role_targets("{doc}`Chapter 1 <01-rnn>` and {cite:t}`bengio1994learning`") == [
        ("doc", "01-rnn"), ("cite:t", "bengio1994learning")]
    assert role_targets("{doc}`第 1 章 <01-rnn>`") == [("doc", "01-rnn")]


def test_the_punctuation_check_catches_a_half_width_comma():
    assert HALF_WIDTH_AFTER_CJK.search("循环神经网络, 它")
    assert HALF_WIDTH_AFTER_CJK.search("这是结尾.")
    assert not HALF_WIDTH_AFTER_CJK.search("循环神经网络，它读 `x_t, h_t`。")


# ----------------------------------------------------------------------------- slow


@pytest.mark.slow
def test_catalogues_hold_exactly_the_current_english_messages(book_build, tmp_path):
    """Regenerating the catalogues would change nothing: same messages, page for page."""
    # In a process of its own, as the builds run: the books' cells import torch and matplotlib,
    # whose warnings pytest would turn into errors inside Sphinx.
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}")
    proc = subprocess.run([sys.executable, str(ROOT / "book" / "editions.py"), "extract", str(tmp_path)],
                          cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, f"gettext extraction failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    templates = editions.message_ids(tmp_path, ".pot")
    catalogues = editions.message_ids(LOCALE_DIR, ".po")
    stale = {
        page: {"new in English": sorted(ids - catalogues.get(page, set()))[:3],
               "gone from English": sorted(catalogues.get(page, set()) - ids)[:3]}
        for page, ids in templates.items() if ids != catalogues.get(page, set())
    }
    assert stale == {}, f"catalogues out of date with the English text; run `make translations`: {stale}"


@pytest.mark.slow
def test_chinese_edition_builds_strictly(zh_book_build):
    problems = [line for line in zh_book_build.log.splitlines()
                if re.search(r"\b(WARNING|ERROR|CRITICAL)\b|Traceback", line)]
    assert zh_book_build.returncode == 0 and "build succeeded" in zh_book_build.log, (
        f"the Chinese build failed (log: {zh_book_build.log_path}):\n" + "\n".join(problems[:30]))
    assert problems == []


class _PageParts(HTMLParser):
    """The ``<html lang>``, the edition link, code blocks and images of one page."""

    def __init__(self):
        super().__init__()
        self.lang, self.switch, self.images, self.code = None, None, [], []
        self._in_pre = 0

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "html":
            self.lang = attrs.get("lang")
        elif tag == "a" and "lstmlab-edition-switch" in (attrs.get("class") or ""):
            self.switch = attrs.get("href")
        elif tag == "img":
            self.images.append(Path(attrs.get("src", "")).name)
        elif tag == "pre":
            self._in_pre += 1
            self.code.append("")

    def handle_endtag(self, tag):
        if tag == "pre":
            self._in_pre -= 1

    def handle_data(self, data):
        if self._in_pre:
            self.code[-1] += data


def parts(path: Path) -> _PageParts:
    parser = _PageParts()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser


@pytest.mark.slow
def test_chinese_pages_are_marked_linked_and_share_code_and_figures(book_build, zh_book_build):
    problems = {}
    for zh_page in zh_book_build.pages():
        relative = zh_page.relative_to(zh_book_build.html_dir)
        zh, en_path = parts(zh_page), book_build.html_dir / relative
        if zh.lang is None and zh_page.name == "index.html" and zh_page.parent == zh_book_build.html_dir:
            continue  # the root index.html only forwards to book/index.html
        en = parts(en_path)
        found = []
        if zh.lang != "zh-Hans":
            found.append(f"lang={zh.lang!r}")
        if zh.switch is None or (zh_page.parent / zh.switch).resolve() != en_path.resolve():
            found.append(f"English link {zh.switch!r} does not lead to {en_path.relative_to(ROOT)}")
        if en.switch is None or (en_path.parent / en.switch).resolve() != zh_page.resolve():
            found.append(f"the English page's link {en.switch!r} does not lead here")
        if zh.code != en.code:
            found.append("code or outputs differ from the English build")
        if zh.images != en.images:
            found.append(f"figures differ: {zh.images} vs {en.images}")
        main_text = zh_page.read_text(encoding="utf-8")
        if len(CJK.findall(main_text)) < 20:
            found.append("hardly any Chinese text")
        if found:
            problems[str(relative)] = found
    assert problems == {}, problems
