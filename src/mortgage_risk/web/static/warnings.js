/* The warnings board's chart: open warnings per branch, stacked by level (no inline script). */
(function () {
  "use strict";
  function draw() {
    var block = document.getElementById("warnings-chart-data");
    var target = document.getElementById("warnings-chart");
    if (!block || !target || typeof Plotly === "undefined") {
      return;
    }
    var chart = JSON.parse(block.textContent);
    var traces = chart.traces.map(function (t) {
      return Object.assign({}, t, {hovertemplate: "%{x}<br>%{fullData.name}: %{y:,d}<extra></extra>"});
    });
    Plotly.newPlot(target, traces, {
      title: {text: chart.title},
      barmode: "stack",
      margin: {t: 50, r: 20, b: 90, l: 60},
      yaxis: {tickformat: ",d", rangemode: "tozero"},
      xaxis: {automargin: true},
      legend: {orientation: "h", y: 1.08, x: 1, xanchor: "right"},
      font: {family: "PingFang SC, Microsoft YaHei, Noto Sans CJK SC, sans-serif"}
    }, {responsive: true, displaylogo: false});
  }
  // Plotly loads asynchronously (the page is readable before its 4.8 MB are parsed): draw
  // when both the page and Plotly are there.
  function start() {
    if (typeof Plotly !== "undefined") {
      draw();
      return;
    }
    var tag = document.getElementById("plotly-js");
    if (tag) {
      tag.addEventListener("load", draw);
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
