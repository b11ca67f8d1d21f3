// Draws every chart of the page from the JSON the server wrote beside it (no inline script, so
// the page's Content-Security-Policy can forbid them).
(function () {
  "use strict";
  function draw() {
    var specs = document.querySelectorAll('script[type="application/json"][data-chart-for]');
    specs.forEach(function (spec) {
      var target = document.getElementById(spec.getAttribute("data-chart-for"));
      if (!target || typeof Plotly === "undefined") { return; }
      var figure = JSON.parse(spec.textContent);
      var layout = figure.layout || {};
      if (document.documentElement.dir === "rtl") { layout.xaxis = Object.assign({ autorange: "reversed" }, layout.xaxis || {}); }
      Plotly.newPlot(target, figure.data || [], layout, { responsive: true, displaylogo: false }).then(function () {
        target.setAttribute("data-drawn", "true");
      });
    });
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", draw); } else { draw(); }
})();
