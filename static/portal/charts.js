/* The portal's charts: a radar of the five capabilities against the cohort median, and a trend
   line per capability. Data come from json_script elements the page renders; ECharts is served
   by the portal itself (static/vendor/echarts, installed from npm). */
(function () {
  "use strict";
  var ACCENT = "#e8542f";
  var MEDIAN = "#64748b";
  var charts = [];

  function data(id) {
    var element = document.getElementById(id);
    return element ? JSON.parse(element.textContent) : null;
  }

  // Long (English) axis names go on two lines, so a phone does not clip them.
  function wrap(name) {
    if (name.length <= 12 || name.indexOf(" ") < 0) {
      return name;
    }
    var middle = Math.floor(name.length / 2);
    var before = name.lastIndexOf(" ", middle);
    var after = name.indexOf(" ", middle);
    var cut = before < 0 || (after >= 0 && after - middle < middle - before) ? after : before;
    return name.slice(0, cut) + "\n" + name.slice(cut + 1);
  }

  function radar(element, source) {
    var narrow = element.clientWidth < 420;
    return {
      animation: false,
      color: [ACCENT, MEDIAN],
      legend: { bottom: 0, data: source.series.map(function (s) { return s.name; }) },
      tooltip: { trigger: "item" },
      radar: {
        indicator: source.indicators,
        radius: narrow ? "54%" : "66%",
        center: ["50%", "48%"],
        splitNumber: 4,
        axisName: { color: "#1f2430", fontSize: narrow ? 11 : 13, formatter: wrap },
      },
      series: [{
        type: "radar",
        data: source.series.map(function (s, index) {
          return {
            name: s.name,
            value: s.value,
            areaStyle: index === 0 ? { opacity: 0.25 } : undefined,
            lineStyle: index === 1 ? { type: "dashed" } : undefined,
          };
        }),
      }],
    };
  }

  function trend(element, source) {
    var series = source[element.dataset.kind] || { months: [], values: [] };
    return {
      animation: false,
      color: [ACCENT],
      grid: { left: 32, right: 12, top: 12, bottom: 24 },
      tooltip: { trigger: "axis" },
      xAxis: {
        type: "category",
        data: series.months.map(function (m) { return m.slice(2); }),
        axisLabel: { fontSize: 10 },
      },
      yAxis: { type: "value", min: 0, max: 100, interval: 25, name: element.dataset.unit || "", nameTextStyle: { fontSize: 10 }, axisLabel: { fontSize: 10 } },
      series: [{ type: "line", data: series.values, symbolSize: 5, smooth: false, name: series.label }],
    };
  }

  // A provider's own fan: the 10 % line, the band's width stacked on it, the median, and the
  // next target's threshold as a line (yuan).
  function fan(element, source) {
    var series = [
      { type: "line", stack: "band", data: source.low, symbol: "none", lineStyle: { opacity: 0 }, silent: true },
      { type: "line", stack: "band", data: source.band, symbol: "none", lineStyle: { opacity: 0 }, areaStyle: { color: ACCENT, opacity: 0.2 } },
      { type: "line", data: source.median, symbol: "none", lineStyle: { color: ACCENT } },
    ];
    if (source.threshold) {
      series[2].markLine = { silent: true, symbol: "none", data: [{ yAxis: source.threshold }], lineStyle: { color: MEDIAN, type: "dashed" } };
    }
    return {
      animation: false,
      grid: { left: 56, right: 12, top: 12, bottom: 24 },
      xAxis: { type: "category", data: source.months.map(function (m) { return m.slice(2); }), boundaryGap: false, axisLabel: { fontSize: 10 } },
      yAxis: { type: "value", name: element.dataset.unit || "", nameTextStyle: { fontSize: 10 }, axisLabel: { fontSize: 10, formatter: yuan } },
      series: series,
    };
  }

  // Yuan on an axis as the page's language reads them: 万 and 亿, or M and B in English.
  function yuan(v) {
    if ((document.documentElement.lang || "").indexOf("en") === 0) {
      return v >= 1e9 ? v / 1e9 + "B" : v / 1e6 + "M";
    }
    return v >= 1e8 ? v / 1e8 + "亿" : v / 1e4 + "万";
  }

  function filled(values) {
    return (values || []).some(function (v) { return v !== null && v !== undefined && v !== ""; });
  }

  // A chart with nothing to show says so (the element's data-empty) instead of empty axes.
  var empties = {
    radar: function (element, source) {
      return !(source.series || []).some(function (s) { return filled(s.value); });
    },
    trend: function (element, source) {
      return !filled((source[element.dataset.kind] || {}).values);
    },
    fan: function (element, source) { return !filled(source.median); },
  };

  function draw() {
    if (typeof window.echarts === "undefined") {
      return;
    }
    var builders = { radar: radar, trend: trend, fan: fan };
    document.querySelectorAll("[data-chart]").forEach(function (element) {
      var source = data(element.dataset.source);
      var build = builders[element.dataset.chart];
      if (!source || !build) {
        return;
      }
      if (empties[element.dataset.chart](element, source)) {
        element.textContent = element.dataset.empty || "";
        element.classList.add("chart-empty");
        element.dataset.drawn = "empty";
        return;
      }
      var chart = window.echarts.init(element, null, { renderer: "canvas" });
      chart.setOption(build(element, source));
      element.dataset.drawn = "true";
      charts.push(chart);
    });
  }

  window.addEventListener("resize", function () {
    charts.forEach(function (chart) { chart.resize(); });
  });
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
