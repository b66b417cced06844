/* A risk signal's charts: the provider's refund rate and month-on-month growth against its
   peers' 10th–90th percentile band (ECharts, served from /static/vendor/echarts/). */
(function () {
  "use strict";
  var source = document.getElementById("risk-chart-data");
  var labelSource = document.getElementById("risk-chart-labels");
  if (!source || !labelSource || typeof echarts === "undefined") {
    return;
  }
  var data = JSON.parse(source.textContent);
  var L = JSON.parse(labelSource.textContent);

  function band(low, high) {
    return high.map(function (value, i) {
      return value === null || low[i] === null ? null : value - low[i];
    });
  }

  function draw(name, own, low, high, ownLabel, bandLabel, percent) {
    var element = document.querySelector('[data-chart="' + name + '"]');
    if (!element) {
      return;
    }
    var chart = echarts.init(element, null, { renderer: "canvas" });
    chart.setOption({
      animation: false,
      tooltip: { trigger: "axis" },
      legend: { top: 0, data: [ownLabel, bandLabel] },
      xAxis: { type: "category", data: data.months },
      yAxis: {
        type: "value",
        axisLabel: percent ? { formatter: function (v) { return Math.round(v * 100) + "%"; } } : {}
      },
      series: [
        { name: bandLabel, type: "line", stack: "band", data: low, lineStyle: { opacity: 0 }, symbol: "none" },
        {
          name: bandLabel, type: "line", stack: "band", data: band(low, high),
          lineStyle: { opacity: 0 }, areaStyle: { color: "rgba(37, 99, 235, 0.18)" }, symbol: "none"
        },
        { name: ownLabel, type: "line", data: own, color: "#e8542f" }
      ]
    });
    element.setAttribute("data-drawn", "true");
    window.addEventListener("resize", function () { chart.resize(); });
  }

  draw("risk-refunds", data.provider_refund_rate, data.peer_refund_p10, data.peer_refund_p90,
       L.refund_rate, L.peer_refund, true);
  draw("risk-growth", data.provider_growth, data.peer_growth_p10, data.peer_growth_p90,
       L.growth, L.peer_growth, false);
})();
