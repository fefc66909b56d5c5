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
