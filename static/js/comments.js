/* Typeset the maths the server marked in comments and previews, on load and after htmx swaps.
   KaTeX itself (static/vendor/katex) is loaded by the pages that show maths. */
(function () {
  "use strict";
  function typeset(root) {
    if (!window.katex || !root || !root.querySelectorAll) return;
    root.querySelectorAll(".math-inline:not([data-typeset]), .math-display:not([data-typeset])").forEach(function (el) {
      var display = el.classList.contains("math-display");
      var source = el.textContent.trim();
      var tex = display ? source.replace(/^\$\$|\$\$$/g, "") : source.replace(/^\$|\$$/g, "");
      try {
        window.katex.render(tex, el, { displayMode: display, throwOnError: false });
        el.setAttribute("data-typeset", "");
      } catch (error) {
        /* leave the source visible */
      }
    });
  }
  document.addEventListener("DOMContentLoaded", function () { typeset(document); });
  document.addEventListener("htmx:afterSettle", function () { typeset(document); });
  document.addEventListener("htmx:oobAfterSwap", function () { typeset(document); });
})();
