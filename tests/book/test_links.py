"""Links inside the built book resolve, and no page loads anything from another host.

Internal links (pages, anchors, images, downloads) are checked by ``linkchecker``
against ``_build/html`` served on 127.0.0.1; links to other hosts (papers, launch
buttons) are left unchecked, so the test needs no network.  linkchecker is given
the pages over HTTP rather than as files because, run as root, it drops to the
user ``nobody``, who may not be able to read the checkout.  About 5 s.
"""

from __future__ import annotations

import csv
import io
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlparse

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
    """Run linkchecker (internal URLs and their anchors); return its error and warning rows."""
    config = workdir / "linkcheckerrc"
    # The AnchorCheck plugin reports `page.html#missing` when the page has no such id;
    # the local server needs no rate limit (see conftest's handler).
    config.write_text("[checking]\nmaxrequestspersecond=1000\n[AnchorCheck]\n")
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
    """Broken URLs (valid is False) and missing anchors, as readable lines."""
    found = []
    for row in rows:
        broken = row["valid"] == "False"
        anchor = "Anchor" in (row.get("warningstring") or "")
        if broken or anchor:
            reason = row["result"] or row["warningstring"]
            found.append(f"{row['parentname']} -> {row['urlname']}: {reason}")
    return found


def test_linkchecker_reports_a_broken_link_and_anchor(tmp_path, directory_server):
    """The check itself works: a tiny site with a missing page, image and anchor fails it."""
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
    assert len(found) == 3, found
    assert any("missing.html" in f for f in found)
    assert any("missing.png" in f for f in found)
    assert any("#gone" in f for f in found)
    assert not any("example.org" in f for f in found)


def test_no_internal_link_is_broken(book_build, served_book, tmp_path):
    pages = [served_book + str(p.relative_to(book_build.html_dir)) for p in book_build.pages()]
    found = problems(run_linkchecker(pages, tmp_path))
    assert found == [], "broken internal links:\n" + "\n".join(found)


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
