/*
 * 12393 坐席工作台 — small SVG charts of our own (no library, no CDN): window.Charts.
 *   Charts.bar(el, {labels, series: [{name, values, color}], stacked, yTitle, labelEvery, height})
 *   Charts.hbar(el, {labels, values, color, format})        horizontal bars for ranked lists
 *   Charts.line(el, {labels, series: [{name, values, color, dashed}], yTitle, labelEvery, height})
 * Every chart has axes with tick labels, a legend when there is more than one series, and a
 * <title> tooltip on each bar and point. Bars are <rect class="bar">, points <circle class="point">;
 * zero values draw no bar, null values draw no point (a gap in the line).
 */
(function () {
  "use strict";

  var NS = "http://www.w3.org/2000/svg";
  var PALETTE = ["#0b5cad", "#e07b00", "#2a9d55", "#b8336a", "#6a4fb3", "#5d6b7a"];
  var W = 760;

  function el(name, attrs, parent) {
    var node = document.createElementNS(NS, name);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (parent) parent.appendChild(node);
    return node;
  }

  function text(parent, x, y, value, attrs) {
    var node = el("text", Object.assign({ x: x, y: y }, attrs || {}), parent);
    node.textContent = value;
    return node;
  }

  function tooltip(node, value) {
    el("title", {}, node).textContent = value;
  }

  function fmt(v) {
    if (v === null || v === undefined) return "—";
    return Math.round(v) === v ? String(v) : v.toFixed(2).replace(/0+$/, "").replace(/\.$/, "");
  }

  /* A round upper bound and its tick step for values up to max. */
  function niceScale(max) {
    if (!(max > 0)) return { max: 1, step: 0.25 };
    var raw = max / 5;
    var mag = Math.pow(10, Math.floor(Math.log10(raw)));
    var step = [1, 2, 2.5, 5, 10].map(function (m) { return m * mag; }).find(function (s) { return s >= raw; });
    if (max >= 4 && step < 1) step = 1;
    return { max: Math.ceil(max / step) * step, step: step };
  }

  function frame(container, opts, seriesNames) {
    container.innerHTML = "";
    var height = opts.height || 260;
    var legend = seriesNames.length > 1 ? 24 : 0;
    var m = { left: 52, right: 14, top: 14 + legend, bottom: 44 };
    var svg = el("svg", {
      viewBox: "0 0 " + W + " " + height, width: "100%", role: "img", class: "chart",
      "aria-label": opts.title || "",
      preserveAspectRatio: "xMidYMid meet"
    }, container);
    seriesNames.forEach(function (s, i) {
      if (seriesNames.length < 2) return;
      var x = m.left + i * 120;
      el("rect", { x: x, y: 6, width: 12, height: 12, fill: s.color, class: "legend-key" }, svg);
      text(svg, x + 17, 16, s.name, { class: "legend", "font-size": 12 });
    });
    return { svg: svg, m: m, w: W - m.left - m.right, h: height - m.top - m.bottom, height: height };
  }

  function yAxis(f, scale, title) {
    var g = el("g", { class: "axis y-axis" }, f.svg);
    for (var v = 0; v <= scale.max + 1e-9; v += scale.step) {
      var y = f.m.top + f.h - (v / scale.max) * f.h;
      el("line", { x1: f.m.left, x2: f.m.left + f.w, y1: y, y2: y, stroke: v ? "#e6eaf0" : "#8a96a3" }, g);
      text(g, f.m.left - 6, y + 4, fmt(Math.round(v * 100) / 100), { "text-anchor": "end", "font-size": 11 });
    }
    if (title) {
      text(g, 12, f.m.top + f.h / 2, title, {
        "font-size": 11, "text-anchor": "middle", transform: "rotate(-90 12 " + (f.m.top + f.h / 2) + ")"
      });
    }
  }

  function xLabels(f, labels, every, center) {
    var g = el("g", { class: "axis x-axis" }, f.svg);
    var n = labels.length;
    every = every || Math.max(1, Math.ceil(n / 14));
    labels.forEach(function (label, i) {
      if (i % every !== 0) return;
      var x = center(i);
      text(g, x, f.m.top + f.h + 16, label, { "text-anchor": "middle", "font-size": 11 });
    });
  }

  function empty(f) {
    text(f.svg, f.m.left + f.w / 2, f.m.top + f.h / 2, "暂无数据", {
      "text-anchor": "middle", class: "empty", fill: "#8a96a3"
    });
  }

  function colored(series) {
    return series.map(function (s, i) { return Object.assign({ color: PALETTE[i % PALETTE.length] }, s); });
  }

  /* Vertical bars, grouped side by side or stacked, one group per label. */
  function bar(container, opts) {
    var series = colored(opts.series || []);
    var labels = opts.labels || [];
    var f = frame(container, opts, series);
    var totals = labels.map(function (_, i) {
      return opts.stacked
        ? series.reduce(function (a, s) { return a + (s.values[i] || 0); }, 0)
        : Math.max.apply(null, series.map(function (s) { return s.values[i] || 0; }).concat([0]));
    });
    var scale = niceScale(Math.max.apply(null, totals.concat([0])));
    yAxis(f, scale, opts.yTitle);
    var slot = f.w / Math.max(labels.length, 1);
    var inner = slot * 0.72;
    var g = el("g", { class: "bars" }, f.svg);
    labels.forEach(function (label, i) {
      var base = f.m.top + f.h;
      series.forEach(function (s, j) {
        var v = s.values[i] || 0;
        if (v <= 0) return;
        var hgt = (v / scale.max) * f.h;
        var width = opts.stacked ? inner : inner / series.length;
        var x = f.m.left + i * slot + (slot - inner) / 2 + (opts.stacked ? 0 : j * width);
        var y = opts.stacked ? base - hgt : f.m.top + f.h - hgt;
        var r = el("rect", {
          x: x.toFixed(1), y: y.toFixed(1), width: Math.max(width - 1, 1).toFixed(1), height: hgt.toFixed(1),
          fill: s.color, class: "bar", "data-series": s.name, "data-label": label, "data-value": v
        }, g);
        tooltip(r, label + (series.length > 1 ? " · " + s.name : "") + "：" + fmt(v));
        if (opts.stacked) base -= hgt;
      });
    });
    xLabels(f, labels, opts.labelEvery, function (i) { return f.m.left + i * slot + slot / 2; });
    if (!totals.some(function (t) { return t > 0; })) empty(f);
    return f.svg;
  }

  /* Horizontal bars for a ranked list (topics, rules): the label left of each bar, the value right. */
  function hbar(container, opts) {
    container.innerHTML = "";
    var labels = opts.labels || [];
    var values = opts.values || [];
    var rowH = 26;
    var labelW = opts.labelWidth || 220;
    var height = Math.max(labels.length, 1) * rowH + 28;
    var svg = el("svg", {
      viewBox: "0 0 " + W + " " + height, width: "100%", role: "img", class: "chart hbar",
      "aria-label": opts.title || ""
    }, container);
    var max = niceScale(Math.max.apply(null, values.concat([0]))).max;
    var width = W - labelW - 70;
    var format = opts.format || fmt;
    var g = el("g", { class: "bars" }, svg);
    el("line", { x1: labelW, x2: labelW, y1: 4, y2: height - 20, stroke: "#8a96a3", class: "axis" }, svg);
    labels.forEach(function (label, i) {
      var y = 6 + i * rowH;
      var short = label.length > 16 ? label.slice(0, 15) + "…" : label;
      text(svg, labelW - 8, y + 15, short, { "text-anchor": "end", "font-size": 12, class: "axis" });
      var v = values[i] || 0;
      var w = (v / max) * width;
      if (v > 0) {
        var r = el("rect", {
          x: labelW, y: y + 3, width: w.toFixed(1), height: rowH - 8, fill: opts.color || PALETTE[0],
          class: "bar", "data-label": label, "data-value": v
        }, g);
        tooltip(r, label + "：" + format(v));
      }
      text(svg, labelW + w + 6, y + 15, format(v), { "font-size": 12, class: "value" });
    });
    text(svg, labelW, height - 6, "0", { "font-size": 11, "text-anchor": "middle", class: "axis" });
    text(svg, labelW + width, height - 6, format(max), { "font-size": 11, "text-anchor": "middle", class: "axis" });
    if (!labels.length) text(svg, W / 2, 20, "暂无数据", { "text-anchor": "middle", class: "empty", fill: "#8a96a3" });
    return svg;
  }

  /* Lines with a point per value; null values break the line. */
  function line(container, opts) {
    var series = colored(opts.series || []);
    var labels = opts.labels || [];
    var f = frame(container, opts, series);
    var all = [];
    series.forEach(function (s) { s.values.forEach(function (v) { if (v !== null && v !== undefined) all.push(v); }); });
    var scale = niceScale(Math.max.apply(null, all.concat([0])));
    yAxis(f, scale, opts.yTitle);
    var n = labels.length;
    var step = n > 1 ? f.w / (n - 1) : 0;
    function x(i) { return f.m.left + (n > 1 ? i * step : f.w / 2); }
    function y(v) { return f.m.top + f.h - (v / scale.max) * f.h; }
    series.forEach(function (s) {
      var g = el("g", { class: "series", "data-series": s.name }, f.svg);
      var d = "";
      var pen = false;
      s.values.forEach(function (v, i) {
        if (v === null || v === undefined) { pen = false; return; }
        d += (pen ? "L" : "M") + x(i).toFixed(1) + " " + y(v).toFixed(1);
        pen = true;
      });
      if (d) {
        el("path", {
          d: d, fill: "none", stroke: s.color, "stroke-width": 2, class: "line",
          "stroke-dasharray": s.dashed ? "5 4" : "none"
        }, g);
      }
      s.values.forEach(function (v, i) {
        if (v === null || v === undefined) return;
        var c = el("circle", {
          cx: x(i).toFixed(1), cy: y(v).toFixed(1), r: n > 60 ? 2.2 : 3.5, fill: s.color,
          class: "point", "data-series": s.name, "data-value": v
        }, g);
        tooltip(c, labels[i] + " · " + s.name + "：" + fmt(v));
      });
    });
    xLabels(f, labels, opts.labelEvery, x);
    if (!all.length) empty(f);
    return f.svg;
  }

  window.Charts = { bar: bar, hbar: hbar, line: line, niceScale: niceScale, palette: PALETTE };
})();
