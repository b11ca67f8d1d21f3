// The receipt's Print button: the page's Content-Security-Policy forbids inline scripts, so the
// button is wired here.
(function () {
  "use strict";
  function wire() {
    var button = document.getElementById("print-receipt");
    if (button) { button.addEventListener("click", function () { window.print(); }); }
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", wire); } else { wire(); }
})();
