// TrueStock's charts: uPlot (vendored), drawn from data the page carries in a data attribute (no
// inline script: the Content-Security-Policy allows scripts from this origin only).
(function () {
  "use strict";
  function drawOnHand(element) {
    var data = JSON.parse(element.getAttribute("data-series"));
    var width = Math.max(320, element.clientWidth || 640);
    var options = {
      width: width,
      height: 240,
      series: [
        {},
        { label: element.getAttribute("data-label") || "On hand", stroke: "#1d4ed8", width: 2, fill: "rgba(29, 78, 216, 0.08)" }
      ],
      axes: [{}, { size: 60 }],
      scales: { x: { time: true } },
      legend: { show: true }
    };
    element.textContent = "";
    new uPlot(options, data, element);
  }
  function drawAll() {
    if (typeof uPlot === "undefined") { return; }
    document.querySelectorAll("[data-chart='on-hand']").forEach(drawOnHand);
  }
  document.addEventListener("DOMContentLoaded", drawAll);
})();
