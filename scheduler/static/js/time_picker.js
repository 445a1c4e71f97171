// The staff time picker (templates/staff/time_picker.html). Progressive enhancement only: without
// this file a day, earlier/later days and the provider filter are round trips that keep the form.
//
// - A day already loaded is shown in the page (no round trip): its times appear, the others hide,
//   the day is marked current, the form's "shown" field follows (a later post keeps it), and the
//   focus goes to the day's first time, as after the round trip. A time chosen on the day left is
//   unchosen, as the server does: a checked radio on a hidden day would keep Tab out of the group
//   (browsers tab to a group's checked radio, or to the one last focused when none is checked).
// - The times are one native radio group: the arrow keys move through the shown day's times (the
//   hidden days' radios cannot take the focus). Enter on a time chooses it, then presses the form's
//   button marked data-picker-submit (read back, move, place), as the phone console always did.
// - "Chosen: ..." under the times follows the choice.
(function () {
  "use strict";

  function each(list, action) { Array.prototype.forEach.call(list, action); }

  function setUp(root) {
    var field = root.getAttribute("data-picker-field");
    var shownInput = root.querySelector("input[data-picker-shown]");
    var chosen = root.querySelector("[data-picker-chosen]");

    function panelOf(day) {
      var found = null;
      each(root.querySelectorAll("[data-picker-panel]"), function (panel) {
        if (panel.getAttribute("data-picker-panel") === day) { found = panel; }
      });
      return found;
    }

    function show(day) {
      var panel = panelOf(day);
      each(root.querySelectorAll("[data-picker-panel]"), function (other) {
        other.hidden = other !== panel;
        if (other === panel) { return; }
        each(other.querySelectorAll("input[type='radio']"), function (radio) {
          if (radio.checked && chosen) { chosen.textContent = chosen.getAttribute("data-picker-none"); }
          radio.checked = false;
        });
      });
      each(root.querySelectorAll("[data-picker-day]"), function (other) {
        if (other.getAttribute("data-picker-day") === day) { other.setAttribute("aria-current", "true"); }
        else { other.removeAttribute("aria-current"); }
      });
      if (shownInput) { shownInput.value = day; }
      var first = panel.querySelector("input[type='radio']:checked") || panel.querySelector("input[type='radio']");
      if (first) { first.focus(); }
    }

    root.addEventListener("click", function (event) {
      var control = event.target.closest ? event.target.closest("[data-picker-day]") : null;
      if (!control || !root.contains(control)) { return; }
      var day = control.getAttribute("data-picker-day");
      if (!panelOf(day)) { return; } // not loaded: the link or button makes the round trip
      event.preventDefault();
      show(day);
    });

    root.addEventListener("change", function (event) {
      var radio = event.target;
      if (!chosen || radio.type !== "radio" || radio.name !== field || !radio.checked) { return; }
      chosen.textContent = "Chosen: " + radio.getAttribute("data-picker-words");
    });

    root.addEventListener("keydown", function (event) {
      var radio = event.target;
      if (event.key !== "Enter" || event.altKey || event.ctrlKey || event.metaKey || event.shiftKey) { return; }
      if (radio.type !== "radio" || radio.name !== field) { return; }
      if (!radio.checked) {
        radio.checked = true;
        radio.dispatchEvent(new Event("change", { bubbles: true }));
      }
      var button = radio.form ? radio.form.querySelector("[data-picker-submit]") : null;
      if (button) {
        event.preventDefault();
        button.click();
      }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    each(document.querySelectorAll("[data-picker]"), setUp);
  });
}());
