"""Sphinx extension: keep the book's pages free of anything fetched from the web.

jupyter-book always loads sphinx-thebe, which puts two inline scripts on every page
(both declaring ``const THEBE_JS_URL``, so the second one is a script error in the
browser) and a loader that would fetch thebe from a CDN.  The course turns live code
off (``launch_buttons.thebe: false``), so those scripts are dropped from each page.
"""

from __future__ import annotations


def _is_thebe(script) -> bool:
    filename = getattr(script, "filename", None) or ""
    body = getattr(script, "attributes", {}).get("body", "") or ""
    return filename.endswith("sphinx-thebe.js") or "THEBE_JS_URL" in body


def drop_thebe_scripts(app, pagename, templatename, context, doctree):
    """``html-page-context``: remove thebe's scripts from the page's script list."""
    scripts = context.get("script_files")
    if scripts:
        context["script_files"] = [s for s in scripts if not _is_thebe(s)]


def setup(app):
    app.connect("html-page-context", drop_thebe_scripts)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
