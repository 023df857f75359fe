"""Feedback pages: offline math, named test cells, hidden tests' source kept out, notes cell.

The end-to-end part grades the fixture assignment with the real CLI (nbgrader, sandbox) and
opens the pages in headless Chromium with every request that is not the page's own file
blocked and recorded (Debian's Chromium, as tests/book/test_browser.py).
"""

import html
import re
from pathlib import Path

import nbformat
import pytest

from autograder import examples, feedback

from .conftest import FIXTURES, autograder

CHROMIUM = Path("/usr/bin/chromium")
LONG_WORD = "q" * 3000


def test_math_becomes_mathml_but_not_in_code():
    page = feedback.prerender_math(
        "<p>Let $a_t = W x_t$ and</p>\n<p>$$h_t = \\tanh(a_t)$$</p>\n<p><code>cost = $5 and $x$</code></p>"
        "<pre>$$kept$$</pre><p>It costs 5 $ and 6 $.</p>")
    assert page.count("<math") == 2 and 'display="block"' in page and 'display="inline"' in page
    assert "<code>cost = $5 and $x$</code>" in page and "<pre>$$kept$$</pre>" in page
    assert "$a_t" not in page and "$$h_t" not in page
    assert "It costs 5 $ and 6 $." in page  # a lone dollar is not math


def test_tex_that_does_not_parse_stays_as_written():
    assert feedback.prerender_math("<p>$\\frac{1}{$</p>") == "<p>$\\frac{1}{$</p>"


def _test_cell(source, gid="test_rnn_step_forward"):
    cell = nbformat.v4.new_code_cell(source)
    cell.metadata["nbgrader"] = {"grade": True, "solution": False, "locked": True, "grade_id": gid, "points": 2}
    return cell


def test_label_names_the_function_tested():
    fns = ["rnn_step_forward", "rnn_step_backward"]
    assert feedback.test_label(_test_cell("check_rnn_step_backward(rnn_step_forward, rnn_step_backward)",
                                          "test_b"), fns) == "rnn_step_backward (test_b)"
    assert feedback.test_label(_test_cell("assert rnn_step_forward(1) == 2", "t"), fns) == "rnn_step_forward (t)"
    assert feedback.test_label(_test_cell("assert True", "t"), fns) == "t"


def test_hidden_tests_source_is_replaced_by_the_released_one():
    hidden = "check(f)\n### BEGIN HIDDEN TESTS\nsecret_check(f, seed=101)\n### END HIDDEN TESTS\n"
    nb = nbformat.v4.new_notebook(cells=[_test_cell(hidden)])
    released = nbformat.v4.new_notebook(cells=[_test_cell("check(f)\n")])
    out, _ = feedback.ReleasedTestSources().preprocess(nb, {"lstmlab_released": released})
    assert "secret" not in out.cells[0].source and out.cells[0].source.startswith("check(f)")
    assert feedback.HIDDEN_NOTE in out.cells[0].source
    # Without the release, the marked block is cut out, and from the traceback that quotes it.
    cell = _test_cell(hidden)
    quoted = ("\x1b[0;31mAssertionError\x1b[0m Traceback\nCell \x1b[0;32mIn[3], line 3\x1b[0m\n"
              "\x1b[1;32m      1\x1b[0m check(f)\n\x1b[0;32m----> 3\x1b[0m secret_check(f, seed=101)\n")
    cell.outputs = [nbformat.v4.new_output("error", ename="AssertionError", evalue="no", traceback=[quoted])]
    out, _ = feedback.ReleasedTestSources().preprocess(nbformat.v4.new_notebook(cells=[cell]), {})
    assert "secret" not in out.cells[0].source and "check(f)" in out.cells[0].source
    shown = out.cells[0].outputs[0]["traceback"][0]
    assert "secret" not in shown and "----> (a hidden test)" in shown and "check(f)" in shown


def test_notes_cell_from_metadata_once():
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 1")])
    feedback.add_note(nb, "timeout", "a cell ran past its time limit")
    nb, _ = feedback.NotesCell().preprocess(nb, {})
    nb, _ = feedback.NotesCell().preprocess(nb, {})  # idempotent: still one notes cell
    assert [c.cell_type for c in nb.cells] == ["markdown", "code"]
    assert "- a cell ran past its time limit" in nb.cells[0].source


# -- end to end ---------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def graded(fixture_course, tmp_path_factory):
    """The fixture graded by the CLI: a correct submission and one printing a 3000-character word."""
    course, release = fixture_course
    tmp = tmp_path_factory.mktemp("feedback")
    subs = examples.make_submissions(release, FIXTURES / "fixture", tmp / "subs",
                                     {"fb-correct": "correct", "fb-long": "correct"})
    nb = nbformat.read(subs / "fb-long" / "fixture.ipynb", as_version=4)
    for cell in nb.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") == "add":
            cell.source = f"def add(a, b):\n    print({LONG_WORD!r})\n    return a - b\n"
    nbformat.write(nb, subs / "fb-long" / "fixture.ipynb")
    out = tmp / "out"
    autograder("grade", "fixture", subs, "--out", out, "--jobs", 1, "--source", FIXTURES,
               "--course", course, "--no-progress")
    return out


@pytest.mark.slow
def test_feedback_page_content(graded):
    page = (graded / "feedback" / "fb-long" / "fixture.html").read_text()
    text = html.unescape(re.sub(r"<[^>]+>", "", page))  # what the reader sees, code highlighting undone
    assert "mathjax" not in page.lower() and "cdn" not in page.lower()
    assert "<math" in page and "$$h_t" not in page
    assert "Test of add (test_add)" in page and "Test of square (test_square)" in page
    assert "Test of square, add (test_hidden)" in page  # a cell of hidden tests only
    assert "Test cell</a>" not in page
    assert "np.arange(3)" not in text and "add(square(2), 1)" not in text  # the hidden tests
    assert feedback.HIDDEN_NOTE in text
    assert "assert add(2, 3) == 5" in text  # the released part is shown
    assert "AssertionError" in text  # and the hidden tests' output


@pytest.mark.slow
@pytest.mark.browser
def test_feedback_pages_make_no_web_request_and_wrap(graded):
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} not found: `apt-get install chromium` (.ci/run does this as root)")
    from playwright.sync_api import sync_playwright

    shots = graded / "screenshots"
    shots.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                    args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        try:
            for sid in ("fb-correct", "fb-long"):
                page_file = graded / "feedback" / sid / "fixture.html"
                context = browser.new_context(viewport={"width": 1000, "height": 800})
                outside = []
                page_url = page_file.as_uri()

                def route(route, request, page_url=page_url):
                    if request.url == page_url or request.url.startswith("data:"):
                        route.continue_()
                    else:
                        outside.append(request.url)
                        route.abort()

                context.route("**/*", route)
                page = context.new_page()
                page.goto(page_file.as_uri(), wait_until="load")
                seen = page.evaluate("""() => ({
                    math: document.querySelectorAll("math").length,
                    width: document.documentElement.scrollWidth,
                    viewport: window.innerWidth,
                    text: document.body.innerText,
                })""")
                page.screenshot(path=str(shots / f"{sid}.png"), full_page=True)
                context.close()
                assert outside == [], f"{sid}: requests from the feedback page: {outside}"
                assert seen["math"] >= 2, sid
                assert "$$" not in seen["text"], sid
                assert seen["width"] <= seen["viewport"], f"{sid}: the page scrolls sideways ({seen['width']} px)"
        finally:
            browser.close()
    assert (shots / "fb-long.png").stat().st_size > 10_000
