// Forms marked data-reset-on-success are emptied once htmx has posted them and the server took
// them (a 2xx: the submit page keeps its form for the next paper; a refusal, 4xx, keeps what
// was typed so that it can be corrected). An event listener rather than hx-on, which
// needs eval and is off under the Content-Security-Policy (base.html's htmx-config).
(function () {
  "use strict";

  document.addEventListener("htmx:afterRequest", function (event) {
    var form = event.detail.elt;
    if (form instanceof HTMLFormElement && form.hasAttribute("data-reset-on-success") &&
        event.detail.xhr.status >= 200 && event.detail.xhr.status < 300) {
      form.reset();
    }
  });
})();
