// Forms a visitor can use on a shared page (data-lazy-csrf="{% url 'csrf' %}") carry no CSRF
// token, so the page is the same for everyone and sets no cookie. On submit, this asks for one
// (which sets the csrftoken cookie), adds it to the form, and submits again: htmx, listening
// on the form, then posts it with the token. Without htmx the form submits as it is written.
(function () {
  "use strict";

  var FIELD = "csrfmiddlewaretoken";

  function fetchToken(url) {
    return fetch(url, {
      credentials: "same-origin",
      cache: "no-store",
      headers: { Accept: "application/json" },
    }).then(function (response) {
      if (!response.ok) throw new Error(url + " answered " + response.status);
      return response.json();
    }).then(function (body) {
      return body.token;
    });
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement) || !form.hasAttribute("data-lazy-csrf")) return;
    if (!window.htmx || form.elements.namedItem(FIELD)) return;
    // Before htmx (which listens on the form) sees it: this submit waits for the token.
    event.preventDefault();
    event.stopImmediatePropagation();
    var submitter = event.submitter;
    if (form.dataset.csrfPending) return; // a second click while the token is on its way
    form.dataset.csrfPending = "1";
    fetchToken(form.getAttribute("data-lazy-csrf") || "/csrf").then(function (token) {
      var field = document.createElement("input");
      field.type = "hidden";
      field.name = FIELD;
      field.value = token;
      form.appendChild(field);
      form.requestSubmit(submitter && submitter.form === form ? submitter : undefined);
    }).catch(function () {
      form.submit(); // no token: the form's own method and action (the box's: GET /digest)
    }).finally(function () {
      delete form.dataset.csrfPending;
    });
  }, true);
})();
