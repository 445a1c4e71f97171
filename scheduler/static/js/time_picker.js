// The staff time picker (templates/staff/time_picker.html). Progressive enhancement only: without
// this file a day, earlier/later days and the provider filter are round trips that keep the form.
//
// - A day already loaded is shown in the page (no round trip): its times appear, the others hide,
//   the day is marked current and the form's "shown" field follows, so a later post keeps it.
// - The times are one native radio group: the arrow keys move through the shown day's times (the
//   hidden days' radios cannot take the focus). Enter on a time chooses it, then presses the form's
//   button marked data-picker-submit (read back, move, place), as the phone console always did.
// - "Chosen: ..." under the times follows the choice, even when its day is not the one shown.
(function () {
  "use strict";

  function each(list, action) { Array.prototype.forEach.call(list, action); }

  function setUp(root) {
    var field = root.getAttribute("data-picker-field");
    var shownInput = root.querySelector("input[data-picker-shown]");
    var status = root.querySelector("[data-picker-status]");
    var chosen = root.querySelector("[data-picker-chosen]");

    function panelOf(day) {
      var found = null;
      each(root.querySelectorAll("[data-picker-panel]"), function (panel) {
        if (panel.getAttribute("data-picker-panel") === day) { found = panel; }
      });
      return found;
    }

    function show(day, control) {
      var panel = panelOf(day);
      each(root.querySelectorAll("[data-picker-panel]"), function (other) { other.hidden = other !== panel; });
      each(root.querySelectorAll("[data-picker-day]"), function (other) {
        if (other.getAttribute("data-picker-day") === day) { other.setAttribute("aria-current", "true"); }
        else { other.removeAttribute("aria-current"); }
      });
      if (shownInput) { shownInput.value = day; }
      if (status) {
        var legend = panel.querySelector("legend");
        var count = control.querySelector(".picker-day-count");
        status.textContent = (legend ? legend.textContent.trim() : day) + (count ? ": " + count.textContent.trim() : "");
      }
    }

    root.addEventListener("click", function (event) {
      var control = event.target.closest ? event.target.closest("[data-picker-day]") : null;
      if (!control || !root.contains(control)) { return; }
      var day = control.getAttribute("data-picker-day");
      if (!panelOf(day)) { return; } // not loaded: the link or button makes the round trip
      event.preventDefault();
      show(day, control);
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
