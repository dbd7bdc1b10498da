// Renders the TeX in titles and abstracts ($...$, $$...$$, \(...\), \[...\]) with the vendored
// KaTeX. Elements opt in with class "math"; htmx swaps are rendered too. Without JS the TeX
// source stays readable.
(function () {
  "use strict";
  var options = {
    delimiters: [
      { left: "$$", right: "$$", display: true },
      { left: "\\[", right: "\\]", display: true },
      { left: "$", right: "$", display: false },
      { left: "\\(", right: "\\)", display: false }
    ],
    throwOnError: false,
    strict: "ignore",
    trust: false
  };

  function render(root) {
    if (typeof window.renderMathInElement !== "function") return;
    var nodes = root.querySelectorAll ? root.querySelectorAll(".math") : [];
    for (var i = 0; i < nodes.length; i++) {
      if (!nodes[i].hasAttribute("data-math-rendered")) {
        window.renderMathInElement(nodes[i], options);
        nodes[i].setAttribute("data-math-rendered", "");
      }
    }
  }

  document.addEventListener("DOMContentLoaded", function () { render(document); });
  document.addEventListener("htmx:afterSwap", function (event) { render(event.target); });
})();
