/* The allocation review's distribution chart: lines per band of granted funds (ECharts from
   /static/vendor/echarts/, figures and translated labels from json_script "allocation-data"). */
(function () {
  "use strict";
  var source = document.getElementById("allocation-data");
  var element = document.querySelector('[data-chart="distribution"]');
  if (!source || !element || typeof echarts === "undefined") {
    return;
  }
  var data = JSON.parse(source.textContent);
  var chart = echarts.init(element, null, { renderer: "canvas" });
  chart.setOption({
    animation: false,
    color: ["#e8542f"],
    textStyle: { fontFamily: "Noto Sans CJK SC, PingFang SC, Microsoft YaHei, sans-serif" },
    tooltip: { trigger: "axis" },
    grid: { left: 56, right: 16, top: 36, bottom: 72 },
    xAxis: {
      type: "category",
      name: data.labels.band,
      nameLocation: "middle",
      nameGap: 56,
      data: data.distribution.map(function (b) { return b.label; }),
      axisLabel: { rotate: 30, fontSize: 10 }
    },
    yAxis: { type: "value", name: data.labels.lines, minInterval: 1 },
    series: [{ name: data.labels.lines, type: "bar", data: data.distribution.map(function (b) { return b.lines; }) }]
  });
  element.setAttribute("data-drawn", "true");
  window.addEventListener("resize", function () { chart.resize(); });
})();
