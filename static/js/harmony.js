/* Harmony's only script (besides htmx). Served as a file: the CSP allows no inline script.
 *
 * Polling only while the tab is visible: htmx's `[document.visibilityState === ...]` trigger
 * filters need eval, which Harmony's htmx configuration turns off. Instead every polling
 * request (`hx-trigger="every Ns"`) is cancelled while the tab is hidden, and a
 * `harmony:visible` event is sent to the document when the tab comes back, so panels that
 * listen for it (`hx-trigger="every 5s, harmony:visible from:document"`) refresh at once.
 */
(function () {
  "use strict";

  document.addEventListener("htmx:beforeRequest", function (event) {
    var trigger = event.detail && event.detail.requestConfig && event.detail.requestConfig.triggeringEvent;
    var polling = !trigger || trigger.type === "every";
    if (document.visibilityState === "hidden" && polling) {
      event.preventDefault();
    }
  });

  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible") {
      document.dispatchEvent(new CustomEvent("harmony:visible"));
    }
  });

  // A polled panel is replaced whole; panels a person opened (<details id=...>) stay open.
  var openPanels = [];
  document.addEventListener("htmx:beforeSwap", function (event) {
    var target = event.detail && event.detail.target;
    openPanels = target ? Array.prototype.map.call(
      target.querySelectorAll("details[open][id]"), function (el) { return el.id; }) : [];
  });
  function reopenPanels() {
    openPanels.forEach(function (id) {
      var panel = document.getElementById(id);
      if (panel && panel.tagName === "DETAILS") { panel.open = true; }
    });
  }
  // An outerHTML swap may announce itself on the replaced element or the new one: listen for both.
  document.addEventListener("htmx:afterSwap", reopenPanels);
  document.addEventListener("htmx:afterSettle", reopenPanels);

  // Forms marked data-confirm ask before a destructive action (purge, revoke, disable).
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form && form.getAttribute && form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) {
      event.preventDefault();
      event.stopPropagation();
    }
  }, true);
})();
