/* The fund dashboard's charts: ECharts (served from /static/vendor/echarts/) fed by the page's
   json_script "investments-data". Amounts arrive in fen and are drawn in 亿元. */
(function () {
  "use strict";
  var source = document.getElementById("investments-data");
  if (!source || typeof echarts === "undefined") {
    return;
  }
  var data = JSON.parse(source.textContent);
  var L = data.labels;
  var YI_FEN = 1e10;
  var palette = ["#2563eb", "#d97706", "#7c3aed", "#15803d", "#e8542f"];
  var charts = [];

  function yi(fen) {
    return fen === null ? null : Math.round((fen / YI_FEN) * 100) / 100;
  }

  function draw(name, option) {
    var element = document.querySelector('[data-chart="' + name + '"]');
    if (!element) {
      return;
    }
    var chart = echarts.init(element, null, { renderer: "canvas" });
    option.color = option.color || palette;
    option.textStyle = { fontFamily: "Noto Sans CJK SC, PingFang SC, Microsoft YaHei, sans-serif" };
    option.animation = false;
    chart.setOption(option);
    element.setAttribute("data-drawn", "true");
    charts.push(chart);
  }

  var c = data.capacity;
  var parts = [
    [L.invested, c.invested],
    [L.reserved, c.reserved],
    [L.fees, c.fees],
    [L.available, Math.max(c.available, 0)]
  ];
  draw("capacity", {
    tooltip: { trigger: "item" },
    legend: { top: 0 },
    // the category label ("认缴", "Committed") sized by ECharts, not a fixed margin that cuts it
    grid: { left: 10, right: 20, top: 40, bottom: 20, containLabel: true },
    xAxis: { type: "value", name: L.yi },
    yAxis: { type: "category", data: [L.committed] },
    series: parts.map(function (part) {
      return { name: part[0], type: "bar", stack: "capacity", data: [yi(part[1])] };
    })
  });

  draw("jcurve", {
    tooltip: { trigger: "axis" },
    grid: { left: 50, right: 20, top: 30, bottom: 30 },
    xAxis: { type: "category", data: data.months },
    yAxis: { type: "value", name: L.yi },
    series: [{ name: L.net, type: "line", areaStyle: {}, data: data.net.map(yi) }]
  });

  draw("multiples", {
    tooltip: { trigger: "axis" },
    legend: { top: 0 },
    grid: { left: 40, right: 20, top: 40, bottom: 30 },
    xAxis: { type: "category", data: data.months },
    yAxis: { type: "value" },
    series: [
      { name: L.tvpi, type: "line", data: data.tvpi.map(function (v) { return v === null ? null : Number(v); }) },
      { name: L.dpi, type: "line", data: data.dpi.map(function (v) { return v === null ? null : Number(v); }) }
    ]
  });

  draw("funnel", {
    tooltip: {
      trigger: "item",
      formatter: function (item) {
        var days = item.data.days ? " · " + L.median_days + " " + item.data.days : "";
        return item.name + "：" + item.value + days;
      }
    },
    series: [{ type: "funnel", sort: "none", left: "10%", width: "80%", data: data.funnel }]
  });

  window.addEventListener("resize", function () {
    charts.forEach(function (chart) { chart.resize(); });
  });
})();
