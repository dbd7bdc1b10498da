// Renders the TeX in titles and abstracts ($...$, $$...$$, \(...\), \[...\]) with the vendored
// KaTeX. Elements opt in with class "math"; content added by htmx is rendered too. Without JS the TeX
// source stays readable. Comment maths (.math-inline / .math-display, one formula per element,
// marked by the server) is typeset by comments.js instead: rendering it twice garbles it.
(function () {
  "use strict";
  var displayDelimiters = [
      { left: "$$", right: "$$", display: true },
      { left: "\\[", right: "\\]", display: true },
      { left: "$", right: "$", display: false },
      { left: "\\(", right: "\\)", display: false }
  ];
  // Excerpts (data-math-inline) keep display maths in the line so that cards stay compact.
  var inlineDelimiters = displayDelimiters.map(function (d) {
    return { left: d.left, right: d.right, display: false };
  });

  function options(node) {
    return {
      delimiters: node.hasAttribute("data-math-inline") ? inlineDelimiters : displayDelimiters,
      throwOnError: false,
      strict: "ignore",
      trust: false
    };
  }

  function render(root) {
    if (typeof window.renderMathInElement !== "function" || !root.querySelectorAll) return;
    var selector = ".math:not(.math-inline):not(.math-display)";
    var nodes = Array.prototype.slice.call(root.querySelectorAll(selector));
    if (root.matches && root.matches(selector)) nodes.push(root);
    for (var i = 0; i < nodes.length; i++) {
      if (!nodes[i].hasAttribute("data-math-rendered")) {
        window.renderMathInElement(nodes[i], options(nodes[i]));
        nodes[i].setAttribute("data-math-rendered", "");
      }
    }
  }

  document.addEventListener("DOMContentLoaded", function () { render(document); });
  // htmx:load fires for every element htmx adds (e.g. the cards of "More papers").
  document.addEventListener("htmx:load", function (event) { render(event.detail.elt); });
})();
