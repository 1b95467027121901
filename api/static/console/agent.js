/*
 * 坐席工作台 (agent view): the conversation taken from the queue (agent-queue.js: window.AgentQueue)
 * with a reply box, the live assist panel (suggested answers, 一次性告知 checklist, 有用/没用) and
 * work orders. Live updates: the conversation and the suggestions arrive as
 * server-sent events from /api/assist/sessions/<id>/stream whenever the transcript grows.
 * Uses window.Console from common.js; no external resources.
 */
(function () {
  "use strict";

  var C = window.Console;
  var esc = C.esc;
  var SPEAKERS = { caller: "来电人", bot: "智能助手", agent: "坐席", system: "系统" };
  var CHANNELS = { web: "网页", phone: "电话", agent: "坐席" };
  var SLOT_LABELS = {
    region: "参保地", topic: "主题", insured_type: "参保类型", person_type: "人员类别",
    pending_question: "待解答问题", ticket_name: "姓名", ticket_phone: "电话", ticket_number: "工单号"
  };

  var current = null;      // session id of the open conversation
  var stream = null;       // its EventSource
  var conversation = null; // last ConversationView
  var suggestions = [];
  var votes = {};          // entry id -> true/false (this conversation)
  var renderedSeq = -1;
  var ticketsCache = [];
  var detailNumber = null;

  function $(id) { return document.getElementById(id); }

  function showError(message) {
    var box = $("agent-error");
    box.textContent = message || "";
    box.hidden = !message;
  }

  function fail(err) { showError(err && err.message ? err.message : "操作失败，请稍后重试。"); }

  // --- Conversation -----------------------------------------------------------------------------

  function closeStream() {
    if (stream) { stream.close(); stream = null; }
  }

  function openConversation(sessionId) {
    showError("");
    closeStream();
    if (current !== sessionId) { votes = {}; renderedSeq = -1; $("reply").value = ""; }
    current = sessionId;
    $("convo-none").hidden = true;
    $("convo").hidden = false;
    C.api("/api/assist/sessions/" + encodeURIComponent(sessionId) + "/conversation")
      .then(renderConversation).catch(fail);
    stream = new EventSource("/api/assist/sessions/" + encodeURIComponent(sessionId) + "/stream");
    stream.addEventListener("assist", function (ev) {
      var data = JSON.parse(ev.data);
      if (data.conversation.session_id !== current) return;
      renderConversation(data.conversation);
      renderAssist(data.assist);
    });
    stream.addEventListener("failure", function (ev) {
      closeStream();
      showError(JSON.parse(ev.data).message);
    });
  }

  function renderConversation(view) {
    conversation = view;
    $("convo-session").textContent = view.session_id;
    $("convo-channel").textContent = CHANNELS[view.channel] || view.channel;
    $("convo-status").textContent = view.status === "handoff" ? (view.agent ? "人工处理中" : "等待接入") : "已交还机器人";
    $("convo-mask").hidden = view.unmasked;
    var slots = Object.assign({}, view.slots || {});
    if (view.region_name) slots.region = view.region_name;
    $("convo-slots").innerHTML = Object.keys(slots).map(function (k) {
      return "<dt>" + esc(SLOT_LABELS[k] || k) + '</dt><dd data-slot="' + esc(k) + '">' + esc(slots[k]) + "</dd>";
    }).join("");
    var box = $("transcript");
    var last = view.turns.length ? view.turns[view.turns.length - 1].seq : 0;
    if (last !== renderedSeq) {
      box.innerHTML = view.turns.map(function (t) {
        return '<div class="turn ' + esc(t.speaker) + '" data-seq="' + t.seq + '"><span class="who">' +
          esc(SPEAKERS[t.speaker] || t.speaker) + " · " + esc(C.fmtTime(t.at).slice(11)) + "</span>" + esc(t.text) + "</div>";
      }).join("");
      box.scrollTop = box.scrollHeight;
      renderedSeq = last;
    }
    var held = view.status === "handoff" && view.held_by_viewer;
    $("reply-send").disabled = !held;
    $("release").disabled = !held;
  }

  $("reply-form").addEventListener("submit", function (ev) {
    ev.preventDefault();
    var text = $("reply").value.trim();
    if (!text || !current) return;
    $("reply-send").disabled = true;
    C.api("/api/chat/" + encodeURIComponent(current) + "/agent-message", { method: "POST", body: { text: text } })
      .then(function () { $("reply").value = ""; showError(""); })
      .catch(fail)
      .then(function () { $("reply-send").disabled = false; });
  });
  $("reply").addEventListener("keydown", function (ev) {
    if (ev.key === "Enter" && (ev.ctrlKey || ev.metaKey)) {
      ev.preventDefault();
      $("reply-form").requestSubmit();
    }
  });

  $("release").addEventListener("click", function () {
    if (!current) return;
    C.api("/api/chat/" + encodeURIComponent(current) + "/release", { method: "POST" })
      .then(function () {
        closeStream();
        current = null;
        conversation = null;
        $("convo").hidden = true;
        $("convo-none").hidden = false;
        renderAssist(null);
        return window.AgentQueue.refresh();
      })
      .catch(fail);
  });

  // --- Live assist ------------------------------------------------------------------------------

  function renderAssist(view) {
    suggestions = view ? view.suggestions : [];
    $("assist-query").textContent = view && view.query ? "依据来电人最近说的：“" + view.query + "”" : "";
    var topic = [];
    if (view && view.topic) topic.push('<span class="badge">主题：' + esc(view.topic) + "</span>");
    if (view && view.region_name) topic.push('<span class="badge">参保地：' + esc(view.region_name) + "</span>");
    $("assist-topic").innerHTML = topic.join("");
    $("assist-empty").hidden = suggestions.length > 0;
    $("suggestions").innerHTML = suggestions.map(function (s, i) {
      var vote = votes[s.entry_id];
      var sources = (s.sources || []).map(function (src) { return esc(src.title) + (src.source ? "（" + esc(src.source) + "）" : ""); });
      return '<li class="suggestion' + (s.decided ? " decided" : "") + '" data-entry="' + esc(s.entry_id) + '">' +
        '<div class="s-title">' + (i + 1) + ". " + esc(s.title) + "</div>" +
        '<div><span class="badge">' + esc(s.region_name) + "</span>" +
        (s.applies ? "" : '<span class="badge warn">非来电人参保地</span>') +
        (s.decided ? '<span class="badge ok">推荐</span>' : "") + "</div>" +
        '<div class="s-answer">' + esc(s.answer) + "</div>" +
        '<div class="s-source">来源：' + sources.join("；") + "</div>" +
        '<div class="s-actions">' +
        '<button type="button" data-act="insert" data-i="' + i + '">插入</button>' +
        '<button type="button" class="secondary" data-act="copy" data-i="' + i + '">复制</button>' +
        '<button type="button" class="secondary' + (vote === true ? " voted" : "") + '" data-act="useful" data-i="' + i + '">有用</button>' +
        '<button type="button" class="secondary' + (vote === false ? " voted-bad" : "") + '" data-act="useless" data-i="' + i + '">没用</button>' +
        "</div></li>";
    }).join("");
    var items = view ? view.checklist : [];
    $("checklist-box").hidden = !items.length;
    $("checklist-entry").textContent = view && view.checklist_entry ? "（" + view.checklist_entry + "）" : "";
    $("checklist").innerHTML = items.map(function (c) {
      return '<li class="' + (c.told ? "told" : "todo") + '" data-point="' + esc(c.key) + '">' +
        '<span class="mark">' + (c.told ? "✓" : "○") + "</span>" +
        '<span class="c-label">' + esc(c.label) + (c.required ? "" : "（参考）") + "</span>" + esc(c.value) + "</li>";
    }).join("");
  }

  function copyText(text) {
    if (navigator.clipboard && window.isSecureContext) return navigator.clipboard.writeText(text);
    var area = document.createElement("textarea");
    area.value = text;
    document.body.appendChild(area);
    area.select();
    try { document.execCommand("copy"); } finally { area.remove(); }
    return Promise.resolve();
  }

  $("suggestions").addEventListener("click", function (ev) {
    var target = ev.target;
    if (!(target instanceof HTMLElement) || !target.hasAttribute("data-act")) return;
    var s = suggestions[Number(target.getAttribute("data-i"))];
    if (!s) return;
    var act = target.getAttribute("data-act");
    if (act === "insert") {
      var box = $("reply");
      box.value = box.value ? box.value.replace(/\s+$/, "") + "\n" + s.answer : s.answer;
      box.focus();
    } else if (act === "copy") {
      copyText(s.answer).then(function () { target.textContent = "已复制"; }).catch(fail);
    } else if (current) {
      var useful = act === "useful";
      C.api("/api/assist/sessions/" + encodeURIComponent(current) + "/feedback", {
        method: "POST", body: { entry_id: s.entry_id, useful: useful }
      }).then(function () {
        votes[s.entry_id] = useful;
        // The list may have been drawn again while the vote was on its way (a new turn refreshes
        // the suggestions): mark the card shown now, found by its entry, not the clicked element.
        var cards = $("suggestions").querySelectorAll(".suggestion");
        Array.prototype.forEach.call(cards, function (card) {
          if (card.getAttribute("data-entry") !== s.entry_id) return;
          card.querySelector('[data-act="useful"]').classList.toggle("voted", useful);
          card.querySelector('[data-act="useless"]').classList.toggle("voted-bad", !useful);
        });
      }).catch(fail);
    }
  });

  // --- Work orders ------------------------------------------------------------------------------

  $("ticket-open").addEventListener("click", function () {
    if (!conversation) return;
    var d = conversation.draft;
    $("t-category").value = d.category;
    $("t-topic").value = d.topic;
    $("t-region").value = d.region;
    $("t-name").value = d.caller_name;
    // A masked number cannot open an order: the agent types it (or takes the conversation first).
    $("t-phone").value = /\*/.test(d.caller_phone) ? "" : d.caller_phone;
    $("t-description").value = d.description;
    $("ticket-result").hidden = true;
    $("ticket-form").hidden = false;
    $("t-topic").focus();
  });
  $("ticket-cancel").addEventListener("click", function () { $("ticket-form").hidden = true; });

  $("ticket-form").addEventListener("submit", function (ev) {
    ev.preventDefault();
    if (!conversation) return;
    var d = conversation.draft;
    var body = {
      category: $("t-category").value,
      topic: $("t-topic").value.trim(),
      region: $("t-region").value.trim(),
      caller_name: $("t-name").value.trim(),
      caller_phone: $("t-phone").value.trim(),
      description: $("t-description").value.trim(),
      channel: d.channel,
      conversation_id: d.conversation_id,
      transcript: d.transcript
    };
    $("ticket-submit").disabled = true;
    C.api("/api/tickets", { method: "POST", body: body }).then(function (t) {
      var result = $("ticket-result");
      result.textContent = (t.duplicate ? "已关联到该来电人未办结的工单 " : "已生成工单 ") + t.number +
        "，办理时限 " + C.fmtTime(t.due_at) + "。";
      result.setAttribute("data-number", t.number);
      result.hidden = false;
      return loadTickets();
    }).catch(fail).then(function () { $("ticket-submit").disabled = false; });
  });

  function loadTickets() {
    var status = $("f-status").value;
    var query = { limit: 200 };
    if (status) query.status = status;
    if ($("f-overdue").checked) query.overdue = "true";
    return C.api("/api/tickets", { query: query }).then(function (page) {
      ticketsCache = page.items;
      renderTickets();
    }).catch(fail);
  }

  function renderTickets() {
    // The list endpoint filters status and overdue; the topic filter is a substring match here.
    var topic = $("f-topic").value.trim();
    var items = ticketsCache.filter(function (t) { return !topic || t.topic.indexOf(topic) >= 0; });
    $("tickets-empty").hidden = items.length > 0;
    $("tickets").innerHTML = items.map(function (t) {
      return '<tr data-number="' + esc(t.number) + '">' +
        '<td class="mono">' + esc(t.number) + "</td><td>" + esc(t.category) + "</td><td>" + esc(t.topic) +
        "</td><td>" + esc(t.region) + "</td><td>" + esc(t.caller_name) + '</td><td class="mono">' + esc(t.caller_phone) +
        '</td><td><span class="badge">' + esc(t.status) + "</span>" + (t.overdue ? '<span class="badge bad">超期</span>' : "") +
        "</td><td>" + esc(t.department || "") + "</td><td>" + esc(C.fmtTime(t.due_at)) + "</td></tr>";
    }).join("");
  }

  $("ticket-filters").addEventListener("submit", function (ev) { ev.preventDefault(); loadTickets(); });
  $("f-topic").addEventListener("input", renderTickets);
  $("f-status").addEventListener("change", loadTickets);
  $("f-overdue").addEventListener("change", loadTickets);

  $("tickets").addEventListener("click", function (ev) {
    var row = ev.target instanceof HTMLElement ? ev.target.closest("tr[data-number]") : null;
    if (row) openTicket(row.getAttribute("data-number"));
  });

  function openTicket(number) {
    detailNumber = number;
    return C.api("/api/tickets/" + encodeURIComponent(number)).then(renderTicket).catch(fail);
  }

  function renderTicket(t) {
    $("ticket-detail").hidden = false;
    $("d-number").textContent = t.number;
    $("d-status").textContent = t.status;
    $("d-description").textContent = t.description;
    // The conversation the order came from, opened in the workspace (read-only unless taken).
    $("d-conversation").hidden = !t.conversation_id;
    $("d-conversation").setAttribute("data-session", t.conversation_id || "");
    $("d-related").textContent = (t.related || []).length ? "关联工单：" + t.related.join("、") : "";
    var said = t.transcript || [];
    $("d-transcript-box").hidden = said.length === 0;
    $("d-transcript").innerHTML = said.map(function (turn) {
      var who = { caller: "来电人", bot: "智能助手", agent: "坐席", system: "系统" }[turn.speaker] || turn.speaker;
      return "<li><b>" + esc(who) + "：</b>" + esc(turn.text) + "</li>";
    }).join("");
    $("d-department").value = t.department || "";
    $("d-events").innerHTML = t.events.map(function (e) {
      var change = e.to_status && e.to_status !== e.from_status ? "：" + esc(e.from_status || "") + " → " + esc(e.to_status) : "";
      return "<li>" + esc(C.fmtTime(e.at)) + " " + esc(e.actor) + change + (e.comment ? "（" + esc(e.comment) + "）" : "") + "</li>";
    }).join("") + t.callbacks.map(function (cb) {
      return "<li>" + esc(C.fmtTime(cb.at)) + " 回访：" + esc(cb.result) + (cb.satisfaction ? "（" + esc(cb.satisfaction) + "）" : "") + "</li>";
    }).join("");
  }

  function ticketAction(path, body) {
    if (!detailNumber) return;
    C.api("/api/tickets/" + encodeURIComponent(detailNumber) + path, { method: "POST", body: body })
      .then(function (t) { showError(""); renderTicket(t); return loadTickets(); })
      .catch(fail);
  }

  $("d-conversation").addEventListener("click", function () {
    var sessionId = $("d-conversation").getAttribute("data-session");
    if (sessionId) openConversation(sessionId);
  });

  $("d-assign-form").addEventListener("submit", function (ev) {
    ev.preventDefault();
    ticketAction("/assign", { department: $("d-department").value.trim() });
  });
  $("d-status-form").addEventListener("submit", function (ev) {
    ev.preventDefault();
    ticketAction("/status", { status: $("d-new-status").value, comment: $("d-comment").value.trim() });
  });
  $("d-callback-form").addEventListener("submit", function (ev) {
    ev.preventDefault();
    var satisfaction = $("d-satisfaction").value;
    ticketAction("/callbacks", { result: $("d-callback").value.trim(), satisfaction: satisfaction || null });
  });

  // --- Start ------------------------------------------------------------------------------------

  C.nav("agent").then(function (user) {
    window.AgentQueue.start({ me: user, onOpen: openConversation, onError: fail });
    loadTickets();
  }).catch(fail);
  window.addEventListener("beforeunload", closeStream);
})();
