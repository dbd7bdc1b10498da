// Keyboard shortcuts for the moderators' queues; loaded by templates/moderation/area_base.html.
//   j / k  next / previous item (<li class="queue-item">)
//   a      approve the item            [data-shortcut="approve"]
//   r      its reason field            [data-shortcut="reason"]
//   d      dismiss its flags           [data-shortcut="dismiss"]
//   x      open its remove/act form    [data-shortcut="act"]: a <details> to open, or a link
//   ?      show or hide the help panel (#shortcuts-help); Esc closes it, or leaves a field
// Keys typed into a field are the field's. Every control is a plain form or link that works
// without this script; it only moves the focus and presses them.
(function () {
  "use strict";
  var ITEM = ".queue-item:not(.is-done)";
  var lastIndex = -1; // the item the last request came from, to refocus after htmx swaps it

  function items() {
    return Array.prototype.slice.call(document.querySelectorAll(ITEM));
  }

  function currentItem() {
    var active = document.activeElement;
    return active && active.closest ? active.closest(ITEM) : null;
  }

  function focusItem(item) {
    if (!item) return;
    item.focus();
    item.scrollIntoView({ block: "nearest" });
  }

  function move(step) {
    var list = items();
    if (!list.length) return;
    var index = list.indexOf(currentItem());
    var next = index === -1 ? (step > 0 ? 0 : list.length - 1) : index + step;
    focusItem(list[Math.max(0, Math.min(list.length - 1, next))]);
  }

  function control(item, name) {
    return item ? item.querySelector('[data-shortcut="' + name + '"]') : null;
  }

  function focusField(field) {
    var folded = field.closest("details");
    if (folded) folded.open = true;
    field.focus();
  }

  function act(item) {
    var target = control(item, "act");
    if (!target) return;
    if (target.tagName === "DETAILS") {
      target.open = true;
      var field = target.querySelector("textarea, select, input:not([type=hidden])");
      if (field) field.focus();
    } else {
      target.click();
    }
  }

  function help() {
    return document.getElementById("shortcuts-help");
  }

  function isTyping(element) {
    return !!element && (element.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(element.tagName));
  }

  document.addEventListener("keydown", function (event) {
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey) return;
    if (isTyping(event.target)) {
      if (event.key === "Escape") {
        var owner = event.target.closest(ITEM);
        if (owner) {
          event.preventDefault();
          owner.focus();
        }
      }
      return;
    }
    var item = currentItem();
    var target;
    switch (event.key) {
      case "j": move(1); break;
      case "k": move(-1); break;
      case "a":
        target = control(item, "approve");
        if (target) target.click();
        break;
      case "r":
        target = control(item, "reason");
        if (target) focusField(target);
        break;
      case "d":
        target = control(item, "dismiss");
        if (target) target.click();
        break;
      case "x": act(item); break;
      case "?":
        if (help()) help().hidden = !help().hidden;
        break;
      case "Escape":
        if (help() && !help().hidden) help().hidden = true;
        else return;
        break;
      default:
        return;
    }
    event.preventDefault();
  });

  // An item answered in place loses the focus with its element: give it to the item now at
  // that place (the same item re-rendered with an error, or the next one to review).
  document.addEventListener("htmx:beforeRequest", function (event) {
    var item = event.target.closest ? event.target.closest(ITEM) : null;
    lastIndex = item ? items().indexOf(item) : -1;
  });
  document.addEventListener("htmx:afterSettle", function () {
    if (lastIndex === -1) return;
    var active = document.activeElement;
    if (!active || active === document.body) {
      var list = items();
      focusItem(list[Math.min(lastIndex, list.length - 1)]);
    }
    lastIndex = -1;
  });

  document.addEventListener("DOMContentLoaded", function () {
    Array.prototype.forEach.call(document.querySelectorAll("[data-shortcuts-hint]"), function (hint) {
      hint.hidden = false;
    });
  });
})();
