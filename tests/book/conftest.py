"""Build the book once per test session, strictly, for test_build, test_links and test_browser.

The Chinese edition (``zh_book_build``) is built after it, for test_editions and the browser.

The build is the one CI and ``make book-strict`` run::

    jupyter-book build . --all -W -n --keep-going

into the repository's ``_build/``.  Executed notebooks are cached in
``_build/.jupyter_cache``, so a second session re-executes only changed pages.
Several engineers share one checkout: a file lock serialises concurrent builds
so two sessions never write into ``_build/`` at the same time.
"""

from __future__ import annotations

import contextlib
import dataclasses
import fcntl
import functools
import http.server
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlparse

import pytest

ROOT = Path(__file__).resolve().parents[2]
BUILD_DIR = ROOT / "_build"
HTML_DIR = BUILD_DIR / "html"
SCREENSHOT_DIR = BUILD_DIR / "screenshots"
BUILD_LOG = BUILD_DIR / "book-build.log"
# Debian's Chromium, never a browser downloaded by playwright (.ci/run installs it).
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
LOCAL_HOSTS = {"127.0.0.1", "localhost", "[::1]", "::1"}
ZH_HTML_DIR = HTML_DIR / "zh"
ZH_BUILD_LOG = BUILD_DIR / "book-build-zh.log"


@dataclasses.dataclass(frozen=True)
class BookBuild:
    """Outcome of one strict build: exit code, combined output and wall time."""

    returncode: int
    log: str = dataclasses.field(repr=False)
    seconds: float
    html_dir: Path
    log_path: Path

    def pages(self) -> list[Path]:
        """Every HTML page Sphinx wrote for a chapter (the book/ folder plus the root index)."""
        return sorted(self.html_dir.glob("book/*.html")) + [self.html_dir / "index.html"]

    def content_pages(self) -> list[str]:
        """Paths (relative to the site) of the pages a reader reads: every page but redirects."""
        return [
            str(page.relative_to(self.html_dir))
            for page in self.pages()
            if 'http-equiv="Refresh"' not in page.read_text(encoding="utf-8")
        ]


def strict_build_command() -> list[str]:
    """The strict build, run with the jupyter-book of this interpreter's environment."""
    jupyter_book = Path(sys.executable).with_name("jupyter-book")
    return [str(jupyter_book), "build", str(ROOT), "--all", "-W", "-n", "--keep-going"]


def zh_build_command() -> list[str]:
    """The Chinese edition's strict build (book/editions.py), with this interpreter."""
    return [sys.executable, str(ROOT / "book" / "editions.py"), "build", "zh_CN", "--all", "--strict"]


def run_build(command: list[str], html_dir: Path, log_path: Path) -> BookBuild:
    """Run one book build under the build lock; its log goes to ``log_path``."""
    BUILD_DIR.mkdir(exist_ok=True)
    env = dict(os.environ)
    # jupyter-book starts kernels with `python -m ipykernel_launcher`: the venv's bin comes first.
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    # No colour codes in the log we scan.  MPLBACKEND must not leak into the kernels:
    # with it set they draw with Agg instead of the inline backend and no figure reaches the page.
    env.update({"NO_COLOR": "1", "TERM": "dumb"})
    env.pop("MPLBACKEND", None)
    with open(BUILD_DIR / ".build.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        start = time.perf_counter()
        proc = subprocess.run(
            command,
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            check=False,
        )
        seconds = time.perf_counter() - start
    log_path.write_text(proc.stdout)
    return BookBuild(proc.returncode, proc.stdout, seconds, html_dir, log_path)


def run_strict_build() -> BookBuild:
    return run_build(strict_build_command(), HTML_DIR, BUILD_LOG)


@pytest.fixture(scope="session")
def book_build() -> BookBuild:
    """The strict build, run once however many book tests ask for it."""
    return run_strict_build()


@pytest.fixture(scope="session")
def zh_book_build(book_build: BookBuild) -> BookBuild:
    """The Chinese edition, built strictly after the English one (whose execution cache it uses)."""
    return run_build(zh_build_command(), ZH_HTML_DIR, ZH_BUILD_LOG)


@pytest.fixture(scope="session")
def built_html(book_build: BookBuild) -> Path:
    """``_build/html`` after the build; fails (not skips) when the build wrote no pages."""
    index = book_build.html_dir / "index.html"
    if not index.exists():
        pytest.fail(
            f"the book build wrote no {index.relative_to(ROOT)} (exit code {book_build.returncode}); "
            f"see {BUILD_LOG.relative_to(ROOT)}"
        )
    return book_build.html_dir


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    """Serves files without logging every request to stderr."""

    def log_message(self, format, *args):  # `format`: the base class's parameter name
        pass

    def end_headers(self):
        # linkchecker waits 0.1-0.6 s between requests to one host unless the host answers
        # with this header; against a local server that politeness only costs time.
        self.send_header("LinkChecker", "max-rate")
        super().end_headers()


@contextlib.contextmanager
def serve_directory(directory: Path) -> Iterator[str]:
    """Serve ``directory`` on 127.0.0.1 (a free port) in a thread; yields the base URL."""
    handler = functools.partial(_QuietHandler, directory=str(directory))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture(scope="session")
def served_book(built_html: Path) -> Iterator[str]:
    """Base URL of ``_build/html`` served on localhost for the whole session."""
    with serve_directory(built_html) as url:
        yield url


@pytest.fixture(scope="session")
def directory_server():
    """The ``serve_directory`` context manager, for tests that serve a site of their own."""
    return serve_directory


@pytest.fixture(scope="module")
def browser():
    """Headless Debian Chromium driven by playwright; skips when it is not installed."""
    if not CHROMIUM.exists():
        pytest.skip(
            f"{CHROMIUM} not found: install Debian's Chromium with `sudo apt-get install chromium` "
            "(.ci/run does this when it runs as root)"
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


def is_local(url: str) -> bool:
    parsed = urlparse(url)
    return parsed.scheme in ("data", "blob", "about") or parsed.hostname in LOCAL_HOSTS


@contextlib.contextmanager
def offline_page(browser, **context_options) -> Iterator[tuple]:
    """``(page, outside)``: a page in a fresh context where every non-local request is blocked
    and its URL appended to ``outside``.  ``context_options`` go to ``browser.new_context``
    (``viewport``, ``color_scheme``, ...)."""
    context = browser.new_context(**{"viewport": {"width": 1280, "height": 900}, **context_options})
    outside: list[str] = []

    def route(route, request):
        if is_local(request.url):
            route.continue_()
        else:
            outside.append(request.url)
            route.abort()

    context.route("**/*", route)
    try:
        page = context.new_page()
        page.on("websocket", lambda ws: outside.append(ws.url))
        yield page, outside
    finally:
        context.close()


@pytest.fixture(scope="module")
def offline(browser):
    """``offline_page`` bound to the module's browser: ``with offline(viewport=...) as (page, outside)``."""
    return functools.partial(offline_page, browser)
