// Digest forms: where no time zone is chosen yet (fields marked data-detect-zone), take the
// browser's own, so "08:00" means 08:00 where the reader is. Without JavaScript the zone stays
// UTC and can be changed on the /digest page.
(function () {
  "use strict";

  function browserZone() {
    try {
      return Intl.DateTimeFormat().resolvedOptions().timeZone || "";
    } catch (error) {
      return "";
    }
  }

  function detectZones(root) {
    var zone = browserZone();
    if (!zone || !root.querySelectorAll) return;
    root.querySelectorAll("[data-detect-zone]").forEach(function (field) {
      if (field.tagName === "SELECT") {
        // Only a zone the server offers (the list comes from the server's zone database).
        var known = Array.prototype.some.call(field.options, function (option) {
          return option.value === zone;
        });
        if (known) field.value = zone;
      } else {
        field.value = zone;
      }
    });
  }

  document.addEventListener("DOMContentLoaded", function () { detectZones(document); });
  // The subscribe box is swapped in place by htmx (an error shows the form again).
  document.addEventListener("htmx:load", function (event) { detectZones(event.detail.elt); });
})();
