/*
 * 坐席工作台 — the hand-off queue (inbox): window.AgentQueue.
 *   AgentQueue.start({me, onOpen(sessionId), onError(err)}) polls GET /api/chat/handoffs every 2 s
 *   AgentQueue.refresh() -> Promise       reloads now (after accept / release)
 *   AgentQueue.waitText(seconds) -> "等待 3 分钟"
 * Each card shows the channel, a shortened id (the whole id on hover), the reason in Chinese
 * (reason_label from the API), the caller's last message (masked by the server), who has it and
 * how long the caller has waited; the waiting time counts on between polls. 我的 = taken by me.
 */
(function () {
  "use strict";

  var C = window.Console;
  var esc = C.esc;
  var POLL_MS = 2000;
  var TICK_MS = 15000;       // the waiting time moves on even if a poll fails
  var LONG_WAIT_S = 180;     // a caller waiting longer is marked
  var CHANNELS = { web: "网页", phone: "电话", agent: "坐席" };

  var opts = null;
  var items = [];
  var fetchedAt = 0;         // Date.now() when items arrived: waiting_s counts from then
  var filter = "all";
  var drawn = "";            // what the list shows now: redrawn only when it changes

  function $(id) { return document.getElementById(id); }

  /* "等待 3 分钟" (or with another lead, e.g. "已转人工") for a number of seconds. */
  function waitText(seconds, lead) {
    lead = lead || "等待";
    var s = Math.max(0, Math.floor(seconds || 0));
    if (s < 60) return lead + "不到 1 分钟";
    var minutes = Math.floor(s / 60);
    if (minutes < 60) return lead + " " + minutes + " 分钟";
    var hours = Math.floor(minutes / 60);
    return lead + " " + hours + " 小时" + (minutes % 60 ? " " + (minutes % 60) + " 分钟" : "");
  }

  function timeText(h, seconds) { return waitText(seconds, h.agent ? "已转人工" : "等待"); }

  function waited(h) {
    if (h.waiting_s === null || h.waiting_s === undefined) return null;
    return h.waiting_s + (Date.now() - fetchedAt) / 1000;
  }

  function isMine(h) { return !!(opts.me && h.agent && h.agent === opts.me.username); }

  function card(h) {
    var mine = isMine(h);
    var seconds = waited(h);
    var long = !h.agent && seconds !== null && seconds >= LONG_WAIT_S;
    var who = h.agent ? (mine ? "由我处理" : "由 " + esc(h.agent) + " 处理") : "待接入";
    var action = !h.agent
      ? '<button type="button" data-accept="' + esc(h.session_id) + '">接入</button>'
      : mine ? '<button type="button" class="secondary" data-open="' + esc(h.session_id) + '">打开</button>' : "";
    var region = h.slots && h.slots.region ? " · " + esc(h.slots.region) : "";
    var preview = h.preview
      ? '<p class="q-preview" title="' + esc(h.preview) + '">“' + esc(h.preview) + "”</p>"
      : '<p class="q-preview muted">（来电人还没有留言）</p>';
    return '<li class="q-card' + (mine ? " mine" : "") + (long ? " long-wait" : "") + '" data-session="' +
      esc(h.session_id) + '">' +
      '<div class="q-head"><span class="badge">' + esc(CHANNELS[h.channel] || h.channel) + "</span>" +
      '<span class="q-id mono" title="' + esc(h.session_id) + '">' + esc(h.session_id) + "</span></div>" +
      '<div class="q-reason">' + esc(h.reason_label || "转人工") + "</div>" + preview +
      '<div class="q-foot"><span class="q-status">' +
      '<span class="q-wait" data-requested="' + esc(h.requested_at || "") + '">' +
      (seconds === null ? "" : timeText(h, seconds)) + "</span>" +
      '<span class="q-who">' + who + region + "</span></span>" + action + "</div></li>";
  }

  function render() {
    var state = JSON.stringify([filter, items.map(function (h) {
      return [h.session_id, h.agent, h.reason_label, h.preview, h.requested_at, h.slots];
    })]);
    if (state === drawn) { tick(); return; }  // same cards: leave the DOM (and a button being clicked)
    drawn = state;
    var mine = items.filter(isMine);
    var shown = filter === "mine" ? mine : items;
    // Waiting callers first (oldest first, as the API sends them), then mine, then colleagues'.
    var rank = function (h) { return !h.agent ? 0 : isMine(h) ? 1 : 2; };
    shown = shown.map(function (h, i) { return [rank(h), i, h]; })
      .sort(function (a, b) { return a[0] - b[0] || a[1] - b[1]; })
      .map(function (x) { return x[2]; });
    $("queue-count").textContent = String(items.filter(function (h) { return !h.agent; }).length);
    $("queue-count-all").textContent = String(items.length);
    $("queue-count-mine").textContent = String(mine.length);
    Array.prototype.forEach.call(document.querySelectorAll("#queue-filter button"), function (b) {
      b.setAttribute("aria-pressed", String(b.getAttribute("data-filter") === filter));
    });
    $("queue-empty").textContent = filter === "mine" ? "您目前没有接入的对话。" : "目前没有等待人工的对话。";
    $("queue-empty").hidden = shown.length > 0;
    $("queue").innerHTML = shown.map(card).join("");
  }

  function tick() {
    Array.prototype.forEach.call(document.querySelectorAll("#queue li[data-session]"), function (li) {
      var h = items.find(function (x) { return x.session_id === li.getAttribute("data-session"); });
      var seconds = h ? waited(h) : null;
      if (seconds !== null) li.querySelector(".q-wait").textContent = timeText(h, seconds);
    });
  }

  function refresh() {
    return C.api("/api/chat/handoffs").then(function (list) {
      items = list || [];
      fetchedAt = Date.now();
      render();
    }).catch(opts.onError);
  }

  function start(options) {
    opts = options;
    $("queue-filter").addEventListener("click", function (ev) {
      var b = ev.target instanceof HTMLElement ? ev.target.closest("button[data-filter]") : null;
      if (!b) return;
      filter = b.getAttribute("data-filter");
      render();
    });
    $("queue").addEventListener("click", function (ev) {
      var target = ev.target instanceof HTMLElement ? ev.target.closest("button") : null;
      if (!target) return;
      var accept = target.getAttribute("data-accept");
      var open = target.getAttribute("data-open");
      if (accept) {
        target.disabled = true;
        C.api("/api/chat/" + encodeURIComponent(accept) + "/accept", { method: "POST" })
          .then(function () { opts.onOpen(accept); return refresh(); })
          .catch(function (err) { target.disabled = false; opts.onError(err); });
      } else if (open) {
        opts.onOpen(open);
      }
    });
    setInterval(refresh, POLL_MS);
    setInterval(tick, TICK_MS);
    return refresh();
  }

  window.AgentQueue = { start: start, refresh: refresh, waitText: waitText };
})();
