// Keyboard navigation of the review queue: j / k move between claims, Enter opens the current one.
(function () {
  "use strict";
  function ready(fn) {
    if (document.readyState !== "loading") { fn(); } else { document.addEventListener("DOMContentLoaded", fn); }
  }
  ready(function () {
    var rows = Array.prototype.slice.call(document.querySelectorAll("#queue .queue-row"));
    if (!rows.length) { return; }
    var current = -1;
    function select(index) {
      if (current >= 0) { rows[current].classList.remove("is-current"); rows[current].removeAttribute("aria-current"); }
      current = Math.max(0, Math.min(rows.length - 1, index));
      var row = rows[current];
      row.classList.add("is-current");
      row.setAttribute("aria-current", "true");
      var link = row.querySelector(".claim-link");
      if (link) { link.focus(); }
    }
    document.addEventListener("keydown", function (event) {
      if (event.altKey || event.ctrlKey || event.metaKey) { return; }
      var target = event.target;
      var tag = target && target.tagName;
      if (tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || (target && target.isContentEditable)) { return; }
      if (event.key === "j") { event.preventDefault(); select(current + 1); }
      else if (event.key === "k") { event.preventDefault(); select(current - 1); }
      else if (event.key === "Enter" && current >= 0 && tag !== "A" && tag !== "BUTTON") {
        event.preventDefault();
        window.location.href = rows[current].getAttribute("data-href");
      }
    });
  });
})();

// Ingest progress: poll the status fragment until the task is done or failed, then open the
// proposals. Static file only: the Content-Security-Policy allows no inline script.
(function () {
  "use strict";
  function ready(fn) {
    if (document.readyState !== "loading") { fn(); } else { document.addEventListener("DOMContentLoaded", fn); }
  }
  ready(function () {
    var box = document.querySelector("[data-poll-url]");
    if (!box) { return; }
    var url = box.getAttribute("data-poll-url");
    var interval = 1000;
    var failures = 0;
    var last = "";
    function poll() {
      fetch(url, { credentials: "same-origin", headers: { "Accept": "text/html" } })
        .then(function (response) {
          if (!response.ok && response.status !== 503) { throw new Error("HTTP " + response.status); }
          return response.text();
        })
        .then(function (html) {
          failures = 0;
          // The fragment is rendered (and escaped) by our own templates; replacing it only when
          // it changed keeps screen readers from announcing the same step every second.
          if (html !== last) { box.innerHTML = html; last = html; }
          if (!settled()) { window.setTimeout(poll, interval); }
        })
        .catch(function () {
          failures += 1;
          if (failures < 30) { window.setTimeout(poll, interval * 3); }
        });
    }
    function settled() {
      var state = box.querySelector("[data-phase]");
      var next = state && state.getAttribute("data-next");
      // replace(), not assign(): Back from the proposals then goes to the form, not here again.
      if (next) { window.location.replace(next); return true; }
      return Boolean(state && state.getAttribute("data-final") === "true");
    }
    if (!settled()) { window.setTimeout(poll, interval); }
  });
})();
