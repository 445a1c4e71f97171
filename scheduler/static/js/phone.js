// The phone console's keyboard layer. Progressive enhancement only: every page works without it
// (the search has its own button, the results are links, every step is a button).
//
// - Results as you type: the query is POSTed with the X-CSRFToken header and comes back as an
//   HTML fragment. It is never put in a URL, so no name, birth date or phone number reaches an
//   address bar, a browser history or an access log.
// - Arrow keys through the results (Enter opens one, Esc goes back to the box). Enter on a time
//   reads it back: the time picker's own script (time_picker.js) presses the Read back button.
// - A returning caller is not asked what the clinic's records hold: answering "Seen at the clinic
//   before?" with yes hides those questions (the page names them, by the domain's one rule), as
//   the server skips them.
// - The shortcuts listed on the page. "/" is the only single-key one: it never fires while typing
//   in a field and can be switched off (WCAG 2.1.4).
(function () {
  "use strict";
  var DEBOUNCE_MS = 200;
  var SLASH_SETTING = "phone-console-slash-shortcut";

  function root() { return document.querySelector("[data-phone-page]"); }

  function isTyping(element) {
    if (!element || !element.tagName) { return false; }
    var tag = element.tagName;
    if (tag === "TEXTAREA" || tag === "SELECT" || element.isContentEditable) { return true; }
    if (tag !== "INPUT") { return false; }
    return ["radio", "checkbox", "button", "submit", "reset", "hidden"].indexOf(element.type) === -1;
  }

  function slashEnabled() {
    try { return window.localStorage.getItem(SLASH_SETTING) !== "off"; } catch (e) { return true; }
  }

  function setUpSlashSetting() {
    var box = document.getElementById("slash-shortcut");
    if (!box) { return; }
    box.checked = slashEnabled();
    box.closest("[data-slash-toggle]").hidden = false;
    box.addEventListener("change", function () {
      try { window.localStorage.setItem(SLASH_SETTING, box.checked ? "on" : "off"); } catch (e) { /* private mode */ }
    });
  }

  // ----- results as you type -------------------------------------------------------------------

  function setUpSearch() {
    var form = document.querySelector("form[data-fragment-url]");
    if (!form) { return; }
    var box = form.querySelector("#q");
    var results = document.getElementById("phone-results");
    var status = document.getElementById("phone-search-status");
    var token = form.querySelector("input[name='csrf_token']");
    var timer = null;
    var asked = null;
    var sequence = 0;
    var controller = null;

    function search() {
      var text = box.value.trim();
      if (text === asked) { return; }
      asked = text;
      var mine = ++sequence;
      if (controller) { controller.abort(); }
      controller = typeof AbortController === "function" ? new AbortController() : null;
      var body = new URLSearchParams();
      body.set("q", text);
      window.fetch(form.getAttribute("data-fragment-url"), {
        method: "POST",
        credentials: "same-origin",
        headers: { "X-CSRFToken": token ? token.value : "", "Content-Type": "application/x-www-form-urlencoded;charset=UTF-8" },
        body: body.toString(),
        signal: controller ? controller.signal : undefined
      }).then(function (response) {
        if (response.redirected) {
          // Signed out meanwhile (idle timeout): reload, which leads to the sign-in page and back.
          window.location.reload();
          throw new Error("signed out");
        }
        if (!response.ok) { throw new Error("search answered " + response.status); }
        return response.text();
      }).then(function (html) {
        if (mine !== sequence) { return; }
        results.innerHTML = html;
        var count = results.querySelector("[data-results-count]");
        status.textContent = count ? count.textContent : "";
      }).catch(function (error) {
        if (error && error.name === "AbortError") { return; }
        if (mine === sequence) {
          asked = null;
          status.textContent = "The search did not answer. Press Enter to try again.";
        }
      });
    }

    box.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(search, DEBOUNCE_MS);
    });
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      window.clearTimeout(timer);
      asked = null;
      search();
    });
    box.addEventListener("keydown", function (event) {
      if (event.key !== "ArrowDown") { return; }
      var first = results.querySelector("a.phone-result");
      if (first) {
        event.preventDefault();
        first.focus();
      }
    });
    results.addEventListener("keydown", function (event) {
      var links = Array.prototype.slice.call(results.querySelectorAll("a.phone-result"));
      var at = links.indexOf(document.activeElement);
      if (at < 0 || event.altKey || event.ctrlKey || event.metaKey) { return; }
      var target = null;
      if (event.key === "ArrowDown") { target = links[Math.min(at + 1, links.length - 1)]; }
      else if (event.key === "ArrowUp") { target = at > 0 ? links[at - 1] : box; }
      else if (event.key === "Home") { target = links[0]; }
      else if (event.key === "End") { target = links[links.length - 1]; }
      else if (event.key === "Escape") { target = box; }
      else if (event.key.length === 1 && event.key !== " ") {
        box.focus(); // the key typed lands in the search box: staff just carry on typing
        return;
      }
      if (target) {
        event.preventDefault();
        target.focus();
      }
    });
  }

  // ----- the booking form ----------------------------------------------------------------------

  var changed = false;

  function setUpBookingForm() {
    var form = document.querySelector("form.phone-form");
    if (!form) { return; }
    form.addEventListener("input", function () { changed = true; });
    form.addEventListener("submit", function () { changed = false; });
    setUpReturningCaller(form);
  }

  function setUpReturningCaller(form) {
    var group = form.querySelector("[data-returning-skips]");
    if (!group) { return; }
    var skipped = group.getAttribute("data-returning-skips").split(" ");
    function follow() {
      var yes = form.querySelector("input[name='seen_before'][value='yes']");
      each(skipped, function (name) {
        var question = form.querySelector("[data-question='" + name + "']");
        if (question) { question.hidden = Boolean(yes && yes.checked); }
      });
    }
    group.addEventListener("change", follow);
    follow();
  }

  function each(list, action) { Array.prototype.forEach.call(list, action); }

  function leave(url) {
    if (changed && !window.confirm("Leave this booking? What you typed will be lost.")) { return; }
    changed = false;
    window.location.href = url;
  }

  function press(name) {
    var button = document.querySelector("[data-shortcut='" + name + "']");
    if (!button) { return false; }
    button.click();
    return true;
  }

  function focusSearch(page) {
    var box = document.getElementById("q");
    if (box) {
      box.focus();
      box.select();
    } else {
      leave(page.getAttribute("data-search-page"));
    }
  }

  function shortcuts(event) {
    var page = root();
    if (!page || event.defaultPrevented) { return; }
    var code = event.code || "";
    var key = (event.key || "").toLowerCase();
    if (event.altKey && !event.ctrlKey && !event.metaKey) {
      if (code === "KeyN" || key === "n") {
        event.preventDefault();
        leave(page.getAttribute("data-new-url"));
      } else if (code === "KeyS" || key === "s") {
        event.preventDefault();
        focusSearch(page);
      } else if (code === "KeyF" || key === "f") {
        if (press("find")) { event.preventDefault(); }
      } else if (code === "KeyR" || key === "r") {
        if (press("readback")) { event.preventDefault(); }
      }
    } else if ((event.ctrlKey || event.metaKey) && event.key === "Enter") {
      if (press("book")) { event.preventDefault(); }
    } else if (event.key === "/" && !event.ctrlKey && !event.altKey && !event.metaKey && !isTyping(event.target)
               && slashEnabled()) {
      event.preventDefault();
      focusSearch(page);
    }
  }

  function focusOnLoad() {
    // GOV.UK error summary first, so the problems are heard before anything else. Only while focus
    // is where the page opened it (nowhere, or an autofocus element): this script is deferred, and
    // a fast typist may already have moved on.
    var target = document.querySelector(".error-summary") || document.querySelector("[data-focus-on-load]");
    var active = document.activeElement;
    var untouched = !active || active === document.body || active.hasAttribute("autofocus");
    if (target && untouched) { target.focus(); }
  }

  document.addEventListener("DOMContentLoaded", function () {
    setUpSlashSetting();
    setUpSearch();
    setUpBookingForm();
    document.addEventListener("keydown", shortcuts);
    focusOnLoad();
  });
}());
