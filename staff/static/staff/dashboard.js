/* The program dashboard's charts: ECharts (served from /static/vendor/echarts/) fed by the
   page's json_script "dashboard-data". Every label comes from the server, translated. */
(function () {
  "use strict";
  var source = document.getElementById("dashboard-data");
  if (!source || typeof echarts === "undefined") {
    return;
  }
  var data = JSON.parse(source.textContent);
  var L = data.labels;
  var palette = ["#e8542f", "#2563eb", "#15803d", "#7c3aed", "#d97706", "#0891b2"];
  var charts = [];

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

  // A chart with nothing to show says so, rather than drawing empty axes or bars.
  function emptyTitle(isEmpty, text) {
    return isEmpty ? { text: text, left: "center", top: "middle", textStyle: { color: "#6b7280", fontSize: 14 } } : undefined;
  }
  function allZero(values) {
    return !values.length || values.every(function (v) { return !v; });
  }

  function targetLine(value, label) {
    if (data.share_of_program) {
      return undefined; // a region manager's counts are a share, not measured against 100 / 200
    }
    return {
      silent: true,
      symbol: "none",
      lineStyle: { type: "dashed" },
      label: { formatter: label + " " + value },
      data: [{ yAxis: value }]
    };
  }

  draw("trend", {
    tooltip: { trigger: "axis" },
    legend: { top: 0 },
    grid: { left: 48, right: 64, top: 36, bottom: 32 },
    xAxis: { type: "category", data: data.trend.months },
    yAxis: { type: "value", minInterval: 1, name: L.providers, max: function (v) { return Math.ceil(Math.max(v.max, data.share_of_program ? 1 : data.targets.at_100m) * 1.1 / 10) * 10; } },
    series: [
      { name: L.at_1b, type: "line", data: data.trend.at_1b, markLine: targetLine(data.targets.at_1b, L.target) },
      { name: L.at_100m, type: "line", data: data.trend.at_100m, markLine: targetLine(data.targets.at_100m, L.target) }
    ]
  });

  draw("forecast", {
    tooltip: { trigger: "axis" },
    legend: { top: 0 },
    grid: { left: 48, right: 64, top: 36, bottom: 32 },
    xAxis: { type: "category", data: data.forecast.quarters },
    yAxis: { type: "value", minInterval: 1, name: L.providers },
    series: [
      { name: L.at_1b, type: "bar", data: data.forecast.at_1b, markLine: targetLine(data.targets.at_1b, L.target) },
      { name: L.at_100m, type: "bar", data: data.forecast.at_100m, markLine: targetLine(data.targets.at_100m, L.target) }
    ]
  });

  draw("tiers", {
    title: emptyTitle(allZero(data.tiers.map(function (t) { return t.value; })), L.no_tiers),
    tooltip: { trigger: "item", formatter: "{b}：{c}（{d}%）" },
    legend: { bottom: 0 },
    series: [{ name: L.tiers, type: "pie", radius: ["35%", "65%"], data: data.tiers, label: { formatter: "{b}\n{c}" } }]
  });

  draw("pools", {
    title: emptyTitle(!data.pools.length, L.no_pools),
    tooltip: { trigger: "axis", valueFormatter: function (v) { return v + "%"; } },
    grid: { left: 48, right: 24, top: 24, bottom: 48 },
    xAxis: { type: "category", data: data.pools.map(function (p) { return p.name; }), axisLabel: { interval: 0, width: 120, overflow: "break" } },
    yAxis: { type: "value", max: 100, name: L.utilisation },
    series: [{ name: L.utilisation, type: "bar", barMaxWidth: 48, data: data.pools.map(function (p) { return p.utilisation; }), label: { show: true, position: "top", formatter: "{c}%" } }]
  });

  draw("funnel", {
    title: emptyTitle(allZero(data.funnel.map(function (s) { return s.value; })), L.no_applicants),
    tooltip: { trigger: "item", formatter: "{b}：{c}" },
    series: [{
      // Empty stages stay empty (no minimum width): a bar for zero applicants would mislead.
      name: L.funnel, type: "funnel", sort: "none", left: "10%", width: "80%", minSize: "0%",
      min: 0, max: Math.max(1, Math.max.apply(null, data.funnel.map(function (s) { return s.value; }))),
      data: data.funnel, label: { formatter: "{b}  {c}" }
    }]
  });

  draw("scores", {
    title: data.scores.series.length ? undefined : { text: L.no_scores, left: "center", top: "middle", textStyle: { color: "#6b7280", fontSize: 14 } },
    tooltip: { trigger: "axis" },
    legend: { top: 0 },
    grid: { left: 48, right: 24, top: 48, bottom: 32 },
    xAxis: { type: "category", data: data.scores.buckets, name: L.score },
    yAxis: { type: "value", minInterval: 1, name: L.providers },
    series: data.scores.series.map(function (s) { return { name: s.name, type: "bar", data: s.data }; })
  });

  function breakdown(name, rows) {
    draw(name, {
      tooltip: { trigger: "axis" },
      legend: { top: 0 },
      grid: { left: 48, right: 24, top: 36, bottom: 48 },
      xAxis: { type: "category", data: rows.labels, axisLabel: { interval: 0, rotate: rows.labels.length > 6 ? 30 : 0 } },
      yAxis: { type: "value", minInterval: 1, name: L.providers },
      series: [
        { name: L.providers, type: "bar", data: rows.providers },
        { name: L.at_100m, type: "bar", data: rows.at_100m },
        { name: L.at_1b, type: "bar", data: rows.at_1b }
      ]
    });
  }
  breakdown("regions", data.regions);
  breakdown("types", data.types);

  window.addEventListener("resize", function () {
    charts.forEach(function (chart) { chart.resize(); });
  });
  document.documentElement.setAttribute("data-charts-drawn", String(charts.length));
})();
