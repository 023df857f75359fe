"""Open every page of the built book in headless Chromium, with the network cut off.

Checks what a reader would see: math typeset by the bundled MathJax (no raw ``$$``,
no MathJax error boxes), every image decoded, no script error, and no request to
any host but the local server (each is blocked and reported).  Screenshots go to
``_build/screenshots/`` for a person to look at.  Uses Debian's Chromium
(``sudo apt-get install chromium``), never a browser downloaded by playwright.
About 15 s for the pages that exist so far.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.browser]

# Display math in the raw page: `$$`, `\[` or a MathJax class that typesetting replaces.
RAW_DISPLAY_MATH = re.compile(r"\$\$|\\\[|\\begin\{(?:align|equation|bmatrix|pmatrix)")
REDIRECT = re.compile(r'<meta http-equiv="Refresh" content="0; url=([^"]+)"', re.I)

# Runs in the page: wait for MathJax (when the page loads it) and for every image.
SETTLE_JS = """
async () => {
  if (window.MathJax && window.MathJax.startup && window.MathJax.startup.promise) {
    await window.MathJax.startup.promise;
  }
  for (const img of document.images) {
    img.loading = "eager";
    if (!img.complete) {
      await new Promise((done) => { img.onload = done; img.onerror = done; });
    }
  }
  return true;
}
"""
MEASURE_JS = """
() => ({
  mathSource: document.querySelectorAll("div.math, span.math").length,
  typeset: document.querySelectorAll("mjx-container").length,
  mathErrors: Array.from(document.querySelectorAll("mjx-merror")).map((e) => e.textContent),
  brokenImages: Array.from(document.images)
    .filter((img) => !(img.complete && img.naturalWidth > 0))
    .map((img) => img.getAttribute("src")),
  images: document.images.length,
  text: document.querySelector("main") ? document.querySelector("main").innerText : document.body.innerText,
})
"""


def open_page(offline, url: str, screenshot: Path) -> dict:
    """Load ``url`` with every non-local request blocked; return what the page shows."""
    script_errors: list[str] = []
    with offline() as (page, outside):
        page.on("pageerror", lambda err: script_errors.append(str(err)))
        response = page.goto(url, wait_until="load")
        page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
        page.evaluate(SETTLE_JS)
        seen = page.evaluate(MEASURE_JS)
        page.evaluate("window.scrollTo(0, 0)")
        screenshot.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(screenshot), full_page=True)
    seen.update(status=response.status if response else None, outside=outside, script_errors=script_errors)
    return seen


def test_every_page_renders_offline(book_build, served_book, offline):
    shots = book_build.html_dir.parent / "screenshots"
    report = {}
    pages_with_math = 0
    for page in book_build.pages():
        relative = page.relative_to(book_build.html_dir)
        redirect = REDIRECT.search(page.read_text(encoding="utf-8"))
        if redirect:
            # The root index.html only forwards to book/index.html, checked in its turn.
            assert (page.parent / redirect.group(1)).exists(), f"{relative} forwards to nothing"
            continue
        seen = open_page(offline, served_book + str(relative), shots / f"{page.stem}.png")
        problems = []
        if seen["status"] != 200:
            problems.append(f"HTTP status {seen['status']}")
        if seen["outside"]:
            problems.append(f"requests to other hosts: {seen['outside']}")
        if seen["script_errors"]:
            problems.append(f"script errors: {seen['script_errors']}")
        if seen["brokenImages"]:
            problems.append(f"images that did not load: {seen['brokenImages']}")
        if seen["mathSource"]:
            pages_with_math += 1
            if seen["typeset"] < seen["mathSource"]:
                problems.append(f"{seen['mathSource']} math blocks but {seen['typeset']} typeset")
        if seen["mathErrors"]:
            problems.append(f"MathJax could not typeset: {seen['mathErrors']}")
        raw = RAW_DISPLAY_MATH.findall(seen["text"])
        if raw:
            problems.append(f"raw TeX left in the visible text: {raw[:5]}")
        if problems:
            report[str(relative)] = problems
    assert report == {}, f"pages that do not render as a reader would see them: {report}"
    assert pages_with_math >= 2, "the notation page and chapter 1 should show typeset math"
    assert (shots / "index.png").exists()


def test_blocking_catches_an_external_request(offline, directory_server, tmp_path):
    """The check itself works: a page that asks a CDN for a script is caught."""
    (tmp_path / "cdn.html").write_text(
        '<html><body><script src="https://cdn.example.net/x.js"></script>'
        '<img src="missing.png" alt="gone"></body></html>'
    )
    with directory_server(tmp_path) as url:
        seen = open_page(offline, url + "cdn.html", tmp_path / "cdn.png")
    assert seen["outside"] == ["https://cdn.example.net/x.js"]
    assert seen["brokenImages"] == ["missing.png"]


def test_chinese_pages_render_offline(zh_book_build, served_book, offline):
    """The Chinese edition as a reader meets it: typeset math, loaded figures, nothing from the web."""
    shots = zh_book_build.html_dir.parent.parent / "screenshots" / "zh"
    report = {}
    for page in zh_book_build.pages():
        relative = page.relative_to(zh_book_build.html_dir.parent)  # zh/book/...
        if REDIRECT.search(page.read_text(encoding="utf-8")):
            continue
        seen = open_page(offline, served_book + str(relative), shots / f"{page.stem}.png")
        problems = [
            message for failed, message in (
                (seen["status"] != 200, f"HTTP status {seen['status']}"),
                (bool(seen["outside"]), f"requests to other hosts: {seen['outside']}"),
                (bool(seen["script_errors"]), f"script errors: {seen['script_errors']}"),
                (bool(seen["brokenImages"]), f"images that did not load: {seen['brokenImages']}"),
                (seen["typeset"] < seen["mathSource"], f"{seen['mathSource']} math blocks, {seen['typeset']} typeset"),
                (bool(seen["mathErrors"]), f"MathJax could not typeset: {seen['mathErrors']}"),
                (bool(RAW_DISPLAY_MATH.findall(seen["text"])), "raw TeX left in the visible text"),
            ) if failed
        ]
        if problems:
            report[str(relative)] = problems
    assert report == {}, f"Chinese pages that do not render as a reader would see them: {report}"


def test_language_switch_leads_to_the_same_page(zh_book_build, served_book, offline):
    """Clicking the switch on an English chapter opens its Chinese twin, and back."""
    with offline(viewport={"width": 390, "height": 844}) as (page, _):
        page.goto(served_book + "book/05-lstm.html", wait_until="load")
        page.click("a.lstmlab-edition-switch")
        page.wait_for_load_state("load")
        assert page.url == served_book + "zh/book/05-lstm.html"
        assert page.evaluate("document.documentElement.lang") == "zh-Hans"
        assert "长短期记忆" in page.title()
        page.click("a.lstmlab-edition-switch")
        page.wait_for_load_state("load")
        assert page.url == served_book + "book/05-lstm.html"
        assert page.evaluate("document.documentElement.lang") == "en"
