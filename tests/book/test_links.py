"""Links inside the built book resolve, and no page loads anything from another host.

Internal links (pages, images, downloads, scripts) are checked by ``linkchecker``
against ``_build/html`` served on 127.0.0.1; links to other hosts (papers, launch
buttons) are left unchecked, so the test needs no network.  linkchecker is given
the pages over HTTP rather than as files because, run as root, it drops to the
user ``nobody``, who may not be able to read the checkout.  Anchors (``page.html#id``)
are checked here with the HTML parser: linkchecker's AnchorCheck plugin downloads
and parses a page once per anchor, which took ~20 s for the first six pages alone.
About 5 s in all.
"""

from __future__ import annotations

import csv
import io
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest

pytestmark = pytest.mark.slow

LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1", ""}
# Tags and attributes whose URL the browser fetches when the page loads.
LOADED = {
    "script": ("src",),
    "link": ("href",),
    "img": ("src", "srcset"),
    "iframe": ("src",),
    "source": ("src", "srcset"),
    "video": ("src", "poster"),
    "audio": ("src",),
    "embed": ("src",),
    "object": ("data",),
}
CSS_URL = re.compile(r"""(?:url\(\s*['"]?|@import\s+['"])((?:https?:)?//[^'")\s]+)""", re.I)


def run_linkchecker(start_urls: list[str], workdir: Path) -> list[dict]:
    """Run linkchecker on internal URLs (recursively); return its error and warning rows."""
    config = workdir / "linkcheckerrc"
    # The local server needs no rate limit (see conftest's handler).
    config.write_text("[checking]\nmaxrequestspersecond=1000\n")
    command = [
        str(Path(sys.executable).with_name("linkchecker")),
        "--config", str(config),
        "--no-status",
        "--output", "csv",
        "--threads", "4",
        *start_urls,
    ]
    proc = subprocess.run(command, capture_output=True, text=True, check=False, cwd=workdir)
    # Exit code 1 means "found problems"; 2 and above means linkchecker itself failed.
    assert proc.returncode in (0, 1), f"linkchecker failed ({proc.returncode}):\n{proc.stderr}"
    rows = [line for line in proc.stdout.splitlines() if line and not line.startswith("#")]
    return list(csv.DictReader(io.StringIO("\n".join(rows)), delimiter=";"))


def problems(rows: list[dict]) -> list[str]:
    """Broken URLs (valid is False), as readable lines."""
    return [
        f"{row['parentname']} -> {row['urlname']}: {row['result']}"
        for row in rows
        if row["valid"] == "False"
    ]


class _Anchors(HTMLParser):
    """The ids a page defines and the links (``<a href>``) it contains."""

    def __init__(self):
        super().__init__()
        self.ids: set[str] = set()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        for key in ("id", "name"):
            if attrs.get(key):
                self.ids.add(attrs[key])
        if tag == "a" and attrs.get("href"):
            self.hrefs.append(attrs["href"])


def anchor_problems(html_dir: Path) -> list[str]:
    """Internal links ``page.html#frag`` whose page has no element with id ``frag``."""
    parsed: dict[Path, _Anchors] = {}

    def parse(page: Path) -> _Anchors:
        if page not in parsed:
            parser = _Anchors()
            parser.feed(page.read_text(encoding="utf-8", errors="replace"))
            parsed[page] = parser
        return parsed[page]

    found = []
    for page in sorted(html_dir.rglob("*.html")):
        for href in parse(page).hrefs:
            target = urlparse(href)
            if target.scheme or target.netloc or not target.fragment:
                continue  # another host, mailto:, or no anchor to check
            path = (page.parent / unquote(target.path)).resolve() if target.path else page
            if path.suffix != ".html" or not path.exists():
                continue  # a missing page is linkchecker's to report
            if unquote(target.fragment) not in parse(path).ids:
                found.append(f"{page.relative_to(html_dir)} -> {href}: no id {target.fragment!r}")
    return found


def test_link_checks_report_a_broken_link_image_and_anchor(tmp_path, directory_server):
    """The checks themselves work: a tiny site with a missing page, image and anchor fails."""
    site = tmp_path / "site"
    site.mkdir()
    (site / "a.html").write_text(
        '<html><body><a href="b.html#here">ok</a> <a href="b.html#gone">bad anchor</a>'
        ' <a href="missing.html">bad page</a> <img src="missing.png" alt="x">'
        ' <a href="https://example.org/paper.pdf">external, not checked</a></body></html>'
    )
    (site / "b.html").write_text('<html><body><h1 id="here">B</h1></body></html>')
    with directory_server(site) as url:
        found = problems(run_linkchecker([url + "a.html"], tmp_path))
    assert len(found) == 2, found
    assert any("missing.html" in f for f in found)
    assert any("missing.png" in f for f in found)
    assert not any("example.org" in f for f in found)
    assert anchor_problems(site) == ["a.html -> b.html#gone: no id 'gone'"]


def test_no_internal_link_is_broken(book_build, served_book, tmp_path):
    pages = [served_book + str(p.relative_to(book_build.html_dir)) for p in book_build.pages()]
    found = problems(run_linkchecker(pages, tmp_path))
    assert found == [], "broken internal links:\n" + "\n".join(found)


def test_no_internal_anchor_is_missing(built_html):
    found = anchor_problems(built_html)
    assert found == [], "links to anchors that do not exist:\n" + "\n".join(found)


class _LoadedURLs(HTMLParser):
    """Collects every URL a page fetches when it loads (not the ones a reader may click)."""

    def __init__(self):
        super().__init__()
        self.urls: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        for name in LOADED.get(tag, ()):
            value = attrs.get(name)
            if value:
                # srcset holds "url 2x, url 1x": keep the URLs.
                self.urls.extend(part.split()[0] for part in value.split(",") if part.strip())
        if attrs.get("style"):
            self.urls.extend(CSS_URL.findall(attrs["style"]))
        self._in_style = tag == "style"

    def handle_endtag(self, tag):
        if tag == "style":
            self._in_style = False

    def handle_data(self, data):
        if self._in_style:
            self.urls.extend(CSS_URL.findall(data))


def external(url: str) -> bool:
    parsed = urlparse(url)
    return parsed.scheme in ("http", "https", "") and url.startswith(("http:", "https:", "//")) and (
        parsed.hostname or ""
    ) not in LOCAL_HOSTS


def test_external_resource_scan_catches_a_cdn_script():
    parser = _LoadedURLs()
    parser.feed(
        '<script src="https://cdn.example.net/mathjax.js"></script><img src="fig.png">'
        '<a href="https://doi.org/10.1162/neco.1997.9.8.1735">paper</a>'
        '<style>@import "//fonts.example.com/css";</style>'
    )
    assert [u for u in parser.urls if external(u)] == [
        "https://cdn.example.net/mathjax.js",
        "//fonts.example.com/css",
    ]


def test_pages_load_nothing_from_other_hosts(built_html):
    """Scripts, styles, fonts, images and frames all come from _build/html itself."""
    found = {}
    for page in sorted(built_html.rglob("*.html")):
        parser = _LoadedURLs()
        parser.feed(page.read_text(encoding="utf-8", errors="replace"))
        bad = sorted({u for u in parser.urls if external(u)})
        if bad:
            found[str(page.relative_to(built_html))] = bad
    for sheet in sorted(built_html.rglob("*.css")):
        bad = sorted(set(CSS_URL.findall(sheet.read_text(encoding="utf-8", errors="replace"))))
        if bad:
            found[str(sheet.relative_to(built_html))] = bad
    assert found == {}, f"pages load resources from the web: {found}"
