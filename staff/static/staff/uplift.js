/* The uplift study's event-study chart: the effect by months since the first grant with its 95 %
   confidence band, ECharts fed by the page's json_script "uplift-data" (no inline script: CSP). */
(function () {
  "use strict";
  var source = document.getElementById("uplift-data");
  var element = document.querySelector('[data-chart="event-study"]');
  if (!source || !element || typeof echarts === "undefined") {
    return;
  }
  var data = JSON.parse(source.textContent);
  var L = data.labels;
  var months = data.events.map(function (row) { return String(row.e); });
  var low = data.events.map(function (row) { return row.low; });
  var width = data.events.map(function (row) { return row.high - row.low; });
  var estimate = data.events.map(function (row) { return row.estimate; });
  var chart = echarts.init(element, null, { renderer: "canvas" });
  chart.setOption({
    animation: false,
    textStyle: { fontFamily: "Noto Sans CJK SC, PingFang SC, Microsoft YaHei, sans-serif" },
    tooltip: {
      trigger: "axis",
      formatter: function (items) {
        var i = items[0].dataIndex;
        var row = data.events[i];
        return L.months + " " + row.e + "<br>" + L.effect + " " + row.estimate.toFixed(4) +
          "<br>" + L.band + " [" + row.low.toFixed(4) + ", " + row.high.toFixed(4) + "]";
      }
    },
    grid: { left: 64, right: 24, top: 24, bottom: 40 },
    xAxis: { type: "category", data: months, name: L.months, nameLocation: "middle", nameGap: 26 },
    yAxis: { type: "value", name: L.effect },
    series: [
      { name: "low", type: "line", data: low, stack: "band", stackStrategy: "all", symbol: "none", lineStyle: { opacity: 0 } },
      {
        name: L.band, type: "line", data: width, stack: "band", stackStrategy: "all", symbol: "none",
        lineStyle: { opacity: 0 }, areaStyle: { color: "#2563eb", opacity: 0.18 }
      },
      {
        name: L.effect, type: "line", data: estimate, symbolSize: 5, itemStyle: { color: "#1d4ed8" },
        markLine: { silent: true, symbol: "none", data: [{ yAxis: 0 }], lineStyle: { color: "#64748b" } }
      }
    ]
  });
  element.setAttribute("data-drawn", "true");
  window.addEventListener("resize", function () { chart.resize(); });
})();
