"""Sphinx extension: the book as readers meet it (screen reader, phone, print, launch buttons).

* adds ``static/lstmlab.css`` (link contrast, inline math that scrolls on phones, code that
  wraps in print) and ``static/lstmlab-reader.js`` (repairs to the theme's markup that axe-core
  reports, and wide inline formulas made to scroll; each is explained in the file);
* marks Chinese text with ``lang="zh-Hans"`` so screen readers switch voice (the glossary in
  ``book/notation.md``);
* renders launch buttons (Binder, Colab, JupyterHub) only when they lead somewhere: while
  ``repository.url`` in ``_config.yml`` is the placeholder none is shown, and when it is set,
  every chapter needs its notebook (``make notebooks``) so Colab and Binder open an ``.ipynb``.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from sphinx.errors import ConfigError

STATIC = Path(__file__).parent / "static"
# The repository URL _config.yml ships with; an instructor replaces it (see book/instructors.md).
PLACEHOLDER_REPOSITORY = "https://github.com/lstmlab/lstmlab"
# Hub addresses under a reserved example domain are placeholders too (RFC 2606).
PLACEHOLDER_HOST = re.compile(r"^https?://([^/]*\.)?example\.(com|org|net|edu)(/|$)")
LAUNCH_KEYS = ("binderhub_url", "colab_url", "jupyterhub_url", "jupyterlite_url")

# Runs of Han characters, with CJK punctuation and full-width forms such as （ ） among them.
HAN_RUN = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef]+")
TEXT_BETWEEN_TAGS = re.compile(r">([^<>]+)<")


def mark_chinese(html: str) -> str:
    """Wrap each run of Chinese text (outside tags and attributes) in ``<span lang="zh-Hans">``."""

    def wrap_text(match: re.Match) -> str:
        text = HAN_RUN.sub(lambda han: f'<span lang="zh-Hans">{han.group(0)}</span>', match.group(1))
        return f">{text}<"

    return TEXT_BETWEEN_TAGS.sub(wrap_text, html)


def add_lang_to_chinese(app, pagename, templatename, context, doctree):
    """``html-page-context``: the page body with its Chinese text marked (English edition only:
    lstmlab_editions marks a Chinese edition's whole page ``lang="zh-Hans"``)."""
    if (app.config.language or "").lower().startswith("zh"):
        return
    if context.get("body"):
        context["body"] = mark_chinese(context["body"])


def is_placeholder(url: str | None) -> bool:
    return not url or url.rstrip("/") == PLACEHOLDER_REPOSITORY or bool(PLACEHOLDER_HOST.match(url))


def launch_settings(theme_options: dict) -> dict:
    """The theme options with launch buttons that lead nowhere removed.

    No repository (the placeholder): no launch button and no repository button.  A hub URL
    that is a placeholder: no JupyterHub button.  Live code (thebe) stays as configured.
    """
    options = dict(theme_options)
    launch = dict(options.get("launch_buttons") or {})
    if is_placeholder(options.get("repository_url")):
        for key in LAUNCH_KEYS:
            launch.pop(key, None)
        options["use_repository_button"] = False
    else:
        for key in LAUNCH_KEYS:
            if key in launch and is_placeholder(launch[key]):
                launch.pop(key)
    options["launch_buttons"] = launch
    return options


def chapters_without_notebook(srcdir: Path) -> list[str]:
    """Chapters (``book/*.md`` with a kernel) that have no ``.ipynb`` beside them."""
    missing = []
    for page in sorted((srcdir / "book").glob("*.md")):
        if "kernelspec:" in page.read_text(encoding="utf-8")[:600] and not page.with_suffix(".ipynb").exists():
            missing.append(str(page.relative_to(srcdir)))
    return missing


def configure_launch_buttons(app, config):
    """``config-inited``: apply :func:`launch_settings`; with a real repository, insist on notebooks."""
    config.html_theme_options = launch_settings(config.html_theme_options)
    launch = config.html_theme_options["launch_buttons"]
    if any(launch.get(key) for key in ("binderhub_url", "colab_url")):
        missing = chapters_without_notebook(Path(app.srcdir))
        if missing:
            raise ConfigError(
                "lstmlab_reader: launch buttons are on (repository.url is set) but these chapters "
                f"have no notebook for Colab/Binder to open: {missing}; run `make notebooks` and commit "
                "book/*.ipynb"
            )


def offer_notebook_download(app, pagename, templatename, context, doctree):
    """``html-page-context``, before the theme's header buttons (priority 501): the executed
    notebook of a markdown chapter as a download (``_sources/<page>.ipynb``).

    sphinx-book-theme copies it only on its launch-button path, which is off while the
    repository is the placeholder; without this the pages would lose their ``.ipynb`` download.
    """
    if not str(context.get("sourcename", "")).endswith((".md", ".md.txt")):
        return
    executed = Path(app.outdir).parent / "jupyter_execute" / f"{pagename}.ipynb"
    if not executed.exists():
        return
    target = Path(app.outdir) / "_sources" / f"{pagename}.ipynb"
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(executed, target)
    context["ipynb_source"] = f"{pagename}.ipynb"


def add_static_path(app, config):
    """``config-inited``: serve ``static/`` (the CSS and the script) from ``_static``."""
    config.html_static_path = [*config.html_static_path, str(STATIC)]


def setup(app):
    app.connect("config-inited", configure_launch_buttons, priority=900)
    app.connect("config-inited", add_static_path)
    app.add_css_file("lstmlab.css")
    app.add_js_file("lstmlab-reader.js", loading_method="defer")
    app.connect("html-page-context", add_lang_to_chinese)
    app.connect("html-page-context", offer_notebook_download, priority=500)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
