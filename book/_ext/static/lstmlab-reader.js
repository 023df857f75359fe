/* lstmlab: repairs to the theme's markup that axe-core (WCAG 2.1 AA) reports as serious, each
 * naming the rule it answers, and inline formulas that scroll instead of being cut off on
 * phones.  Everything here runs in the reader's browser after the theme's own scripts;
 * nothing is fetched. */
(function () {
  "use strict";

  // label-content-name-mismatch (WCAG 2.5.3): a control's accessible name must contain its
  // visible text, so that a voice-control user can say what they see.  The search field shows
  // "Search Ctrl+K" but is named "Search"; sphinx-togglebutton's buttons show "Show code cell
  // source" (a <summary> for hidden code cells) but are named "Toggle hidden content".  Where
  // the control shows text, that text becomes its name.
  function nameFromVisibleText(root) {
    root.querySelectorAll(".search-button-field[aria-label], button.toggle-button[aria-label], details > summary[aria-label]")
      .forEach(function (button) {
        var text = button.innerText.replace(/\s+/g, " ").trim();
        if (text && button.getAttribute("aria-label").indexOf(text) === -1) {
          button.removeAttribute("aria-label");
        }
      });
  }

  // label-content-name-mismatch again: Font Awesome turns the colour-mode icons' titles
  // ("Light", "Dark", "System") into <svg><title>, text inside a button named "Color mode".
  // The button's own name says what it does; its icons are decoration.
  function hideIconTitles(root) {
    root.querySelectorAll(".theme-switch-button svg").forEach(function (svg) {
      svg.setAttribute("aria-hidden", "true");
      svg.removeAttribute("aria-labelledby");
      svg.removeAttribute("role");
      svg.querySelectorAll("title").forEach(function (title) { title.remove(); });
    });
  }

  // nested-interactive (WCAG 4.1.2): a <summary> is itself the dropdown's button, so a link
  // inside it can neither be reached nor announced on its own.  The link becomes text (a
  // reference to an equation that the opened dropdown shows anyway).
  function unlinkSummaries(root) {
    root.querySelectorAll("summary a[href]").forEach(function (link) {
      var span = document.createElement("span");
      span.className = link.className + " lstmlab-unlinked";
      while (link.firstChild) { span.appendChild(link.firstChild); }
      link.replaceWith(span);
    });
  }

  // aria-required-children (WCAG 1.3.1) and aria-deprecated-role: sphinxcontrib-bibtex gives
  // each entry of its role="list" bibliography the role doc-biblioentry, which DPUB-ARIA 1.1
  // deprecated; browsers then read the entry's links as the list's children.  An entry of a
  // list is a listitem.
  function bibliographyEntries(root) {
    root.querySelectorAll('[role="list"] > [role="doc-biblioentry"]').forEach(function (entry) {
      entry.setAttribute("role", "listitem");
    });
  }

  // Inline math on phones.  The theme clips every inline formula (span.math, overflow hidden),
  // which on a 390 px screen cut wide formulas off (by up to 421 px) and even the overhang of
  // italic letters on any screen.  lstmlab.css lets inline math overflow; a formula wider than
  // the text column gets the class lstmlab-wide-math, which makes it scroll sideways.  Only
  // wide ones: a scroll box on every inline formula would move it off the text's baseline.
  function markWideMath() {
    document.querySelectorAll("span.math").forEach(function (math) {
      var block = math.parentElement.closest("p, li, td, th, dd, dt, div") || document.body;
      math.classList.remove("lstmlab-wide-math");
      var formula = math.querySelector("mjx-container") || math;
      if (formula.scrollWidth > block.clientWidth) {
        math.classList.add("lstmlab-wide-math");
      }
    });
  }

  // Print: sphinx-book-theme hides the chapter's heading on paper and prints its own title
  // instead, without the chapter number ("8. ").  The number is copied into that title.
  function numberPrintTitle() {
    var number = document.querySelector(".bd-article h1 .section-number");
    var title = document.querySelector("#jb-print-docs-body h1");
    if (number && title && !title.querySelector(".section-number")) {
      title.prepend(number.cloneNode(true));
    }
  }

  function whenTypeset(then) {
    var startup = window.MathJax && window.MathJax.startup && window.MathJax.startup.promise;
    if (startup) { startup.then(then); } else { then(); }
  }

  function repair() {
    numberPrintTitle();
    nameFromVisibleText(document);
    hideIconTitles(document);
    unlinkSummaries(document);
    bibliographyEntries(document);
  }

  // The theme, Font Awesome and sphinx-togglebutton build these controls after the page
  // loads; repair once they exist and again whenever they are rebuilt.
  function start() {
    repair();
    whenTypeset(markWideMath);
    window.addEventListener("resize", function () { whenTypeset(markWideMath); });
    new MutationObserver(function (changes) {
      var added = changes.some(function (c) { return c.addedNodes.length > 0; });
      if (added) { repair(); }
    }).observe(document.body, {childList: true, subtree: true});
  }
  if (document.readyState === "complete") {
    start();
  } else {
    window.addEventListener("load", start);
  }
})();
