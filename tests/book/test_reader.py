"""The built book as readers meet it: screen reader (axe-core), phone, dark mode and print.

* axe-core (the copy bundled in ``axe-playwright-python``, nothing fetched) finds no serious
  or critical WCAG 2.1 A/AA violation on any page, in light and in dark mode;
* on a 390 px phone the ☰ button opens the chapter list and "On this page" opens the
  secondary sidebar; on a desktop both sidebars close and open again;
* no inline formula is cut off at 390 px (it may scroll, not be clipped);
* every content image is a numbered figure with a caption and alt text that is not a file name;
* printed, code wraps and each chapter's title carries its number;
* with the repository URL still the placeholder, no launch button is rendered.

Screenshots (phone, dark, print PDF) go to ``_build/screenshots/`` for a person to look at.
"""

from __future__ import annotations

import collections
import re

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.browser]

PHONE = {"width": 390, "height": 844}
WCAG_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
BLOCKING_IMPACTS = {"serious", "critical"}
# An alt text that only names the file: a path, a hash, an image extension.
FILE_NAME_ALT = re.compile(r"(^|/)[\w.-]*\.(png|jpe?g|svg|gif|webp)$|_images/|^[0-9a-f]{16,}", re.I)

SETTLE_JS = """
async () => {
  if (window.MathJax && window.MathJax.startup && window.MathJax.startup.promise) {
    await window.MathJax.startup.promise;
  }
  return true;
}
"""

# Inline formulas that are cut off: a box that clips what it holds (overflow hidden or clip,
# content wider than the box), or a formula running past the screen's right edge without a
# box that scrolls it.
CLIPPED_MATH_JS = """
() => {
  const width = document.documentElement.clientWidth;
  const scrolls = (el) => ["auto", "scroll"].includes(getComputedStyle(el).overflowX);
  return Array.from(document.querySelectorAll("main span.math")).filter((el) => {
    if (el.closest("div.math")) return false;
    const style = getComputedStyle(el);
    if (["hidden", "clip"].includes(style.overflowX) && el.scrollWidth > el.clientWidth + 1) return true;
    let scroller = el;
    while (scroller && scroller !== document.body && !scrolls(scroller)) scroller = scroller.parentElement;
    const inScroller = scroller && scroller !== document.body;
    return !inScroller && el.getBoundingClientRect().right > width + 1;
  }).map((el) => ({text: el.textContent.slice(0, 60), width: Math.round(el.getBoundingClientRect().width)}));
}
"""

# Content images: those in the article body (the theme's logos live in the header/sidebars).
FIGURES_JS = """
() => Array.from(document.querySelectorAll("main article img")).map((img) => {
  const figure = img.closest("figure");
  const caption = figure ? figure.querySelector("figcaption") : null;
  return {
    src: img.getAttribute("src"),
    alt: img.getAttribute("alt") || "",
    caption: caption ? caption.innerText.trim() : null,
  };
})
"""


def settled(page, url):
    page.goto(url, wait_until="load")
    page.evaluate(SETTLE_JS)
    return page


def serious_violations(page) -> list[dict]:
    """axe-core's serious and critical WCAG 2.1 A/AA violations on the loaded page."""
    from axe_playwright_python.sync_playwright import Axe

    options = {
        "runOnly": {"type": "tag", "values": WCAG_AA},
        # WCAG 2.5.3 (label in name, level A); axe still ships it as experimental, off by default.
        "rules": {"label-content-name-mismatch": {"enabled": True}},
        "resultTypes": ["violations"],
    }
    result = Axe().run(page, options=options)
    return [
        {"rule": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]]}
        for v in result.response["violations"]
        if v["impact"] in BLOCKING_IMPACTS
    ]


def count_by_rule(violations: dict[str, list[dict]]) -> dict[str, int]:
    counts = collections.Counter()
    for found in violations.values():
        for v in found:
            counts[v["rule"]] += len(v["nodes"])
    return dict(counts)


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_no_serious_axe_violations(book_build, served_book, offline, scheme):
    report = {}
    with offline(color_scheme=scheme) as (page, _):
        for relative in book_build.content_pages():
            settled(page, served_book + relative)
            found = serious_violations(page)
            if found:
                report[relative] = found
    assert count_by_rule(report) == {}, f"serious/critical axe-core violations ({scheme}): {report}"


def test_no_serious_axe_violations_in_the_chinese_edition(zh_book_build, served_book, offline):
    """The Chinese pages (lang zh-Hans, the language switch, translated labels) are as clean."""
    report = {}
    with offline() as (page, _):
        for relative in zh_book_build.content_pages():
            settled(page, served_book + "zh/" + relative)
            found = serious_violations(page)
            if found:
                report["zh/" + relative] = found
    assert count_by_rule(report) == {}, f"serious/critical axe-core violations (Chinese edition): {report}"


def test_axe_finds_a_violation(offline, directory_server, tmp_path):
    """The check itself works: low-contrast text and an unlabelled button are reported."""
    (tmp_path / "bad.html").write_text(
        '<!DOCTYPE html><html lang="en"><head><title>bad</title></head><body><main>'
        '<p style="color:#aaa;background:#fff">faint text</p><button></button></main></body></html>'
    )
    with directory_server(tmp_path) as url, offline() as (page, _):
        found = serious_violations(settled(page, url + "bad.html"))
    assert {v["rule"] for v in found} >= {"color-contrast", "button-name"}


def test_phone_navigation_opens_the_chapter_list(book_build, served_book, offline):
    shots = book_build.html_dir.parent / "screenshots"
    shots.mkdir(parents=True, exist_ok=True)
    with offline(viewport=PHONE, is_mobile=True, has_touch=True) as (page, _):
        settled(page, served_book + "book/05-lstm.html")
        # pydata-sphinx-theme moves the sidebar into a <dialog> when ☰ opens it on a phone.
        chapter_link = page.locator("a.reference", has_text="Long short-term memory").filter(visible=True)
        assert chapter_link.count() == 0, "the chapter list shows before ☰ is pressed"
        toggles = page.locator(".primary-toggle").filter(visible=True)
        assert toggles.count() == 1, "one visible ☰ button expected"
        toggles.first.click()
        page.wait_for_timeout(400)
        assert chapter_link.count() == 1, "☰ did not open the chapter list on a phone"
        box = chapter_link.first.bounding_box()
        assert box and 0 <= box["x"] < PHONE["width"], f"chapter link off screen: {box}"
        page.screenshot(path=str(shots / "phone-nav-open.png"))
        page.keyboard.press("Escape")
        page.mouse.click(PHONE["width"] - 10, PHONE["height"] // 2)
        page.wait_for_timeout(400)
        assert chapter_link.count() == 0, "the chapter list did not close again"

        # "On this page": the chapter's sections, in the secondary sidebar's dialog.
        section_link = page.locator("dialog[open] a.nav-link", has_text="Exercises").filter(visible=True)
        assert section_link.count() == 0
        page.locator(".secondary-toggle").filter(visible=True).first.click()
        page.wait_for_timeout(400)
        assert section_link.count() >= 1, "'On this page' did not open the secondary sidebar"
        page.screenshot(path=str(shots / "phone-toc-open.png"))


def test_desktop_sidebars_close_and_open(served_book, offline):
    with offline() as (page, _):
        settled(page, served_book + "book/05-lstm.html")
        sidebar = page.locator("#pst-primary-sidebar")
        assert sidebar.is_visible()
        toggle = page.locator(".primary-toggle").filter(visible=True).first
        toggle.click()
        page.wait_for_timeout(400)
        assert not sidebar.is_visible(), "☰ did not hide the chapter list on a desktop"
        toggle.click()
        page.wait_for_timeout(400)
        assert sidebar.is_visible(), "☰ did not bring the chapter list back"


def test_no_inline_math_is_clipped_on_a_phone(book_build, served_book, offline):
    clipped = {}
    with offline(viewport=PHONE, is_mobile=True) as (page, _):
        for relative in book_build.content_pages():
            found = settled(page, served_book + relative).evaluate(CLIPPED_MATH_JS)
            if found:
                clipped[relative] = found
    assert clipped == {}, f"inline formulas cut off at 390 px: {clipped}"


def test_every_content_image_is_a_numbered_figure_with_alt_text(book_build, served_book, offline):
    problems, images = [], 0
    with offline() as (page, _):
        for relative in book_build.content_pages():
            for image in settled(page, served_book + relative).evaluate(FIGURES_JS):
                images += 1
                where = f"{relative} {image['src']}"
                if len(image["alt"]) < 40 or FILE_NAME_ALT.search(image["alt"]):
                    problems.append(f"{where}: alt text {image['alt']!r} does not say what is shown")
                if not image["caption"] or not re.match(r"Fig\. \d+\.\d+", image["caption"]):
                    problems.append(f"{where}: not in a numbered, captioned figure ({image['caption']!r})")
    assert images >= 30, f"only {images} content images found; the chapters have over 30 figures"
    assert problems == [], "\n".join(problems)


def test_print_wraps_code_and_numbers_chapters(book_build, served_book, offline):
    shots = book_build.html_dir.parent / "screenshots"
    shots.mkdir(parents=True, exist_ok=True)
    with offline() as (page, _):
        settled(page, served_book + "book/08-pytorch-gpu.html")
        page.emulate_media(media="print")
        overflowing = page.evaluate(
            """() => Array.from(document.querySelectorAll("main pre"))
                 .filter((pre) => pre.scrollWidth > pre.clientWidth + 1).length"""
        )
        blocks = page.locator("main pre").count()
        title = page.locator("h1").filter(visible=True).first.inner_text()
        page.pdf(path=str(shots / "08-pytorch-gpu.pdf"), format="A4")
    assert blocks > 10
    assert overflowing == 0, f"{overflowing} of {blocks} code blocks run off the printed page"
    assert title.startswith("8. "), f"the printed chapter title has no number: {title!r}"


def test_no_launch_button_while_the_repository_is_a_placeholder(book_build):
    for page in book_build.pages():
        html = page.read_text(encoding="utf-8")
        for host in ("colab.research.google.com", "mybinder.org", "jupyterhub.example.edu"):
            assert host not in html, f"{page.name} links to {host} although no repository is set"


# Text nodes with Han characters whose nearest lang attribute is not Chinese.
UNMARKED_CHINESE_JS = """
() => {
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const found = [];
  while (walker.nextNode()) {
    const node = walker.currentNode;
    if (!/[\\u4e00-\\u9fff]/.test(node.textContent)) continue;
    const owner = node.parentElement.closest("[lang]");
    if (!owner || !owner.lang.startsWith("zh")) found.push(node.textContent.trim().slice(0, 20));
  }
  return {unmarked: found, marked: document.querySelectorAll('[lang="zh-Hans"]').length};
}
"""


def test_chinese_text_is_marked_for_screen_readers(served_book, offline):
    with offline() as (page, _):
        seen = settled(page, served_book + "book/notation.html").evaluate(UNMARKED_CHINESE_JS)
    assert seen["marked"] >= 30, "the glossary's Chinese column should be marked lang=zh-Hans"
    assert seen["unmarked"] == [], f"Chinese text without lang=zh-Hans: {seen['unmarked'][:10]}"
