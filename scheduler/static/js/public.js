// Progressive enhancement only: every page works without this file.
(function () {
  "use strict";
  var clinicZone = "America/Chicago";

  // GOV.UK error summary: move focus to it so screen-reader users hear the problems first.
  function focusErrorSummary() {
    var summary = document.querySelector("[data-error-summary]");
    if (summary && document.activeElement !== summary) { summary.focus(); }
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
    showLocalTimes();
  });
})();
