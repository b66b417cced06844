/* The STEPS page's charts: a Sankey of stage-to-stage moves and Kaplan–Meier time-to-stage curves,
   ECharts (served from /static/vendor/echarts/) fed by the page's json_script "steps-data". */
(function () {
  "use strict";
  var source = document.getElementById("steps-data");
  if (!source || typeof echarts === "undefined") {
    return;
  }
  var data = JSON.parse(source.textContent);
  var L = data.labels;
  var font = { fontFamily: "Noto Sans CJK SC, PingFang SC, Microsoft YaHei, sans-serif" };
  var charts = [];

  function draw(name, option) {
    var element = document.querySelector('[data-chart="' + name + '"]');
    if (!element) {
      return;
    }
    var chart = echarts.init(element, null, { renderer: "canvas" });
    option.textStyle = font;
    option.animation = false;
    chart.setOption(option);
    element.setAttribute("data-drawn", "true");
    charts.push(chart);
  }

  var used = {};
  data.sankey.links.forEach(function (link) {
    used[link.source] = true;
    used[link.target] = true;
  });
  var nodes = data.sankey.nodes.filter(function (node) { return used[node.name]; });
  if (nodes.length) {
    draw("sankey", {
      tooltip: { trigger: "item" },
      series: [{
        type: "sankey",
        left: 8, right: 120, top: 8, bottom: 8,
        nodeAlign: "justify",
        data: nodes,
        links: data.sankey.links.map(function (link) {
          return {
            source: link.source,
            target: link.target,
            value: link.value,
            lineStyle: { color: link.direction === "forward" ? "#15803d" : "#e8542f", opacity: 0.35 }
          };
        }),
        emphasis: { focus: "adjacency" }
      }]
    });
  } else {
    var empty = document.querySelector('[data-chart="sankey"]');
    if (empty) { empty.textContent = L.no_moves; }
  }

  draw("km", {
    tooltip: { trigger: "axis" },
    legend: { top: 0 },
    grid: { left: 48, right: 24, top: 40, bottom: 36 },
    xAxis: { type: "value", name: L.months, minInterval: 1 },
    yAxis: { type: "value", name: L.reached, min: 0, max: 100 },
    series: data.km.map(function (curve) {
      return { name: curve.name, type: "line", step: "end", showSymbol: false, data: curve.points };
    })
  });

  window.addEventListener("resize", function () {
    charts.forEach(function (chart) { chart.resize(); });
  });
})();
