// The phone menu (the #nav-toggle checkbox in base.html) opens and closes without
// JavaScript; this adds what a menu is expected to do besides: Escape closes it and
// gives the focus back to its button, and following a link on the same page does too.
(function () {
  "use strict";
  var toggle = document.getElementById("nav-toggle");
  if (!toggle) return;
  function close() {
    if (!toggle.checked) return;
    toggle.checked = false;
    toggle.focus();
  }
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape") close();
  });
  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest(".sidebar a[href^='#']");
    if (link) close();
  });
})();
