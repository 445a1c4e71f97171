// Progressive enhancement only: every page works without this file.
(function () {
  "use strict";
  var clinicZone = "America/Chicago";

  // Focus is where the page opened it (nowhere, or an autofocus element): the person has not moved
  // it. This script is deferred and can arrive after they have tabbed on; taking focus back then
  // would undo their move.
  function focusUntouched() {
    var active = document.activeElement;
    return !active || active === document.body || active.hasAttribute("autofocus");
  }

  // GOV.UK error summary: move focus to it so screen-reader users hear the problems first
  // (its autofocus usually has already; this covers a browser that skipped it).
  function focusErrorSummary() {
    var summary = document.querySelector("[data-error-summary]");
    if (summary && focusUntouched()) { summary.focus(); }
  }

  // A summary link moves focus to its field and brings the field's question into view (GOV.UK
  // pattern), without adding "#field" to the address: a form posted from an address with a
  // fragment comes back with that fragment, and the browser then focuses the field, not the summary.
  function linkErrorSummary() {
    var summary = document.querySelector("[data-error-summary]");
    if (!summary) { return; }
    summary.addEventListener("click", function (event) {
      var link = event.target.closest ? event.target.closest("a[href^='#']") : null;
      var field = link ? document.getElementById(link.getAttribute("href").slice(1)) : null;
      if (!field) { return; }
      event.preventDefault();
      var fieldset = field.closest("fieldset");
      var legend = fieldset ? fieldset.querySelector("legend") : null;
      var label = field.id ? document.querySelector("label[for='" + field.id + "']") : null;
      (legend || label || field).scrollIntoView();
      field.focus({ preventScroll: true });
    });
  }

  // Links drawn as buttons (role="button") also answer the space bar, as a button does.
  function spaceActivatesButtonLinks() {
    document.addEventListener("keydown", function (event) {
      var target = event.target;
      if ((event.key === " " || event.key === "Spacebar") && target.tagName === "A" && target.getAttribute("role") === "button") {
        event.preventDefault();
        target.click();
      }
    });
  }

  // Beside each Central time, the patient's own local time when their device is elsewhere.
  function showLocalTimes() {
    var zone;
    try { zone = Intl.DateTimeFormat().resolvedOptions().timeZone; } catch (e) { return; }
    if (!zone || zone === clinicZone) { return; }
    var nodes = document.querySelectorAll("[data-local-time]");
    for (var i = 0; i < nodes.length; i++) {
      var when = new Date(nodes[i].getAttribute("data-local-time"));
      if (isNaN(when.getTime())) { continue; }
      var local = when.toLocaleTimeString("en-US", { hour: "numeric", minute: "2-digit", timeZone: zone, timeZoneName: "short" });
      var central = when.toLocaleTimeString("en-US", { hour: "numeric", minute: "2-digit", timeZone: clinicZone });
      var localClock = when.toLocaleTimeString("en-US", { hour: "numeric", minute: "2-digit", timeZone: zone });
      if (localClock !== central) { nodes[i].textContent = "(" + local + " your time)"; }
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    focusErrorSummary();
    linkErrorSummary();
    spaceActivatesButtonLinks();
    showLocalTimes();
  });
})();
