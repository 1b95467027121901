/*
 * 12393 坐席工作台 — supervisor dashboard: date range filter, charts (charts.js), tables, CSV links.
 * Reads GET /api/dashboard/summary and /api/dashboard/forecast; the range lives in the URL
 * (?from=YYYY-MM-DD&to=YYYY-MM-DD, "to" exclusive as in the API; the form shows it inclusive).
 * Good and bad colours come from TARGETS (below) through tone(); charts are redrawn when the
 * page width changes, so their text stays at its size on screen.
 */
(function () {
  "use strict";

  var C = window.Console;
  var CHANNELS = { web: "网页", phone: "电话", agent: "坐席" };
  var WEEKDAYS = ["", "周一", "周二", "周三", "周四", "周五", "周六", "周日"];
  var state = { from: null, to: null, tz: "Asia/Shanghai" };
  var ruleNames = {};  // rule id -> Chinese description, from GET /api/dashboard/rules
  var drawn = { summary: null, forecast: null, width: 0 };  // what the charts show, to redraw on resize

  /* Good and bad bands of the headline figures — the one place they are defined. A value at or
   * past "good" is good, one past "bad" is bad, in between it needs watching. */
  var TARGETS = {
    containment_rate: { higher: true, good: 0.7, bad: 0.5 },  // 机器人独立解决率
    handoff_rate: { higher: false, good: 0.2, bad: 0.35 },    // 转人工率
    satisfied_rate: { higher: true, good: 0.9, bad: 0.8 },    // 满意率（满意 + 基本满意）
    overdue: { higher: false, good: 0, bad: 1, count: true }  // 超时未办结工单
  };

  function $(id) { return document.getElementById(id); }

  function addDays(iso, days) {
    var p = iso.split("-").map(Number);
    var d = new Date(Date.UTC(p[0], p[1] - 1, p[2] + days));
    return d.toISOString().slice(0, 10);
  }

  function today() {
    try {
      return new Intl.DateTimeFormat("en-CA", { timeZone: state.tz }).format(new Date());
    } catch (e) {
      return new Date().toISOString().slice(0, 10);
    }
  }

  function pct(v) { return (Math.round(v * 1000) / 10) + "%"; }

  /* "good", "warn" or "bad" for a figure with a target; "" for figures without one or no value. */
  function tone(metric, value) {
    var t = TARGETS[metric];
    if (!t || value === null || value === undefined) return "";
    if (t.higher ? value >= t.good : value <= t.good) return "good";
    if (t.higher ? value < t.bad : value >= t.bad) return "bad";
    return "warn";
  }

  function targetText(metric) {
    var t = TARGETS[metric];
    if (!t) return "";
    var good = t.count ? String(t.good) : pct(t.good);
    return t.count && t.good === 0 ? "目标：0" : "目标：" + (t.higher ? "≥ " : "≤ ") + good;
  }

  function showError(err) {
    var box = $("dash-error");
    box.textContent = err ? err.message : "";
    box.hidden = !err;
  }

  /* One headline figure; with a metric of TARGETS it is coloured by tone() and shows its target. */
  function kpi(label, text, id, metric, value) {
    var mood = metric ? tone(metric, value) : "";
    var target = metric ? '<span class="kpi-target">' + C.esc(targetText(metric)) + "</span>" : "";
    return '<div class="kpi' + (mood ? " " + mood : "") + '" id="' + id + '" data-tone="' + mood + '">' +
      '<span class="kpi-label">' + C.esc(label) + '</span><span class="kpi-value">' + C.esc(text) + "</span>" +
      target + "</div>";
  }

  function renderKpis(s) {
    var ct = s.containment;
    var rated = s.satisfaction.total > 0;
    $("kpis").innerHTML = [
      kpi("接入量", String(s.contacts), "kpi-contacts"),
      kpi("机器人独立解决率", ct.conversations ? pct(ct.containment_rate) : "—", "kpi-containment",
        "containment_rate", ct.conversations ? ct.containment_rate : null),
      kpi("转人工率", ct.conversations ? pct(ct.handoff_rate) : "—", "kpi-handoff",
        "handoff_rate", ct.conversations ? ct.handoff_rate : null),
      kpi("工单率", ct.conversations ? pct(ct.ticket_rate) : "—", "kpi-ticket"),
      kpi("满意率", rated ? pct(s.satisfaction.satisfied_rate) : "—", "kpi-satisfaction",
        "satisfied_rate", rated ? s.satisfaction.satisfied_rate : null),
      kpi("质检平均分", s.qa.results ? String(s.qa.average_score) : "—", "kpi-qa"),
      kpi("超时未办结工单", String(s.tickets.overdue), "kpi-overdue", "overdue", s.tickets.overdue)
    ].join("");
  }

  function renderCharts(s) {
    var channels = Object.keys(CHANNELS);
    s.hourly.forEach(function (h) {
      Object.keys(h.channels).forEach(function (c) { if (channels.indexOf(c) < 0) channels.push(c); });
    });
    Charts.bar($("chart-hourly"), {
      title: "分时段接入量",
      labels: s.hourly.map(function (h) { return h.hour + "时"; }),
      series: channels.map(function (c) {
        return { name: CHANNELS[c] || c, values: s.hourly.map(function (h) { return h.channels[c] || 0; }) };
      }),
      stacked: true, unit: "count", yTitle: "接入量", labelEvery: 2
    });
    Charts.bar($("chart-daily"), {
      title: "每日接入量",
      labels: s.daily.map(function (d) { return d.day.slice(5); }),
      series: [{ name: "接入量", values: s.daily.map(function (d) { return d.count; }) }],
      unit: "count", yTitle: "接入量"
    });
    Charts.bar($("chart-channels"), {
      title: "各渠道接入量", height: 200, unit: "count",
      labels: s.channels.map(function (c) { return CHANNELS[c.key] || c.key; }),
      series: [{ name: "接入量", values: s.channels.map(function (c) { return c.count; }), color: "#2a9d55" }]
    });
    var ct = s.containment;
    // Shares of all conversations on a 0–100 % axis; each bar also says how many conversations.
    var counts = [ct.contained, ct.handoff, ct.ticket];
    Charts.hbar($("chart-containment"), {
      title: "机器人独立解决与转人工（占会话数）", color: "#2a9d55", labelWidth: 160, unit: "percent",
      labels: ["机器人独立解决", "转人工", "生成工单"],
      values: [ct.containment_rate, ct.handoff_rate, ct.ticket_rate],
      format: function (v, i) { return pct(v) + "（" + counts[i] + " 个会话）"; }
    });
    Charts.hbar($("chart-topics"), {
      title: "热点主题", unit: "count", labels: s.topics.map(function (t) { return t.key; }),
      values: s.topics.map(function (t) { return t.count; })
    });
    Charts.bar($("chart-tickets"), {
      title: "工单状态", unit: "count",
      labels: s.tickets.by_status.map(function (r) { return r.key; }),
      series: [{ name: "工单数", values: s.tickets.by_status.map(function (r) { return r.count; }), color: "#6a4fb3" }]
    });
    $("ticket-numbers").innerHTML = "新建工单 <b>" + s.tickets.total + "</b> 件，未办结 <b>" + s.tickets.open +
      '</b> 件，<span class="tone-' + tone("overdue", s.tickets.overdue) + '">超时未办结 <b id="tickets-overdue">' +
      s.tickets.overdue + "</b> 件</span>，超时办结 <b>" + s.tickets.closed_late + "</b> 件。";
    var ratings = ["满意", "基本满意", "不满意"];
    var sat = s.satisfaction;
    Charts.bar($("chart-satisfaction"), {
      title: "满意度", height: 220, unit: "count",
      labels: ["会话评价", "工单回访"],
      series: ratings.map(function (r, i) {
        var pick = function (rows) { var row = rows.find(function (x) { return x.key === r; }); return row ? row.count : 0; };
        return { name: r, values: [pick(sat.chat), pick(sat.callback)], color: ["#2a9d55", "#8fc46a", "#c0292b"][i] };
      }),
      stacked: true
    });
    $("satisfaction-numbers").innerHTML = sat.total
      ? "共 " + sat.total + ' 次评价，满意和基本满意占 <b class="tone-' + tone("satisfied_rate", sat.satisfied_rate) +
        '">' + pct(sat.satisfied_rate) + "</b>（" + C.esc(targetText("satisfied_rate")) + "）。"
      : "所选日期内没有评价。";
    Charts.bar($("chart-qa-agents"), {
      title: "质检平均分（按坐席）",
      labels: s.qa.by_agent.map(function (r) { return r.key; }),
      series: [{ name: "平均分", values: s.qa.by_agent.map(function (r) { return r.average_score; }), color: "#0b5cad" }],
      unit: "score", yTitle: "平均分"
    });
    Charts.hbar($("chart-qa-rules"), {
      title: "质检平均分（按规则）", color: "#b8336a", unit: "score",
      labels: s.qa.by_rule.map(function (r) { return (ruleNames[r.key] || r.key) + "（" + r.findings + "次）"; }),
      values: s.qa.by_rule.map(function (r) { return r.average_score; })
    });
  }

  function renderTables(s) {
    var gaps = $("gaps-table").querySelector("tbody");
    gaps.innerHTML = s.gaps.length ? s.gaps.map(function (g) {
      return "<tr><td>" + C.esc(g.question) + "</td><td>" + g.count + "</td><td>" + (g.kinds.abstain || 0) +
        "</td><td>" + (g.kinds.clarify_region || 0) + "</td><td>" + C.esc(C.fmtTime(g.last_at)) +
        '</td><td><a class="kb-link" href="' + C.esc(g.kb_url) + '">补充知识</a></td></tr>';
    }).join("") : '<tr><td colspan="6" class="muted">所选日期内没有答不上的问题。</td></tr>';
    var agents = $("qa-agents-table").querySelector("tbody");
    agents.innerHTML = s.qa.by_agent.length ? s.qa.by_agent.map(function (r) {
      return "<tr><td>" + C.esc(r.key) + "</td><td>" + r.results + "</td><td>" + r.average_score + "</td><td>" +
        pct(r.pass_rate) + "</td><td>" + r.findings + "</td></tr>";
    }).join("") : '<tr><td colspan="5" class="muted">所选日期内没有质检结果。</td></tr>';
  }

  function renderForecast(f) {
    var labels = f.points.map(function (p) {
      return p.at.slice(5, 10) + " " + WEEKDAYS[p.weekday] + " " + p.hour + "时";
    });
    var days = f.points.length / 24;
    // Too little history: no forecast line (not a line of zeros) and no accuracy figures; say why.
    var series = f.enough_history
      ? [{ name: "预测", values: f.points.map(function (p) { return p.forecast; }), color: "#e07b00", dashed: true }]
      : [];
    series.push({ name: "实际", values: f.points.map(function (p) { return p.actual; }), color: "#0b5cad" });
    Charts.line($("chart-forecast"), {
      title: "来电量预测与实际", labels: labels, unit: "count", yTitle: "每小时接入量",
      labelEvery: days <= 2 ? 3 : 24 * Math.max(1, Math.ceil(days / 10)),
      series: series
    });
    var note = $("forecast-note");
    note.hidden = f.enough_history;
    note.textContent = f.enough_history ? "" : "历史数据不足（需至少 " + f.min_history_days + " 天，所选日期之前现有 " +
      f.history_days + " 天），暂不预测；图中只显示实际接入量。";
    $("forecast-method").textContent = "预测方法：" + f.method + "。";
    if (!f.enough_history) {
      $("forecast-accuracy").textContent = "暂不预测，因此没有预测准确度。";
      $("forecast-peaks").textContent = "历史数据不足，暂无高峰研判。";
      return;
    }
    function acc(a) {
      if (!a.hours) return "暂无可比数据";
      return "MAPE " + (a.mape === null ? "—" : pct(a.mape)) + "，WAPE " + (a.wape === null ? "—" : pct(a.wape)) +
        "，平均绝对误差 " + a.mae + "（" + a.hours + " 个小时）";
    }
    $("forecast-accuracy").innerHTML = "所选日期：<span id='forecast-mape'>" + C.esc(acc(f.accuracy)) +
      "</span>；回测（用更早数据预测上一周）：" + C.esc(acc(f.backtest)) + "。";
    $("forecast-peaks").textContent = f.peaks.length
      ? "预计高峰时段：" + f.peaks.map(function (p) {
        return WEEKDAYS[p.weekday] + " " + p.hour + ":00–" + (p.hour + 1) + ":00（约 " + p.forecast + " 个）";
      }).join("，") + "。"
      : "历史数据不足，暂无高峰研判。";
  }

  function setCsvLinks() {
    var qs = "?from=" + encodeURIComponent(state.from) + "&to=" + encodeURIComponent(state.to);
    Array.prototype.forEach.call(document.querySelectorAll("a.csv"), function (a) {
      a.href = "/api/dashboard/export/" + a.getAttribute("data-table") + ".csv" + qs;
      a.setAttribute("download", "");
    });
  }

  function load() {
    showError(null);
    var query = { from: state.from, to: state.to };
    document.body.classList.add("loading");
    var names = C.api("/api/dashboard/rules").then(function (r) { ruleNames = r || {}; }, function () {});
    var summary = names.then(function () {
      return C.api("/api/dashboard/summary", { query: query });
    }).then(function (s) {
      state.from = s.start;
      state.to = s.end;
      state.tz = s.timezone;
      $("tz").textContent = s.timezone;
      $("from").value = s.start;
      $("to").value = addDays(s.end, -1);
      setCsvLinks();
      renderKpis(s);
      drawn.summary = s;
      drawn.width = pageWidth();
      renderCharts(s);
      renderTables(s);
      return s;
    });
    var forecast = summary.then(function (s) {
      return C.api("/api/dashboard/forecast", {
        query: { from: s.start, to: s.end, weeks: $("weeks").value }
      }).then(function (f) { drawn.forecast = f; renderForecast(f); });
    });
    return Promise.all([summary, forecast]).then(function () {
      document.body.setAttribute("data-loaded", state.from + "_" + state.to);
    }).catch(showError).then(function () { document.body.classList.remove("loading"); });
  }

  function go(from, toInclusive) {
    state.from = from;
    state.to = addDays(toInclusive, 1);
    history.replaceState(null, "", "?from=" + state.from + "&to=" + state.to);
    return load();
  }

  function pageWidth() { return document.documentElement.clientWidth; }

  /* Charts are drawn at their container's pixel width: draw them again when it changes. */
  function redrawOnResize() {
    var timer = null;
    window.addEventListener("resize", function () {
      clearTimeout(timer);
      timer = setTimeout(function () {
        if (pageWidth() === drawn.width) return;
        drawn.width = pageWidth();
        if (drawn.summary) renderCharts(drawn.summary);
        if (drawn.forecast) renderForecast(drawn.forecast);
      }, 150);
    });
  }

  function init() {
    var params = new URLSearchParams(window.location.search);
    state.from = params.get("from");
    state.to = params.get("to");
    C.nav("supervisor").catch(function () { return null; });
    $("range-form").addEventListener("submit", function (event) {
      event.preventDefault();
      if ($("to").value < $("from").value) {
        showError(new Error("结束日期不能早于开始日期。"));
        return;
      }
      go($("from").value, $("to").value);
    });
    Array.prototype.forEach.call(document.querySelectorAll("button[data-days]"), function (b) {
      b.addEventListener("click", function () {
        var end = today();
        go(addDays(end, 1 - Number(b.getAttribute("data-days"))), end);
      });
    });
    $("weeks").addEventListener("change", load);
    redrawOnResize();
    load();
  }

  init();
})();
