// Typesets every formula on the page with the vendored KaTeX, once. Loaded by base.html.
//  - class "math": free text (titles, abstracts) with TeX between $…$, $$…$$, \(…\) or \[…\],
//    found by KaTeX's auto-render; data-math-inline keeps display maths in the line (cards).
//  - class "math-inline" / "math-display": one formula per element with its delimiters, marked
//    by the server's Markdown renderer (comments, previews, notification excerpts).
// Runs on page load and on whatever htmx adds (htmx:load fires for swapped and out-of-band
// content). A typeset element gets data-typeset, so nothing is typeset twice: typesetting
// KaTeX's own output again garbles it. Without JavaScript the TeX source stays readable.
(function () {
  "use strict";
  var SELECTOR = ".math, .math-inline, .math-display";
  var delimiters = [
    { left: "$$", right: "$$", display: true },
    { left: "\\[", right: "\\]", display: true },
    { left: "$", right: "$", display: false },
    { left: "\\(", right: "\\)", display: false }
  ];
  var inlineDelimiters = delimiters.map(function (d) {
    return { left: d.left, right: d.right, display: false };
  });

  function typesetFormula(el) {
    var display = el.classList.contains("math-display");
    var tex = el.textContent.trim().replace(display ? /^\$\$|\$\$$/g : /^\$|\$$/g, "");
    window.katex.render(tex, el, { displayMode: display, throwOnError: false });
  }

  function typesetText(el) {
    window.renderMathInElement(el, {
      delimiters: el.hasAttribute("data-math-inline") ? inlineDelimiters : delimiters,
      // Formulas marked by the server inside it are typeset on their own.
      ignoredClasses: ["math-inline", "math-display"],
      throwOnError: false,
      strict: "ignore",
      trust: false
    });
  }

  function typeset(root) {
    if (!window.katex || !window.renderMathInElement || !root || !root.querySelectorAll) return;
    var elements = Array.prototype.slice.call(root.querySelectorAll(SELECTOR));
    if (root.matches(SELECTOR)) elements.unshift(root);
    elements.forEach(function (el) {
      if (el.hasAttribute("data-typeset")) return;
      el.setAttribute("data-typeset", "");
      try {
        if (el.matches(".math-inline, .math-display")) typesetFormula(el);
        else typesetText(el);
      } catch (error) {
        console.error(error); // leave the TeX source as it is
      }
    });
  }

  document.addEventListener("DOMContentLoaded", function () { typeset(document.body); });
  document.addEventListener("htmx:load", function (event) { typeset(event.detail.elt); });
})();
