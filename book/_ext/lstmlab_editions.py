"""Sphinx extension: the book's English and Chinese editions, one source, two builds.

The English chapters in ``book/`` are the only source.  The Chinese edition is the same
build with ``language = "zh_CN"``: Sphinx replaces every translatable message (paragraphs,
titles, captions, admonitions, table cells, alt text) by its translation from the gettext
catalogues in ``book/locales/zh_CN/LC_MESSAGES/`` and leaves code, outputs and figures as
the English build made them.  ``book/editions.py`` runs both builds (English into
``_build/html/``, Chinese into ``_build/html/zh/``) and keeps the catalogues in sync.

This extension adds what the two editions need on every page:

* a link in the article header to the same page in the other edition;
* the part captions of the table of contents translated: sphinx-external-toc inserts the
  toctrees after Sphinx's own translation step has run, so they are translated here from
  the same catalogue;
* the alt text of figures drawn by code cells in the catalogues (myst-nb would hide the
  cells' outputs from the gettext builder);
* ``lang="zh-Hans"`` on Chinese pages.  Sphinx would write the locale, ``zh-CN``; the
  script subtag is what screen readers and font selection use, and it is what the Chinese
  glossary entries of the English edition are marked with too.
"""

from __future__ import annotations

from pathlib import Path

from sphinx import addnodes
from sphinx.locale import init as init_locale
from sphinx.transforms import SphinxTransform
from sphinx.util.i18n import docname_to_domain

# Where each edition lives, relative to the English root (_build/html/).
EDITIONS = {
    "en": {"prefix": "", "label": "English", "lang": "en"},
    "zh_CN": {"prefix": "zh/", "label": "中文", "lang": "zh-Hans"},
}
TEMPLATE = "lstmlab-edition-switch.html"
# Texts that come from _config.yml or jupyter-book rather than from a page, so gettext never
# sees them: the Chinese edition sets them here.
ZH_TITLE = "lstmlab：从 RNN 到 LSTM 的随时间反向传播"
ZH_SEARCH_PLACEHOLDER = "搜索本书……"
ZH_AUTHOR = "lstmlab 作者"
# myst-nb's labels of folded code cells ("Show code cell source").
ZH_CODE_PROMPT_SHOW = "显示代码单元"
ZH_CODE_PROMPT_HIDE = "隐藏代码单元"


def edition_of(language: str | None) -> str:
    """The edition a build with Sphinx's ``language`` belongs to ("en" or "zh_CN")."""
    return "zh_CN" if (language or "").lower().startswith("zh") else "en"


def other_edition_href(pagename: str, edition: str) -> str:
    """Relative link from ``pagename`` in ``edition`` to the same page in the other edition.

    ``pagename`` is Sphinx's document name, e.g. ``book/01-rnn`` (one folder deep).
    """
    up = "../" * pagename.count("/")
    if edition == "en":
        return f"{up}{EDITIONS['zh_CN']['prefix']}{pagename}.html"
    return f"{up}../{pagename}.html"


def add_edition_switch(app, pagename, templatename, context, doctree):
    """``html-page-context``: the other edition's link, and the page's language tag."""
    edition = edition_of(app.config.language)
    other = "zh_CN" if edition == "en" else "en"
    context["lstmlab_other_edition"] = {
        "href": other_edition_href(pagename, edition),
        "label": EDITIONS[other]["label"],
        "lang": EDITIONS[other]["lang"],
        "title": "阅读中文版" if other == "zh_CN" else "Read this page in English",
    }
    if edition == "zh_CN":
        context["language"] = EDITIONS["zh_CN"]["lang"]


class TranslateTocCaptions(SphinxTransform):
    """Translate the captions of toctrees that sphinx-external-toc inserted into a page."""

    # Just after sphinx-external-toc's InsertToctrees (100), before the toc is collected (880).
    default_priority = 101

    def apply(self, **kwargs):
        if edition_of(self.config.language) == "en":
            return
        dirs = [str(Path(self.env.srcdir) / folder) for folder in self.config.locale_dirs]
        domain = docname_to_domain(self.env.docname, self.config.gettext_compact)
        catalogue, found = init_locale(dirs, self.config.language, domain)
        if not found:
            return
        for toctree in self.document.findall(addnodes.toctree):
            if toctree.get("caption"):
                toctree["caption"] = catalogue.gettext(toctree["caption"])


def gettext_sees_cell_outputs(app):
    """``builder-inited``: let the gettext builder keep cell outputs, so it extracts their alt text.

    myst-nb keeps each output as a bundle of mime types and picks one per builder after the
    doctree is read; it has no choice listed for gettext, so without this the figures drawn by
    code cells (and the alt text set in their metadata) never reach the catalogues.  The
    translation itself needs nothing more: Sphinx translates alt text while reading, when every
    mime type of a bundle is still in the doctree.
    """
    if app.builder.name != "gettext":
        return
    from myst_nb.core.render import base_render_priority

    html = base_render_priority()["html"]
    app.config.nb_mime_priority_overrides = [
        *app.config.nb_mime_priority_overrides,
        *(("gettext", mime_type, priority) for mime_type, priority in html.items()),
    ]


def add_template(app, config):
    """``config-inited``: put the switch at the start of the article header's buttons."""
    config.templates_path = list(config.templates_path) + [str(Path(__file__).parent.parent / "_templates")]
    options = dict(config.html_theme_options or {})
    end = options.get("article_header_end", ["article-header-buttons.html"])
    if isinstance(end, str):
        end = [item.strip() for item in end.split(",") if item.strip()]
    if TEMPLATE not in end:
        options["article_header_end"] = [TEMPLATE, *end]
    if edition_of(config.language) == "zh_CN":
        options["search_bar_text"] = ZH_SEARCH_PLACEHOLDER
        config.html_title = ZH_TITLE
        config.author = ZH_AUTHOR
        config.nb_code_prompt_show = ZH_CODE_PROMPT_SHOW
        config.nb_code_prompt_hide = ZH_CODE_PROMPT_HIDE
    config.html_theme_options = options


def setup(app):
    app.add_transform(TranslateTocCaptions)
    app.connect("config-inited", add_template)
    app.connect("builder-inited", gettext_sees_cell_outputs)
    app.connect("html-page-context", add_edition_switch)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
