/*
 * 12393 坐席工作台 — small SVG charts of our own (no library, no CDN): window.Charts.
 *   Charts.bar(el, {labels, series: [{name, values, color}], stacked, unit, yTitle, labelEvery, height})
 *   Charts.hbar(el, {labels, values, color, unit, format(v, i), labelWidth})   ranked horizontal bars
 *   Charts.line(el, {labels, series: [{name, values, color, dashed}], unit, yTitle, labelEvery, height})
 * unit says what the value axis measures and how its ticks read: "count" (default; whole numbers),
 * "percent" (values are shares 0..1; the axis runs 0 %–100 %) or "score" (plain numbers).
 * Charts are drawn at the pixel width of their container (SVG units = CSS pixels), so every text
 * is at least FONT px on screen; call again after the container is resized. Tick labels are
 * <text class="tick"> inside <g class="axis x-axis|y-axis">; bars <rect class="bar">, points
 * <circle class="point">, each with a <title> tooltip. Zero values draw no bar, null values no
 * point (a gap in the line). Labels that would collide are thinned out, never shrunk.
 */
(function () {
  "use strict";

  var NS = "http://www.w3.org/2000/svg";
  var PALETTE = ["#0b5cad", "#e07b00", "#2a9d55", "#b8336a", "#6a4fb3", "#5d6b7a"];
  var FONT = 12;            // px on screen, for every text of every chart
  var FALLBACK_W = 760;     // when the container has no width yet (hidden)

  function el(name, attrs, parent) {
    var node = document.createElementNS(NS, name);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (parent) parent.appendChild(node);
    return node;
  }

  function text(parent, x, y, value, attrs) {
    var node = el("text", Object.assign({ x: x, y: y, "font-size": FONT }, attrs || {}), parent);
    node.textContent = value;
    return node;
  }

  function tooltip(node, value) {
    el("title", {}, node).textContent = value;
  }

  /* Rough width of a text at FONT px: CJK characters and punctuation are square, others about 0.6 em. */
  function textWidth(value) {
    var s = String(value);
    var w = 0;
    for (var i = 0; i < s.length; i++) w += s.charCodeAt(i) >= 0x2000 ? FONT : FONT * 0.62;
    return w;
  }

  function clip(value, maxWidth) {
    var s = String(value);
    if (textWidth(s) <= maxWidth) return s;
    while (s.length > 1 && textWidth(s + "…") > maxWidth) s = s.slice(0, -1);
    return s + "…";
  }

  function fmt(v) {
    if (v === null || v === undefined) return "—";
    return Math.round(v) === v ? String(v) : v.toFixed(2).replace(/0+$/, "").replace(/\.$/, "");
  }

  function pct(v) { return (Math.round(v * 1000) / 10) + "%"; }

  var UNITS = {
    count: { tick: function (v) { return String(Math.round(v)); }, value: fmt, integer: true },
    percent: { tick: pct, value: pct, percent: true },
    score: { tick: fmt, value: fmt }
  };

  function unitOf(opts) {
    var unit = UNITS[opts.unit || "count"];
    if (!unit) throw new Error("unknown chart unit: " + opts.unit);
    return unit;
  }

  /* A round upper bound and tick step for values up to max, with about `ticks` steps. */
  function niceScale(max, unit, ticks) {
    unit = unit || UNITS.score;
    ticks = Math.max(1, ticks || 5);
    if (unit.percent) {
      var steps = [0.1, 0.2, 0.25, 0.5, 1];
      var pick = steps.find(function (s) { return 1 / s <= ticks; }) || 1;
      return { max: 1, step: pick };
    }
    if (!(max > 0)) return { max: 1, step: unit.integer ? 1 : 0.25 };
    var raw = max / ticks;
    var mag = Math.pow(10, Math.floor(Math.log10(raw)));
    var factors = unit.integer ? [1, 2, 5, 10] : [1, 2, 2.5, 5, 10];
    var step = factors.map(function (m) { return m * mag; }).find(function (s) { return s >= raw; });
    if (unit.integer && step < 1) step = 1;
    return { max: Math.ceil(max / step - 1e-9) * step, step: step };
  }

  function ticksOf(scale) {
    var out = [];
    for (var i = 0; i * scale.step <= scale.max + 1e-9; i++) out.push(Math.round(i * scale.step * 1e6) / 1e6);
    return out;
  }

  function widthOf(container) {
    var w = Math.floor(container.getBoundingClientRect().width);
    return w > 0 ? w : FALLBACK_W;
  }

  function svgFor(container, w, height, opts, extraClass) {
    container.innerHTML = "";
    return el("svg", {
      viewBox: "0 0 " + w + " " + height, width: w, height: height, role: "img",
      class: "chart" + (extraClass ? " " + extraClass : ""), "aria-label": opts.title || ""
    }, container);
  }

  /* Legend keys laid out in rows that fit the width; returns the height they take. */
  function legend(svg, series, left, w) {
    if (series.length < 2) return 0;
    var x = left;
    var y = 6;
    series.forEach(function (s) {
      var itemW = 18 + textWidth(s.name) + 16;
      if (x > left && x + itemW > w) { x = left; y += FONT + 8; }
      el("rect", { x: x, y: y, width: 12, height: 12, fill: s.color, class: "legend-key" }, svg);
      text(svg, x + 17, y + 11, s.name, { class: "legend" });
      x += itemW;
    });
    return y + FONT + 10;
  }

  /* The frame of a bar or line chart: legend, value axis with ticks, plot area. */
  function frame(container, opts, series, maxValue) {
    var w = widthOf(container);
    var height = opts.height || 260;
    var svg = svgFor(container, w, height, opts);
    var unit = unitOf(opts);
    var top = Math.max(legend(svg, series, 8, w), 12);
    var bottom = FONT + 18;
    var h = height - top - bottom;
    var scale = niceScale(maxValue, unit, Math.min(6, Math.max(2, Math.floor(h / (FONT * 2.4)))));
    var ticks = ticksOf(scale);
    var labelW = Math.max.apply(null, ticks.map(function (v) { return textWidth(unit.tick(v)); }));
    var left = Math.ceil(labelW) + 10 + (opts.yTitle ? FONT + 8 : 0);
    var f = { svg: svg, unit: unit, scale: scale, m: { left: left, top: top }, w: w - left - 12, h: h, width: w };
    var g = el("g", { class: "axis y-axis" }, svg);
    ticks.forEach(function (v) {
      var y = top + h - (v / scale.max) * h;
      el("line", { x1: left, x2: left + f.w, y1: y, y2: y, stroke: v ? "#e6eaf0" : "#8a96a3" }, g);
      text(g, left - 6, y + FONT / 3, unit.tick(v), { "text-anchor": "end", class: "tick" });
    });
    if (opts.yTitle) {
      var cy = top + h / 2;
      text(g, FONT, cy, opts.yTitle, {
        "text-anchor": "middle", class: "axis-title", transform: "rotate(-90 " + FONT + " " + cy + ")"
      });
    }
    return f;
  }

  /* Category labels under the plot, thinned (in multiples of labelEvery) so none collide. */
  function xLabels(f, labels, every, center, slot) {
    var g = el("g", { class: "axis x-axis" }, f.svg);
    var widest = Math.max.apply(null, labels.map(textWidth).concat([0])) + 8;
    var base = every || 1;
    every = base * Math.max(1, Math.ceil(widest / (base * Math.max(slot, 1))));
    labels.forEach(function (label, i) {
      if (i % every !== 0) return;
      var half = textWidth(label) / 2;
      var x = Math.min(Math.max(center(i), half + 2), f.width - half - 2);
      text(g, x, f.m.top + f.h + FONT + 6, label, { "text-anchor": "middle", class: "label" });
    });
  }

  function empty(f) {
    text(f.svg, f.m.left + f.w / 2, f.m.top + f.h / 2, "暂无数据", {
      "text-anchor": "middle", class: "empty", fill: "#5d6b7a", "font-size": FONT + 2
    });
  }

  function colored(series) {
    return series.map(function (s, i) { return Object.assign({ color: PALETTE[i % PALETTE.length] }, s); });
  }

  /* Vertical bars, grouped side by side or stacked, one group per label. */
  function bar(container, opts) {
    var series = colored(opts.series || []);
    var labels = opts.labels || [];
    var totals = labels.map(function (_, i) {
      return opts.stacked
        ? series.reduce(function (a, s) { return a + (s.values[i] || 0); }, 0)
        : Math.max.apply(null, series.map(function (s) { return s.values[i] || 0; }).concat([0]));
    });
    var f = frame(container, opts, series, Math.max.apply(null, totals.concat([0])));
    var slot = f.w / Math.max(labels.length, 1);
    var inner = slot * 0.72;
    var g = el("g", { class: "bars" }, f.svg);
    labels.forEach(function (label, i) {
      var base = f.m.top + f.h;
      series.forEach(function (s, j) {
        var v = s.values[i] || 0;
        if (v <= 0) return;
        var hgt = (Math.min(v, f.scale.max) / f.scale.max) * f.h;
        var width = opts.stacked ? inner : inner / series.length;
        var x = f.m.left + i * slot + (slot - inner) / 2 + (opts.stacked ? 0 : j * width);
        var y = opts.stacked ? base - hgt : f.m.top + f.h - hgt;
        var r = el("rect", {
          x: x.toFixed(1), y: y.toFixed(1), width: Math.max(width - 1, 1).toFixed(1), height: hgt.toFixed(1),
          fill: s.color, class: "bar", "data-series": s.name, "data-label": label, "data-value": v
        }, g);
        tooltip(r, label + (series.length > 1 ? " · " + s.name : "") + "：" + f.unit.value(v));
        if (opts.stacked) base -= hgt;
      });
    });
    xLabels(f, labels, opts.labelEvery, function (i) { return f.m.left + i * slot + slot / 2; }, slot);
    if (!totals.some(function (t) { return t > 0; })) empty(f);
    return f.svg;
  }

  /* Horizontal bars for a ranked list: the label left of each bar, its value right, ticks below. */
  function hbar(container, opts) {
    var labels = opts.labels || [];
    var values = opts.values || [];
    var unit = unitOf(opts);
    var format = opts.format || unit.value;
    var w = widthOf(container);
    var rowH = FONT + 14;
    var height = Math.max(labels.length, 1) * rowH + FONT + 20;
    var svg = svgFor(container, w, height, opts, "hbar");
    var labelW = Math.min(opts.labelWidth || 220, Math.round(w * 0.4));
    var valueW = Math.max.apply(null, values.map(function (v, i) { return textWidth(format(v, i)); }).concat([20])) + 10;
    var barW = Math.max(w - labelW - valueW, 40);
    var probe = textWidth(unit.tick(unit.percent ? 1 : Math.max.apply(null, values.concat([1])))) + 16;
    var scale = niceScale(Math.max.apply(null, values.concat([0])), unit, Math.max(1, Math.min(5, Math.floor(barW / probe))));
    var axisY = labels.length * rowH + 8;
    var axis = el("g", { class: "axis x-axis" }, svg);
    ticksOf(scale).forEach(function (v) {
      var x = labelW + (v / scale.max) * barW;
      el("line", { x1: x, x2: x, y1: 4, y2: axisY, stroke: v ? "#e6eaf0" : "#8a96a3" }, axis);
      text(axis, x, axisY + FONT + 4, unit.tick(v), { "text-anchor": v ? "middle" : "start", class: "tick" });
    });
    var g = el("g", { class: "bars" }, svg);
    labels.forEach(function (label, i) {
      var y = 6 + i * rowH;
      var row = text(svg, labelW - 8, y + FONT + 2, clip(label, labelW - 12), { "text-anchor": "end", class: "label" });
      tooltip(row, label);
      var v = values[i] || 0;
      var bw = (Math.min(v, scale.max) / scale.max) * barW;
      if (v > 0) {
        var r = el("rect", {
          x: labelW, y: y + 2, width: bw.toFixed(1), height: rowH - 8, fill: opts.color || PALETTE[0],
          class: "bar", "data-label": label, "data-value": v
        }, g);
        tooltip(r, label + "：" + format(v, i));
      }
      text(svg, labelW + bw + 6, y + FONT + 2, format(v, i), { class: "value" });
    });
    if (!labels.length) text(svg, w / 2, 20, "暂无数据", { "text-anchor": "middle", class: "empty", fill: "#5d6b7a" });
    return svg;
  }

  /* Lines with a point per value; null values break the line. */
  function line(container, opts) {
    var series = colored(opts.series || []);
    var labels = opts.labels || [];
    var all = [];
    series.forEach(function (s) { s.values.forEach(function (v) { if (v !== null && v !== undefined) all.push(v); }); });
    var f = frame(container, opts, series, Math.max.apply(null, all.concat([0])));
    var n = labels.length;
    var step = n > 1 ? f.w / (n - 1) : 0;
    function x(i) { return f.m.left + (n > 1 ? i * step : f.w / 2); }
    function y(v) { return f.m.top + f.h - (Math.min(v, f.scale.max) / f.scale.max) * f.h; }
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
        tooltip(c, labels[i] + " · " + s.name + "：" + f.unit.value(v));
      });
    });
    xLabels(f, labels, opts.labelEvery, x, step || f.w);
    if (!all.length) empty(f);
    return f.svg;
  }

  window.Charts = {
    bar: bar, hbar: hbar, line: line, niceScale: niceScale, palette: PALETTE, font: FONT, units: UNITS
  };
})();
