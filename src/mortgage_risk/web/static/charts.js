/* Draws the overview's bar charts from the JSON block in the page (no inline script). */
(function () {
  "use strict";

  function draw() {
    var block = document.getElementById("chart-data");
    if (!block || typeof Plotly === "undefined") {
      return;
    }
    var charts = JSON.parse(block.textContent);
    Object.keys(charts).forEach(function (key) {
      var target = document.getElementById("chart-" + key);
      if (!target) {
        return;
      }
      var chart = charts[key];
      var traces = chart.traces.map(function (t) {
        return Object.assign({}, t, {hovertemplate: "%{x}<br>%{fullData.name}: ¥%{y:,.0f}<extra></extra>"});
      });
      var layout = {
        title: {text: chart.title},
        barmode: "group",
        margin: {t: 50, r: 20, b: 90, l: 80},
        yaxis: {title: {text: chart.yaxis_title}, tickformat: ",.0f", rangemode: "tozero"},
        xaxis: {automargin: true},
        legend: {orientation: "h", y: 1.08, x: 1, xanchor: "right"},
        font: {family: "PingFang SC, Microsoft YaHei, Noto Sans CJK SC, sans-serif"}
      };
      Plotly.newPlot(target, traces, layout, {responsive: true, displaylogo: false});
    });
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
