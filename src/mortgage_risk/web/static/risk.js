/* Draws the portfolio risk charts (heat maps, lines, bars) from the JSON block in the page
   with the local Plotly; no inline script, so the CSP stays strict. */
(function () {
  "use strict";

  var FONT = {family: "PingFang SC, Microsoft YaHei, Noto Sans CJK SC, sans-serif"};

  function baseLayout(chart) {
    return {
      title: {text: chart.title},
      margin: {t: 50, r: 20, b: 90, l: 90},
      legend: {orientation: "h", y: 1.08, x: 1, xanchor: "right"},
      font: FONT
    };
  }

  function heatmap(chart) {
    var text = chart.counts.map(function (row, i) {
      return row.map(function (n, j) {
        var z = chart.z[i][j];
        return (z === null ? "—" : z.toFixed(1) + "%") + "<br>(" + n + ")";
      });
    });
    var trace = {
      type: "heatmap", x: chart.x, y: chart.y, z: chart.z, text: text,
      texttemplate: "%{text}", hovertemplate: "%{y} → %{x}: %{text}<extra></extra>",
      zmin: 0, zmax: 100, colorscale: [[0, "#f5f7fa"], [0.05, "#fef0c7"], [0.3, "#f79009"],
                                       [1, "#b42318"]],
      colorbar: {title: {text: "%"}, ticksuffix: "%"}
    };
    var layout = baseLayout(chart);
    layout.xaxis = {title: {text: chart.x_title}, side: "bottom", automargin: true};
    layout.yaxis = {title: {text: chart.y_title}, autorange: "reversed", automargin: true};
    return {traces: [trace], layout: layout};
  }

  function lines(chart) {
    var traces = chart.traces.map(function (t) {
      return {type: "scatter", mode: "lines", name: t.name, x: t.x, y: t.y,
              hovertemplate: t.name + " · %{x}: %{y:.2f}%<extra></extra>"};
    });
    var layout = baseLayout(chart);
    layout.xaxis = {title: {text: chart.x_title}};
    layout.yaxis = {title: {text: chart.y_title}, ticksuffix: "%", rangemode: "tozero"};
    layout.legend = {orientation: "v"};
    return {traces: traces, layout: layout};
  }

  function bars(chart, money) {
    var traces = chart.traces.map(function (t) {
      return {type: "bar", name: t.name, x: t.x, y: t.y,
              hovertemplate: money ? "%{x}<br>" + t.name + ": ¥%{y:,.0f}<extra></extra>"
                                   : "%{x}<br>" + t.name + ": %{y:.2f}%<extra></extra>"};
    });
    var layout = baseLayout(chart);
    layout.barmode = "group";
    layout.xaxis = {automargin: true};
    layout.yaxis = money ? {title: {text: chart.y_title}, tickformat: ",.0f", rangemode: "tozero"}
                         : {title: {text: chart.y_title}, ticksuffix: "%", rangemode: "tozero"};
    if (chart.threshold !== undefined && chart.threshold !== null) {
      layout.shapes = [{type: "line", xref: "paper", x0: 0, x1: 1, y0: chart.threshold,
                        y1: chart.threshold, line: {color: "#b42318", dash: "dash", width: 2}}];
      layout.annotations = [{xref: "paper", x: 1, xanchor: "right", y: chart.threshold,
                             yanchor: "bottom", showarrow: false, font: {color: "#b42318"},
                             text: chart.threshold_name + " " + chart.threshold + "%"}];
    }
    return {traces: traces, layout: layout};
  }

  var KINDS = {
    heatmap: heatmap,
    line: lines,
    bar: function (c) { return bars(c, false); },
    money_bar: function (c) { return bars(c, true); }
  };

  function draw() {
    var block = document.getElementById("risk-chart-data");
    if (!block || typeof Plotly === "undefined") {
      return;
    }
    var charts = JSON.parse(block.textContent);
    Object.keys(charts).forEach(function (key) {
      var target = document.getElementById("chart-" + key);
      var chart = charts[key];
      if (!target || !chart || !KINDS[chart.kind]) {
        return;
      }
      var figure = KINDS[chart.kind](chart);
      Plotly.newPlot(target, figure.traces, figure.layout, {responsive: true, displaylogo: false});
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
