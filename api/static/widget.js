/*
 * 12393 医保热线助手 — embeddable chat widget. One tag embeds it:
 *   <script src="https://HOST/chat/widget.js" data-open="false" data-title="12393 医保热线助手"></script>
 * Options: data-transport="http" (no WebSocket), data-max-chars (the server's chat_max_chars, 1000).
 * It talks to the API that served it: WebSocket /api/chat/ws, falling back to POST /api/chat.
 *
 * - A reloaded page shows the conversation so far (GET /api/chat/{session}/transcript).
 * - During a hand-off the socket pushes what the agent side writes (the agent's messages, an agent
 *   joining or leaving); a reloaded page resumes the pushes with a "watch" message from the last turn
 *   it shows. Without a socket the widget polls the transcript instead. Turns carry a sequence
 *   number: nothing is shown twice, nothing is skipped.
 * - Messages typed while a reply is pending are queued and sent in order.
 * - Text longer than the limit is never sent; a message the server refuses is marked as not sent
 *   and can be edited or sent again.
 * No external resources (no CDN); the stylesheet comes from the same server.
 */
(function () {
  "use strict";
  if (window.__hotline12393Widget) return;
  window.__hotline12393Widget = true;

  var script = document.currentScript || document.querySelector('script[src*="widget.js"]');
  var base = new URL(script.src, window.location.href);
  var origin = base.origin;
  var opts = {
    title: script.getAttribute("data-title") || "12393 医保热线助手",
    open: script.getAttribute("data-open") === "true",
    transport: script.getAttribute("data-transport") || "ws",
    maxChars: parseInt(script.getAttribute("data-max-chars"), 10) || 1000
  };
  var STORE = "hotline12393.";
  var POLL_MS = 3000;
  var GREETING = "您好，我是12393医保热线智能助手，可以解答医保政策、登记工单、转接人工。请直接输入您的问题。";
  // Server refusals that sending the same text again cannot fix (the caller has to edit it).
  var NOT_RETRYABLE = { question_too_long: true, empty_question: true, invalid_request: true };

  function store(key, value) {
    try {
      if (value === undefined) return window.localStorage.getItem(STORE + key);
      window.localStorage.setItem(STORE + key, value);
    } catch (e) { return null; }
    return value;
  }

  function newSessionId() {
    var rand = (window.crypto && window.crypto.getRandomValues)
      ? Array.prototype.map.call(window.crypto.getRandomValues(new Uint8Array(8)), function (b) {
          return ("0" + b.toString(16)).slice(-2);
        }).join("")
      : String(Math.random()).slice(2, 18);
    return "web-" + rand;
  }

  var sessionId = store("session") || store("session", newSessionId());
  var transcriptUrl = origin + "/api/chat/" + encodeURIComponent(sessionId) + "/transcript";

  var css = document.createElement("link");
  css.rel = "stylesheet";
  css.href = origin + "/chat/widget.css";
  document.head.appendChild(css);

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function button(cls, text) {
    var b = el("button", cls, text);
    b.type = "button";
    return b;
  }

  // --- The panel -------------------------------------------------------------------------------

  var root = el("div", "hl-root");
  root.setAttribute("data-hotline-widget", "");
  var launcher = button("hl-launcher", "医保咨询");
  launcher.setAttribute("aria-label", "打开医保咨询对话");
  var panel = el("section", "hl-panel");
  panel.setAttribute("aria-label", opts.title);

  var header = el("div", "hl-header");
  var title = el("div", "hl-title", opts.title);
  var largeBtn = button("hl-large-toggle", "大字");
  largeBtn.setAttribute("aria-pressed", "false");
  largeBtn.title = "大字模式";
  var closeBtn = button("hl-close", "收起");
  header.appendChild(title);
  header.appendChild(largeBtn);
  header.appendChild(closeBtn);

  var log = el("div", "hl-log");
  log.setAttribute("role", "log");
  log.setAttribute("aria-live", "polite");
  var handoffBar = el("div", "hl-handoff");
  handoffBar.setAttribute("role", "status");
  handoffBar.hidden = true;
  var quick = el("div", "hl-quick");
  var error = el("div", "hl-error");
  error.setAttribute("role", "alert");
  error.hidden = true;
  var form = el("form", "hl-form");
  var input = el("textarea", "hl-input");
  input.rows = 1;
  input.placeholder = "请输入您的问题，例如：异地就医怎么备案";
  input.setAttribute("aria-label", "输入您的问题");
  var send = el("button", "hl-send", "发送");
  send.type = "submit";
  form.appendChild(input);
  form.appendChild(send);
  // Characters typed against the limit, and what to do when near or over it.
  var info = el("div", "hl-inputinfo");
  var limitMsg = el("span", "hl-limit-msg");
  limitMsg.id = "hl-limit-msg";
  limitMsg.setAttribute("aria-live", "polite");
  var counter = el("span", "hl-counter");
  counter.id = "hl-counter";
  info.appendChild(limitMsg);
  info.appendChild(counter);
  input.setAttribute("aria-describedby", "hl-counter hl-limit-msg");
  var actions = el("div", "hl-actions");
  var humanBtn = button("hl-human", "转人工");
  actions.appendChild(humanBtn);

  panel.appendChild(header);
  panel.appendChild(log);
  panel.appendChild(handoffBar);
  panel.appendChild(quick);
  panel.appendChild(error);
  panel.appendChild(form);
  panel.appendChild(info);
  panel.appendChild(actions);
  root.appendChild(launcher);
  root.appendChild(panel);
  document.body.appendChild(root);

  function setLarge(on) {
    root.classList.toggle("hl-large", on);
    largeBtn.setAttribute("aria-pressed", on ? "true" : "false");
    store("large", on ? "1" : "0");
  }
  setLarge(store("large") === "1");

  function setOpen(on) {
    root.classList.toggle("hl-open", on);
    if (on) input.focus();
  }
  launcher.addEventListener("click", function () { setOpen(true); });
  closeBtn.addEventListener("click", function () { setOpen(false); });
  largeBtn.addEventListener("click", function () { setLarge(!root.classList.contains("hl-large")); });

  function scrollDown() { log.scrollTop = log.scrollHeight; }

  // --- Messages --------------------------------------------------------------------------------

  var outbox = []; // messages shown as sent, waiting for their turn: {text, shown, bubble}

  // What comes from the server goes before the caller's queued messages (the server has not seen
  // them yet), so the screen keeps the order of the stored conversation.
  function place(node) {
    var next = outbox.length ? outbox[0].bubble : null;
    if (next && next.parentNode === log) log.insertBefore(node, next);
    else log.appendChild(node);
    scrollDown();
    return node;
  }

  function sourcesBox(sources) {
    var box = el("div", "hl-sources");
    box.appendChild(document.createTextNode("来源："));
    var list = el("ol");
    sources.forEach(function (s) {
      list.appendChild(el("li", "hl-source", s.title + (s.region ? "（" + s.region + "）" : "")));
    });
    box.appendChild(list);
    return box;
  }

  // who: user | bot | system | agent | notice (an agent joined or left).
  function bubble(who, text, extra) {
    extra = extra || {};
    var node = el("div", "hl-msg hl-" + who);
    if (who === "agent") {
      node.appendChild(el("div", "hl-agent-name", "人工客服" + (extra.agent ? " " + extra.agent : "")));
    }
    node.appendChild(document.createTextNode(text));
    if (extra.sources && extra.sources.length) node.appendChild(sourcesBox(extra.sources));
    if (extra.seq) node.setAttribute("data-seq", String(extra.seq));
    if (extra.event) node.setAttribute("data-event", extra.event);
    return node;
  }

  function setQuickReplies(buttons) {
    quick.textContent = "";
    (buttons || []).forEach(function (b) {
      var chip = button(/rate_service/.test(b.payload) ? "hl-rating" : "", b.title);
      chip.addEventListener("click", function () { submit(b.payload, b.title); });
      quick.appendChild(chip);
    });
  }

  function showError(message) {
    error.textContent = message || "";
    error.hidden = !message;
  }

  // --- Hand-off state --------------------------------------------------------------------------

  // "bot", "waiting" (for an agent) or "active" (an agent has joined); agentSide counts changes
  // learnt from the agent side (pushes, the transcript), which are newer than a pending reply.
  var hand = { state: "bot", agent: null, agentSide: 0 };
  var lastSeq = 0; // the last stored turn this page accounts for

  function setHandoff(state, agent, fromAgentSide) {
    if (fromAgentSide) hand.agentSide++;
    hand.state = state;
    hand.agent = state === "active" ? agent || hand.agent : null;
    if (state === "bot") {
      handoffBar.hidden = true;
      handoffBar.textContent = "";
      handoffBar.removeAttribute("data-state");
      root.removeAttribute("data-handoff");
      humanBtn.hidden = false;
      stopPolling();
      return;
    }
    handoffBar.textContent = state === "active"
      ? "人工客服" + (hand.agent || "") + "正在为您服务"
      : "正在为您转接人工客服，请稍候…";
    handoffBar.setAttribute("data-state", state);
    handoffBar.hidden = false;
    if (typing) typing.remove(); // an agent answers, not the bot
    root.setAttribute("data-handoff", state);
    humanBtn.hidden = true;
    follow();
  }

  // A turn written on the agent side: an agent's message, or an agent joining or leaving.
  function agentSide(turn) {
    if (!turn.seq || turn.seq <= lastSeq) return; // already on the screen
    lastSeq = turn.seq;
    if (turn.event) {
      place(bubble("notice", turn.text, { seq: turn.seq, event: turn.event }));
      if (turn.event === "joined") setHandoff("active", turn.agent, true);
      else if (turn.event === "left") setHandoff("bot", null, true);
    } else {
      place(bubble("agent", turn.text, { seq: turn.seq, agent: turn.agent }));
    }
  }

  function isAgentSide(turn) {
    return turn.speaker === "agent" || (turn.speaker === "system" && !!turn.event);
  }

  // The stored conversation, read again: new agent-side turns and the hand-off state.
  var polling = null;
  var reading = false;
  function refresh() {
    if (reading) return;
    reading = true;
    fetch(transcriptUrl, { cache: "no-store" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (t) {
        if (!t) return;
        (t.turns || []).forEach(function (turn) {
          if (isAgentSide(turn)) agentSide(turn);
          else if (turn.seq > lastSeq) lastSeq = turn.seq; // the caller's own and the bot's: shown
        });
        if (t.status !== "handoff") {
          if (hand.state !== "bot") setHandoff("bot", null, true);
        } else {
          var state = t.agent ? "active" : "waiting";
          if (state !== hand.state || t.agent !== hand.agent) setHandoff(state, t.agent, true);
        }
      })
      .catch(function () { /* keep polling; the network may come back */ })
      .then(function () { reading = false; });
  }
  function startPolling() {
    if (polling) return;
    polling = setInterval(refresh, POLL_MS);
    refresh();
  }
  function stopPolling() {
    clearInterval(polling);
    polling = null;
  }

  // Keep receiving what the agent side writes: the socket's pushes, else polling.
  function follow() {
    if (hand.state === "bot") return;
    var ws = ensureSocket();
    if (!ws) startPolling();
  }

  // --- Transport: one WebSocket, replies in order; HTTP POST when the socket is unavailable ------

  var socket = null;
  var waiting = [];
  function watch(ws) {
    ws.send(JSON.stringify({ type: "watch", session_id: sessionId, after: lastSeq }));
  }
  function openSocket() {
    if (opts.transport !== "ws" || !("WebSocket" in window)) return null;
    var url = origin.replace(/^http/, "ws") + "/api/chat/ws";
    var ws;
    try { ws = new WebSocket(url); } catch (e) { return null; }
    ws.onopen = function () {
      // A reloaded page (or a new socket) resumes the hand-off from the last turn it shows.
      if (hand.state !== "bot") { watch(ws); stopPolling(); }
    };
    ws.onmessage = function (ev) {
      var data;
      try { data = JSON.parse(ev.data); } catch (e) { return; }
      if (data.type === "agent") {
        agentSide({ seq: data.seq, speaker: "agent", text: data.text, agent: data.agent });
      } else if (data.type === "event") {
        agentSide(data);
      } else if (data.type === "handoff_end") {
        if (hand.state !== "bot") setHandoff("bot", null, true);
      } else {
        var job = waiting.shift(); // the reply to the oldest message sent on this socket
        if (job) job.resolve(data);
      }
    };
    ws.onclose = function () {
      if (socket === ws) socket = null;
      while (waiting.length) waiting.shift().reject(new Error("closed"));
      if (hand.state !== "bot") startPolling();
    };
    return ws;
  }
  function ensureSocket() {
    if (socket && socket.readyState <= 1) return socket;
    socket = openSocket();
    return socket;
  }

  function viaHttp(body) {
    return fetch(origin + "/api/chat", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body)
    }).then(function (r) { return r.json(); });
  }

  function viaSocket(body) {
    var ws = ensureSocket();
    if (!ws) return viaHttp(body);
    return new Promise(function (resolve, reject) {
      var go = function () {
        waiting.push({ resolve: resolve, reject: reject });
        ws.send(JSON.stringify(body));
      };
      if (ws.readyState === 1) go();
      else if (ws.readyState === 0) {
        ws.addEventListener("open", go, { once: true });
        ws.addEventListener("close", function () { reject(new Error("closed")); }, { once: true });
      } else reject(new Error("closed"));
    }).catch(function () {
      if (socket === ws) socket = null;
      return viaHttp(body);
    });
  }

  // --- Sending ---------------------------------------------------------------------------------

  function charCount(text) { return Array.from(text.trim()).length; }

  function updateCounter() {
    var n = charCount(input.value);
    var max = opts.maxChars;
    var level = n > max ? "over" : n === max ? "full" : n >= Math.floor(max * 0.9) ? "near" : "";
    counter.textContent = n + "/" + max;
    if (level) info.setAttribute("data-level", level);
    else info.removeAttribute("data-level");
    limitMsg.textContent = level === "over"
      ? "已超出" + (n - max) + "字，最多可输入" + max + "字，请分几次发送"
      : level === "full" ? "最多可输入" + max + "字，请分几次发送"
      : level === "near" ? "还可输入" + (max - n) + "字" : "";
    if (level === "over") input.setAttribute("aria-invalid", "true");
    else input.removeAttribute("aria-invalid");
    send.setAttribute("aria-disabled", level === "over" ? "true" : "false");
    return level !== "over";
  }

  function autosize() {
    var atBottom = log.scrollHeight - log.scrollTop - log.clientHeight < 8;
    input.style.height = "";
    input.style.height = Math.min(input.scrollHeight + 2, 120) + "px";
    if (atBottom) scrollDown(); // a taller box must not hide the latest message
  }

  var ready = false; // the stored conversation is on the screen; sending may start
  var sending = false;
  // "正在输入…" while the bot owes a reply, just above the caller's messages still queued.
  var typing = el("div", "hl-typing", "正在输入…");
  function setTyping(on) {
    if (on && hand.state === "bot") place(typing);
    else typing.remove();
  }

  // Show a message as sent and queue it; false when it cannot be sent (empty, too long).
  function submit(text, shown) {
    text = (text || "").trim();
    if (!text) return false;
    if (charCount(text) > opts.maxChars) return false;
    showError("");
    setQuickReplies([]);
    var node = bubble("user", shown || text);
    node.setAttribute("data-state", "queued");
    log.appendChild(node);
    scrollDown();
    outbox.push({ text: text, shown: shown, bubble: node });
    if (!sending && hand.state === "bot") log.insertBefore(typing, node.nextSibling);
    pump();
    return true;
  }

  function pump() {
    if (sending || !ready || !outbox.length) return;
    var job = outbox.shift();
    sending = true;
    job.bubble.setAttribute("data-state", "sending");
    setTyping(true);
    var seen = hand.agentSide;
    var body = { session_id: sessionId, text: job.text };
    if (job.shown && job.shown !== job.text) body.metadata = { display: job.shown };
    viaSocket(body).then(function (reply) {
      setTyping(false);
      if (!reply || reply.error) {
        notSent(job, (reply && reply.message) || "发送失败，请重试。", !(reply && NOT_RETRYABLE[reply.error]));
      } else {
        job.bubble.setAttribute("data-state", "sent");
        render(reply, seen);
      }
    }).catch(function () {
      notSent(job, "网络连接出了问题，消息没有发出。", true);
    }).then(function () {
      setTyping(false);
      sending = false;
      pump();
    });
  }

  // A message the server refused (or that never arrived): marked, with the reason, and kept.
  function notSent(job, message, retryable) {
    var node = job.bubble;
    node.classList.add("hl-failed");
    node.setAttribute("data-state", "failed");
    var note = el("div", "hl-failed-note");
    note.appendChild(el("span", "hl-failed-reason", "未发送：" + message));
    var typed = !job.shown || job.shown === job.text;
    if (typed) {
      var edit = button("hl-edit", "修改");
      edit.addEventListener("click", function () {
        input.value = input.value.trim() ? job.text + "\n" + input.value : job.text;
        node.remove();
        note.remove();
        updateCounter();
        autosize();
        input.focus();
      });
      note.appendChild(edit);
    }
    if (retryable || !typed) {
      var again = button("hl-resend", "重发");
      again.addEventListener("click", function () {
        node.remove();
        note.remove();
        submit(job.text, job.shown);
      });
      note.appendChild(again);
    }
    if (node.nextSibling) log.insertBefore(note, node.nextSibling);
    else log.appendChild(note);
    scrollDown();
  }

  function render(reply, seen) {
    var buttons = [];
    (reply.replies || []).forEach(function (m) {
      var who = m.speaker === "system" ? "system" : m.speaker === "agent" ? "agent" : "bot";
      if (m.text) place(bubble(who, m.text, { sources: m.sources, agent: m.agent }));
      (m.buttons || []).forEach(function (b) { buttons.push(b); });
    });
    setQuickReplies(buttons);
    var h = reply.handoff;
    if (h && h.status !== "offline") {
      // A join or a leave pushed while this message was pending is newer than the reply.
      if (seen === hand.agentSide) setHandoff(h.status === "active" ? "active" : "waiting", h.agent);
    } else if (hand.state !== "bot") {
      refresh(); // the bot answered: the agent has handed the conversation back
    }
    if (reply.ticket_id) root.setAttribute("data-ticket", reply.ticket_id);
  }

  form.addEventListener("submit", function (ev) {
    ev.preventDefault();
    if (!updateCounter()) {
      info.classList.remove("hl-flash");
      void info.offsetWidth; // restart the highlight
      info.classList.add("hl-flash");
      input.focus();
      return; // nothing over the limit is ever shown as sent; the text stays to be shortened
    }
    if (submit(input.value)) {
      input.value = "";
      updateCounter();
      autosize();
    }
  });
  input.addEventListener("keydown", function (ev) {
    if (ev.key === "Enter" && !ev.shiftKey && !ev.isComposing) {
      ev.preventDefault();
      form.requestSubmit ? form.requestSubmit() : form.dispatchEvent(new Event("submit", { cancelable: true }));
    }
  });
  input.addEventListener("input", function () { updateCounter(); autosize(); });
  humanBtn.addEventListener("click", function () { submit("/request_human", "转人工"); });

  // --- The conversation so far -----------------------------------------------------------------

  var greeting = bubble("system", GREETING);
  log.appendChild(greeting);
  updateCounter();

  function showHistory(t) {
    var frag = document.createDocumentFragment();
    var last = null;
    (t.turns || []).slice().sort(function (a, b) { return a.seq - b.seq; }).forEach(function (turn) {
      if (turn.seq > lastSeq) lastSeq = turn.seq;
      if (!turn.text) return;
      var extra = { seq: turn.seq, sources: turn.sources, agent: turn.agent, event: turn.event };
      var who = turn.speaker === "caller" ? "user"
        : turn.speaker === "agent" ? "agent"
        : turn.speaker === "system" ? (turn.event ? "notice" : "system") : "bot";
      frag.appendChild(bubble(who, turn.text, extra));
      last = turn;
    });
    log.insertBefore(frag, greeting.nextSibling);
    scrollDown();
    if (t.ticket_id) root.setAttribute("data-ticket", t.ticket_id);
    if (last && last.speaker === "bot" && last.buttons && !outbox.length) setQuickReplies(last.buttons);
    if (t.status === "handoff") setHandoff(t.agent ? "active" : "waiting", t.agent, true);
  }

  fetch(transcriptUrl, { cache: "no-store" })
    .then(function (r) { return r.ok ? r.json() : null; }) // 404: a new caller
    .then(function (t) { if (t) showHistory(t); })
    .catch(function () { /* the conversation goes on without the history */ })
    .then(function () {
      ready = true;
      pump();
    });
  if (opts.open) setOpen(true);
})();
