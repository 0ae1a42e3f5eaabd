/* cxloop charts: each [data-chart] element is drawn with the vendored ECharts.
   Every chart links to the verbatims behind it (click a point, bar or cell). */
(function () {
  "use strict";
  if (typeof echarts === "undefined") { return; }
  function data(el, name) { try { return JSON.parse(el.getAttribute("data-" + name) || "null"); } catch (e) { return null; } }
  function go(url) { window.location.href = url; }
  function add(base, params) {
    var sep = base.indexOf("?") >= 0 ? "&" : "?";
    var q = Object.keys(params).filter(function (k) { return params[k] !== null && params[k] !== undefined; })
      .map(function (k) { return encodeURIComponent(k) + "=" + encodeURIComponent(params[k]); }).join("&");
    return base + (q ? sep + q : "");
  }
  function lastDay(month) { var p = month.split("-"); var d = new Date(Date.UTC(+p[0], +p[1], 0)); return d.toISOString().slice(0, 10); }
  var draw = {
    trend: function (el) {
      var rows = data(el, "series") || [];
      var months = rows.map(function (r) { return r.month; });
      var nps = rows.map(function (r) { return r.nps.suppressed ? null : r.nps.value; });
      var low = rows.map(function (r) { return r.nps.suppressed ? null : r.nps.low; });
      var band = rows.map(function (r) { return r.nps.suppressed ? null : (r.nps.high - r.nps.low); });
      var vol = rows.map(function (r) { return r.volume; });
      var chart = echarts.init(el);
      chart.setOption({
        tooltip: { trigger: "axis", formatter: function (ps) {
          var r = rows[ps[0].dataIndex];
          return r.month + "<br>NPS " + (r.nps.value === null ? "–" : r.nps.value) + " [" + r.nps.low + ", " + r.nps.high + "] n=" + r.nps.n + "<br>volume " + r.volume;
        } },
        legend: { data: ["NPS", "95% interval", "Volume"] },
        grid: { left: 50, right: 60, bottom: 40, top: 40 },
        xAxis: { type: "category", data: months },
        yAxis: [{ type: "value", name: "NPS", min: -100, max: 100 }, { type: "value", name: "Volume", splitLine: { show: false } }],
        series: [
          { name: "low", type: "line", data: low, stack: "ci", stackStrategy: "all", lineStyle: { opacity: 0 }, symbol: "none", tooltip: { show: false } },
          { name: "95% interval", type: "line", data: band, stack: "ci", stackStrategy: "all", lineStyle: { opacity: 0 }, areaStyle: { color: "#93c5fd", opacity: 0.5 }, symbol: "none" },
          { name: "NPS", type: "line", data: nps, color: "#1d4ed8", symbolSize: 7 },
          { name: "Volume", type: "bar", yAxisIndex: 1, data: vol, color: "#cbd5e1", barMaxWidth: 18 }
        ]
      });
      chart.on("click", function (p) { var m = months[p.dataIndex]; if (m) { go(add(el.getAttribute("data-link"), { since: m + "-01", until: lastDay(m) })); } });
      return chart;
    },
    heatmap: function (el) {
      var cells = data(el, "cells") || [], stages = data(el, "stages") || [], tps = data(el, "touchpoints") || [];
      var points = cells.map(function (c) { return [stages.indexOf(c.stage), tps.indexOf(c.touchpoint), c.nps.suppressed ? null : c.nps.value, c.nps.n, c.volume]; });
      var chart = echarts.init(el);
      chart.setOption({
        tooltip: { formatter: function (p) { var c = cells[p.dataIndex]; return c.stage + " / " + c.touchpoint + "<br>NPS " + (c.nps.value === null ? "–" : c.nps.value) + " [" + c.nps.low + ", " + c.nps.high + "] n=" + c.nps.n + "<br>volume " + c.volume + "<br>click to read the verbatims"; } },
        grid: { left: 160, right: 30, top: 20, bottom: 90 },
        xAxis: { type: "category", data: stages, axisLabel: { rotate: 30 } },
        yAxis: { type: "category", data: tps },
        visualMap: { min: -100, max: 100, dimension: 2, calculable: true, orient: "horizontal", left: "center", bottom: 0, inRange: { color: ["#b91c1c", "#fde68a", "#047857"] } },
        series: [{ type: "heatmap", data: points, label: { show: true, fontSize: 12, lineHeight: 16, formatter: function (p) { return (p.data[2] === null ? "too few" : p.data[2]) + "\nn=" + p.data[3]; } } }]
      });
      chart.on("click", function (p) { var c = cells[p.dataIndex]; go(add(el.getAttribute("data-base"), { stage: c.stage, touchpoint: c.touchpoint === "(any)" ? null : c.touchpoint })); });
      return chart;
    },
    impact: function (el) {
      var rows = (data(el, "rows") || []).filter(function (r) { return r.nps_impact; });
      var chart = echarts.init(el);
      chart.setOption({
        tooltip: { formatter: function (p) { var r = rows[p.dataIndex]; return r.theme + "<br>impact " + r.nps_impact.value + " [" + r.nps_impact.low + ", " + r.nps_impact.high + "]<br>n=" + r.nps_impact.n; } },
        grid: { left: 170, right: 30, top: 10, bottom: 30 },
        xAxis: { type: "value", name: "NPS points" },
        yAxis: { type: "category", data: rows.map(function (r) { return r.theme; }) },
        series: [{ type: "bar", data: rows.map(function (r) { return { value: r.nps_impact.value, itemStyle: { color: r.nps_impact.value < 0 ? "#b91c1c" : "#047857" } }; }) }]
      });
      chart.on("click", function (p) { go("/verbatims?theme=" + rows[p.dataIndex].theme_id); });
      return chart;
    },
    scatter: function (el) {
      var rows = data(el, "rows") || [], xk = el.getAttribute("data-x"), yk = el.getAttribute("data-y"), lk = el.getAttribute("data-label");
      var chart = echarts.init(el);
      chart.setOption({
        tooltip: { formatter: function (p) { var r = rows[p.dataIndex]; return r[lk] + "<br>" + xk + " " + r[xk] + "<br>" + yk + " " + r[yk] + (r.n !== undefined ? "<br>n=" + r.n : ""); } },
        grid: { left: 60, right: 30, top: 20, bottom: 50 },
        xAxis: { type: "value", name: xk, nameLocation: "middle", nameGap: 30 },
        yAxis: { type: "value", name: yk },
        series: [{ type: "scatter", symbolSize: 14, data: rows.map(function (r) { return [r[xk], r[yk]]; }), label: { show: true, position: "right", formatter: function (p) { return rows[p.dataIndex][lk]; } } }]
      });
      chart.on("click", function (p) { var r = rows[p.dataIndex]; var link = r._link || ("/verbatims?q=" + encodeURIComponent(r[lk])); go(link); });
      return chart;
    },
    bars: function (el) {
      var rows = data(el, "rows") || [], xk = el.getAttribute("data-x"), lk = el.getAttribute("data-label");
      var chart = echarts.init(el);
      chart.setOption({
        tooltip: { formatter: function (p) { var r = rows[p.dataIndex]; return r[lk] + "<br>" + xk + " " + r[xk] + (r.n !== undefined ? "<br>n=" + r.n : ""); } },
        grid: { left: 170, right: 30, top: 10, bottom: 30 },
        xAxis: { type: "value", name: xk },
        yAxis: { type: "category", data: rows.map(function (r) { return String(r[lk]); }) },
        series: [{ type: "bar", data: rows.map(function (r) { return r[xk]; }), color: "#1d4ed8" }]
      });
      chart.on("click", function (p) { var r = rows[p.dataIndex]; go(r._link || ("/verbatims?q=" + encodeURIComponent(r[lk]))); });
      return chart;
    },
    intervals: function (el) {
      /* One row per item: a point estimate with its 95% interval; click opens its verbatims. */
      var rows = (data(el, "rows") || []).filter(function (r) { return r.value !== null && r.value !== undefined; });
      var target = el.getAttribute("data-target-key");
      var chart = echarts.init(el);
      var series = [{
        type: "custom",
        renderItem: function (params, api) {
          var lo = api.coord([api.value(1), api.value(0)]), hi = api.coord([api.value(2), api.value(0)]), mid = api.coord([api.value(3), api.value(0)]);
          return { type: "group", children: [
            { type: "line", shape: { x1: lo[0], y1: lo[1], x2: hi[0], y2: hi[1] }, style: { stroke: "#1d4ed8", lineWidth: 3 } },
            { type: "circle", shape: { cx: mid[0], cy: mid[1], r: 6 }, style: { fill: api.value(3) < 0 ? "#b91c1c" : "#047857" } }
          ] };
        },
        encode: { x: [1, 2, 3], y: 0 },
        data: rows.map(function (r, i) { return [i, r.low === null ? r.value : r.low, r.high === null ? r.value : r.high, r.value]; })
      }];
      if (target) {
        series.push({ type: "scatter", symbol: "diamond", symbolSize: 14, color: "#f59e0b", name: "target", data: rows.map(function (r, i) { return [r[target], i]; }) });
      }
      chart.setOption({
        tooltip: { formatter: function (p) { var r = rows[p.dataIndex]; return r.label + "<br>" + r.value + " [" + r.low + ", " + r.high + "]" + (r.n !== undefined ? "<br>n=" + r.n : "") + (target ? "<br>target " + r[target] : ""); } },
        grid: { left: 190, right: 40, top: 20, bottom: 40 },
        xAxis: { type: "value", name: el.getAttribute("data-x-name") || "", nameLocation: "middle", nameGap: 26, scale: true },
        yAxis: { type: "category", data: rows.map(function (r) { return r.label; }) },
        series: series
      });
      chart.on("click", function (p) { var r = rows[p.dataIndex]; if (r && r.link) { go(r.link); } });
      return chart;
    },
    spark: function (el) {
      var pts = data(el, "points") || [];
      var chart = echarts.init(el);
      chart.setOption({ grid: { left: 0, right: 0, top: 2, bottom: 2 }, xAxis: { type: "category", show: false, data: pts.map(function (p) { return p.month; }) }, yAxis: { type: "value", show: false }, series: [{ type: "line", data: pts.map(function (p) { return p.n; }), symbol: "none", color: "#1d4ed8" }] });
      return chart;
    }
  };
  var charts = [];
  document.querySelectorAll("[data-chart]").forEach(function (el) {
    var f = draw[el.getAttribute("data-chart")];
    if (f) { try { charts.push(f(el)); } catch (e) { el.textContent = "chart unavailable: " + e; } }
  });
  window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });
  /* Confirm destructive buttons. */
  document.querySelectorAll("[data-confirm]").forEach(function (el) {
    el.addEventListener("click", function (ev) { if (!window.confirm(el.getAttribute("data-confirm"))) { ev.preventDefault(); } });
  });
})();
