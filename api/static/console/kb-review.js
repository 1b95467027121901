/*
 * 知识库编辑 (kb.html), the review side: the queue of proposed drafts (from documents, from the line,
 * from imports) with accept / edit / reject, the clusters of questions the line could not answer
 * (one click makes a draft of a cluster an agent answered), and the flags of published entries
 * (past their review date; figures that disagree with another entry of the topic and region),
 * shown in their own panel and as badges beside the entries of the list.
 */
(function () {
  "use strict";
  var C = window.Console;
  var ORIGINS = { document: "文档摘录", line: "来电学习", "import": "表格导入", editor: "编辑新建" };
  var flags = { stale: {}, conflict: {} }; // entry id -> text of the flag
  var queued = {}; // ids of the pending drafts

  function $(id) { return document.getElementById(id); }

  function note(text, kind) {
    var box = $("kb-review-message");
    box.textContent = text;
    box.className = "notice " + (kind || "ok");
    box.hidden = !text;
  }

  function reason() {
    var value = $("kb-queue-reason").value.trim();
    if (!value) note("请先填写拒绝原因（记入版本历史）。", "error");
    return value;
  }

  function loadQueue() {
    return C.api("/api/kb/drafts").then(function (items) {
      queued = {};
      items.forEach(function (item) { queued[item.summary.id] = true; });
      $("kb-queue-count").textContent = items.length ? "共 " + items.length + " 条待审" : "";
      $("kb-queue").querySelector("tbody").innerHTML = items.map(function (item) {
        var s = item.summary;
        var id = C.esc(s.id);
        return '<tr data-id="' + id + '"><td><span class="badge">' + C.esc(ORIGINS[item.origin] || item.origin) +
          "</span></td><td>" + C.esc(s.title) + '<div class="muted">' + id + "</div></td><td>" +
          C.esc(s.region || "全国") + "</td><td>" + C.esc(item.draft.reason) + '</td><td class="actions">' +
          '<a class="button secondary" href="/console/kb?entry=' + encodeURIComponent(s.id) + '">编辑</a> ' +
          '<button type="button" data-act="accept" data-id="' + id + '">采纳发布</button> ' +
          '<button type="button" class="danger" data-act="reject" data-id="' + id + '">拒绝</button></td></tr>';
      }).join("") || '<tr><td colspan="5" class="muted">没有待审的草稿。</td></tr>';
    }).catch(function (err) { note(err.message, "error"); });
  }

  function loadClusters() {
    return C.api("/api/kb/clusters", { query: { limit: 20 } }).then(function (rows) {
      $("kb-clusters").querySelector("tbody").innerHTML = rows.map(function (c) {
        var action = queued[c.draft_id] ? '<span class="badge warn">草稿待审</span>' : c.agent_answer
          ? '<button type="button" data-act="cluster" data-key="' + C.esc(c.key) + '">生成草稿</button>'
          : '<a class="button secondary" href="/console/kb?question=' + encodeURIComponent(c.question) + '">新建条目</a>';
        return '<tr data-key="' + C.esc(c.key) + '"><td>' + C.esc(c.question) + "</td><td>" + c.count +
          "</td><td>" + c.examples.map(C.esc).join("<br>") + "</td><td>" +
          (c.agent_answer ? C.esc(c.agent_answer) : '<span class="muted">（没有坐席答复）</span>') +
          '</td><td class="actions">' + action + "</td></tr>";
      }).join("") || '<tr><td colspan="5" class="muted">近期没有答不上或转人工的问题。</td></tr>';
    }).catch(function (err) { note(err.message, "error"); });
  }

  function badges(li) {
    var id = li.getAttribute("data-id");
    var meta = li.querySelector(".meta");
    if (!meta || meta.querySelector(".review-flag")) return;
    if (flags.stale[id]) meta.insertAdjacentHTML("beforeend", ' <span class="badge warn review-flag" title="' +
      C.esc(flags.stale[id]) + '">需复核</span>');
    if (flags.conflict[id]) meta.insertAdjacentHTML("beforeend", ' <span class="badge bad review-flag" title="' +
      C.esc(flags.conflict[id]) + '">数字冲突</span>');
  }

  function statusFlags() {
    var status = $("kb-status");
    var id = $("kb-id").value.trim();
    if (!id || status.querySelector(".review-flag")) return;
    var parts = [];
    if (flags.stale[id]) parts.push('<span class="badge warn review-flag">需复核</span> ' + C.esc(flags.stale[id]));
    if (flags.conflict[id]) parts.push('<span class="badge bad review-flag">数字冲突</span> ' + C.esc(flags.conflict[id]));
    if (parts.length) status.insertAdjacentHTML("beforeend", "<div>" + parts.join("<br>") + "</div>");
  }

  function decorate() {
    Array.prototype.forEach.call($("kb-list").children, badges);
    statusFlags();
  }

  function loadReview() {
    return C.api("/api/kb/review").then(function (review) {
      flags = { stale: {}, conflict: {} };
      review.stale.forEach(function (s) {
        flags.stale[s.id] = "生效于 " + s.effective_label + "，已超过 " + review.review_months + " 个月复核期（" +
          s.review_due + " 起），答复时会注明规定日期。";
      });
      review.conflicts.forEach(function (c) {
        c.entry_ids.forEach(function (id, i) {
          var other = 1 - i;
          var text = "与 " + c.entry_ids[other] + " 数字不一致：本条 " + c.figures[i] + "，对方 " + c.figures[other] +
            "（" + c.about.join("、") + "）";
          flags.conflict[id] = flags.conflict[id] ? flags.conflict[id] + "；" + text : text;
        });
      });
      $("kb-stale-count").textContent = review.stale.length + " 条已过复核期（生效日期起 " + review.review_months + " 个月）";
      $("kb-stale").innerHTML = review.stale.slice(0, 30).map(function (s) {
        return '<li data-id="' + C.esc(s.id) + '"><a href="/console/kb?entry=' + encodeURIComponent(s.id) + '">' +
          C.esc(s.title) + '</a> <span class="muted">' + C.esc(s.effective_label) + " · " + C.esc(s.region || "全国") +
          "</span></li>";
      }).join("");
      $("kb-conflicts").innerHTML = review.conflicts.map(function (c) {
        return '<li class="conflict"><span class="badge bad">数字冲突</span> ' + C.esc(c.topic) + " · " +
          C.esc(c.region || "全国") + "：" + c.entry_ids.map(function (id, i) {
            return '<a href="/console/kb?entry=' + encodeURIComponent(id) + '">' + C.esc(id) + "</a>（" +
              C.esc(c.figures[i]) + "）";
          }).join(" 对 ") + "</li>";
      }).join("") || '<li class="muted">没有发现数字冲突。</li>';
      decorate();
    }).catch(function (err) { note(err.message, "error"); });
  }

  function act(event) {
    var button = event.target.closest("button[data-act]");
    if (!button) return;
    var act = button.getAttribute("data-act");
    var id = button.getAttribute("data-id");
    var request;
    if (act === "accept") {
      note("正在发布并更新索引……", "ok");
      request = C.api("/api/kb/drafts/" + encodeURIComponent(id) + "/accept", { method: "POST" })
        .then(function () { note("已发布 " + id + "，来电人现在可以得到这条答复。", "ok"); });
    } else if (act === "reject") {
      var why = reason();
      if (!why) return;
      request = C.api("/api/kb/drafts/" + encodeURIComponent(id) + "/reject", { method: "POST", body: { reason: why } })
        .then(function () { note("已拒绝 " + id + "，不会再次提出。", "ok"); });
    } else if (act === "cluster") {
      request = C.api("/api/kb/clusters/" + encodeURIComponent(button.getAttribute("data-key")) + "/draft", { method: "POST" })
        .then(function (version) { note("已生成草稿 " + version.entry_id + "，请核实答复、来源和地区后发布。", "ok"); });
    }
    button.disabled = true;
    request.then(function () { return Promise.all([loadQueue().then(loadClusters), loadReview()]); })
      .catch(function (err) { note(err.message, "error"); button.disabled = false; });
  }

  function init() {
    $("kb-review").addEventListener("click", act);
    new MutationObserver(decorate).observe($("kb-list"), { childList: true });
    new MutationObserver(statusFlags).observe($("kb-status"), { childList: true });
    loadQueue().then(loadClusters);
    loadReview();
  }

  init();
})();
