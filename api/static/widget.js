/*
 * 12393 医保热线助手 — embeddable chat widget. One tag embeds it:
 *   <script src="https://HOST/chat/widget.js" data-open="false" data-title="12393 医保热线助手"></script>
 * It talks to the API that served it: WebSocket /api/chat/ws, falling back to POST /api/chat.
 * During a hand-off the socket pushes the agent's replies as they are written.
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
    transport: script.getAttribute("data-transport") || "ws"
  };
  var STORE = "hotline12393.";

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

  var root = el("div", "hl-root");
  root.setAttribute("data-hotline-widget", "");
  var launcher = el("button", "hl-launcher", "医保咨询");
  launcher.type = "button";
  launcher.setAttribute("aria-label", "打开医保咨询对话");
  var panel = el("section", "hl-panel");
  panel.setAttribute("aria-label", opts.title);

  var header = el("div", "hl-header");
  var title = el("div", "hl-title", opts.title);
  var largeBtn = el("button", "hl-large-toggle", "大字");
  largeBtn.type = "button";
  largeBtn.setAttribute("aria-pressed", "false");
  largeBtn.title = "大字模式";
  var closeBtn = el("button", "hl-close", "收起");
  closeBtn.type = "button";
  header.appendChild(title);
  header.appendChild(largeBtn);
  header.appendChild(closeBtn);

  var log = el("div", "hl-log");
  log.setAttribute("role", "log");
  log.setAttribute("aria-live", "polite");
  var handoffBar = el("div", "hl-handoff");
  handoffBar.hidden = true;
  var quick = el("div", "hl-quick");
  var error = el("div", "hl-error");
  error.hidden = true;
  var form = el("form", "hl-form");
  var input = el("textarea", "hl-input");
  input.rows = 1;
  input.maxLength = 1000;
  input.placeholder = "请输入您的问题，例如：异地就医怎么备案";
  input.setAttribute("aria-label", "输入您的问题");
  var send = el("button", "hl-send", "发送");
  send.type = "submit";
  form.appendChild(input);
  form.appendChild(send);
  var actions = el("div", "hl-actions");
  var humanBtn = el("button", "hl-human", "转人工");
  humanBtn.type = "button";
  actions.appendChild(humanBtn);

  panel.appendChild(header);
  panel.appendChild(log);
  panel.appendChild(handoffBar);
  panel.appendChild(quick);
  panel.appendChild(error);
  panel.appendChild(form);
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

  function addBubble(who, text, sources) {
    var bubble = el("div", "hl-msg hl-" + who);
    bubble.appendChild(document.createTextNode(text));
    if (sources && sources.length) {
      var box = el("div", "hl-sources");
      box.appendChild(document.createTextNode("来源："));
      var list = el("ol");
      sources.forEach(function (s) {
        var item = el("li", "hl-source", s.title + (s.region ? "（" + s.region + "）" : ""));
        list.appendChild(item);
      });
      box.appendChild(list);
      bubble.appendChild(box);
    }
    log.appendChild(bubble);
    scrollDown();
    return bubble;
  }

  function setQuickReplies(buttons) {
    quick.textContent = "";
    (buttons || []).forEach(function (b) {
      var chip = el("button", /rate_service/.test(b.payload) ? "hl-rating" : "", b.title);
      chip.type = "button";
      chip.addEventListener("click", function () { submit(b.payload, b.title); });
      quick.appendChild(chip);
    });
  }

  function showError(message) {
    error.textContent = message || "";
    error.hidden = !message;
  }

  function render(reply) {
    var buttons = [];
    (reply.replies || []).forEach(function (m) {
      if (m.text) addBubble(m.speaker === "system" ? "system" : "bot", m.text, m.sources);
      (m.buttons || []).forEach(function (b) { buttons.push(b); });
    });
    setQuickReplies(buttons);
    if (reply.handoff && reply.handoff.status !== "offline") {
      handoffBar.textContent = "已转接人工客服，请稍候，坐席会在这里回复您。";
      handoffBar.hidden = false;
      root.setAttribute("data-handoff", reply.handoff.status);
      startPolling();
    }
    if (reply.ticket_id) root.setAttribute("data-ticket", reply.ticket_id);
  }

  // While a human has the conversation, the socket pushes each agent message as it is written;
  // polling the stored transcript is the fallback (HTTP transport, a dropped socket).
  var polling = null;
  var seenSeq = 0;
  function showAgent(seq, text) {
    if (seq <= seenSeq) return;
    seenSeq = seq;
    addBubble("bot hl-agent", "人工客服：" + text);
  }
  function endHandoff() {
    handoffBar.hidden = true;
    root.removeAttribute("data-handoff");
    clearInterval(polling);
    polling = null;
  }
  function poll() {
    fetch(origin + "/api/chat/" + encodeURIComponent(sessionId) + "/transcript")
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (t) {
        if (!t) return;
        (t.turns || []).forEach(function (turn) {
          if (turn.seq > seenSeq) {
            if (turn.speaker === "agent" && seenSeq > 0) showAgent(turn.seq, turn.text);
            else seenSeq = turn.seq;
          }
        });
        if (t.status !== "handoff") endHandoff();
      })
      .catch(function () { /* keep polling; the network may come back */ });
  }
  function startPolling() {
    if (polling) return;
    poll();
    polling = setInterval(poll, 5000);
  }

  // Transport: one WebSocket, replies in order; HTTP POST when the socket is unavailable.
  var socket = null;
  var waiting = [];
  function openSocket() {
    if (opts.transport !== "ws" || !("WebSocket" in window)) return null;
    var url = origin.replace(/^http/, "ws") + "/api/chat/ws";
    var ws;
    try { ws = new WebSocket(url); } catch (e) { return null; }
    ws.onmessage = function (ev) {
      var data = JSON.parse(ev.data);
      if (data.type === "agent") { showAgent(data.seq, data.text); return; }
      if (data.type === "handoff_end") { endHandoff(); return; }
      var job = waiting.shift();
      if (job) job.resolve(data);
    };
    ws.onclose = function () {
      socket = null;
      while (waiting.length) waiting.shift().reject(new Error("closed"));
    };
    return ws;
  }

  function viaHttp(body) {
    return fetch(origin + "/api/chat", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body)
    }).then(function (r) { return r.json(); });
  }

  function viaSocket(body) {
    if (!socket) socket = openSocket();
    if (!socket) return viaHttp(body);
    return new Promise(function (resolve, reject) {
      var go = function () {
        waiting.push({ resolve: resolve, reject: reject });
        socket.send(JSON.stringify(body));
      };
      if (socket.readyState === 1) go();
      else if (socket.readyState === 0) socket.addEventListener("open", go, { once: true });
      else reject(new Error("closed"));
    }).catch(function () { socket = null; return viaHttp(body); });
  }

  var busy = false;
  function submit(text, shown) {
    text = (text || "").trim();
    if (!text || busy) return;
    busy = true;
    showError("");
    setQuickReplies([]);
    addBubble("user", shown || text);
    var typing = el("div", "hl-typing", "正在输入…");
    log.appendChild(typing);
    scrollDown();
    var body = { session_id: sessionId, text: text };
    if (shown && shown !== text) body.metadata = { display: shown };
    viaSocket(body).then(function (reply) {
      if (reply.error) showError(reply.message || "发送失败，请重试。");
      else render(reply);
    }).catch(function () {
      showError("网络连接出了问题，请稍后重试，或拨打 12393。");
    }).then(function () {
      typing.remove();
      busy = false;
    });
  }

  form.addEventListener("submit", function (ev) {
    ev.preventDefault();
    var text = input.value;
    input.value = "";
    submit(text);
  });
  input.addEventListener("keydown", function (ev) {
    if (ev.key === "Enter" && !ev.shiftKey && !ev.isComposing) {
      ev.preventDefault();
      form.requestSubmit ? form.requestSubmit() : form.dispatchEvent(new Event("submit"));
    }
  });
  humanBtn.addEventListener("click", function () { submit("/request_human", "转人工"); });

  addBubble("system", "您好，我是12393医保热线智能助手，可以解答医保政策、登记工单、转接人工。请直接输入您的问题。");
  if (opts.open) setOpen(true);
})();
