/*
 * 知识库编辑 (kb.html): search entries, edit a draft, preview its answer, publish, retire, history.
 * kb.html?question=... opens a new entry prefilled with an unanswered question (from the dashboard).
 */
(function () {
  "use strict";
  var C = window.Console;
  var POINTS = [
    ["materials", "材料"], ["channel", "渠道"], ["time_limit", "时限"],
    ["eligibility", "条件"], ["cost", "费用"], ["steps", "步骤"]
  ];
  var ACTIONS = { create: "新建", edit: "修改", retire: "下线" };
  var STATUS = { yaml: "已发布（条目文件）", published: "已发布（编辑器）", retired: "已下线", "new": "未发布的新条目" };
  var current = null; // the entry id being edited, or null for a new entry
  var searchTimer = null;

  function $(id) { return document.getElementById(id); }

  function message(text, kind) {
    var box = $("kb-message");
    box.textContent = text;
    box.className = "notice " + (kind || "ok");
    box.hidden = !text;
  }

  function buildPoints() {
    $("kb-points").innerHTML = POINTS.map(function (p) {
      return '<div><label for="kb-point-' + p[0] + '">' + C.esc(p[1]) + "</label>" +
        '<input type="text" id="kb-point-' + p[0] + '" maxlength="500"></div>';
    }).join("");
  }

  function formData() {
    var points = {};
    POINTS.forEach(function (p) {
      var v = $("kb-point-" + p[0]).value.trim();
      if (v) points[p[0]] = v;
    });
    return {
      id: $("kb-id").value.trim(),
      topic: $("kb-topic").value.trim(),
      title: $("kb-title").value.trim(),
      region: $("kb-region").value.trim() || null,
      audience: $("kb-audience").value,
      effective: $("kb-effective").value.trim(),
      source: $("kb-source").value.trim(),
      questions: $("kb-questions").value.split("\n").map(function (q) { return q.trim(); }).filter(Boolean),
      answer: $("kb-answer").value.trim(),
      points: points
    };
  }

  function fill(data) {
    data = data || {};
    $("kb-id").value = data.id || "";
    $("kb-topic").value = data.topic || "";
    $("kb-title").value = data.title || "";
    $("kb-region").value = data.region || "";
    $("kb-audience").value = data.audience || "public";
    $("kb-effective").value = data.effective || "";
    $("kb-source").value = data.source || "";
    $("kb-questions").value = (data.questions || []).join("\n");
    $("kb-answer").value = data.answer || "";
    POINTS.forEach(function (p) { $("kb-point-" + p[0]).value = (data.points || {})[p[0]] || ""; });
    $("kb-reason").value = "";
  }

  function renderHistory(rows) {
    $("kb-history").querySelector("tbody").innerHTML = (rows || []).map(function (v) {
      return "<tr><td>" + v.version + "</td><td>" + C.esc(ACTIONS[v.action] || v.action) + "</td><td>" +
        C.esc(v.author) + "</td><td>" + C.esc(v.reason) + "</td><td>" + C.esc(C.fmtTime(v.created_at)) +
        "</td><td>" + (v.published_at ? C.esc(C.fmtTime(v.published_at)) + " " + C.esc(v.published_by || "")
          : '<span class="badge warn">草稿</span>') + "</td></tr>";
    }).join("") || '<tr><td colspan="6" class="muted">还没有编辑记录（条目文件中的原始版本）。</td></tr>';
  }

  function newEntry(question) {
    current = null;
    fill({ questions: question ? [question] : [], audience: "public" });
    $("kb-form-title").textContent = "新建条目";
    $("kb-status").innerHTML = question
      ? '<span class="badge warn">来自未答出的问题</span> 请补充至少 3 种问法、答复和来源。' : "";
    $("kb-id").readOnly = false;
    $("kb-publish").disabled = true;
    $("kb-retire").disabled = true;
    if (question) $("kb-preview-question").value = question;
    renderHistory([]);
    highlight();
  }

  function statusLine(summary) {
    var html = '<span class="badge">' + C.esc(STATUS[summary.status] || summary.status) + "</span>";
    if (summary.draft) html += '<span class="badge warn">待发布：' + C.esc(ACTIONS[summary.draft]) + "</span>";
    return html;
  }

  function openEntry(id) {
    return C.api("/api/kb/entries/" + encodeURIComponent(id)).then(function (detail) {
      current = id;
      fill(detail.draft || detail.published || { id: id });
      $("kb-id").value = id;
      $("kb-id").readOnly = true;
      $("kb-form-title").textContent = "编辑条目";
      $("kb-status").innerHTML = statusLine(detail.summary);
      $("kb-publish").disabled = !detail.summary.draft;
      $("kb-retire").disabled = detail.summary.status === "retired" && !detail.summary.draft;
      if (!$("kb-preview-question").value && detail.published && detail.published.questions) {
        $("kb-preview-question").value = detail.published.questions[0];
      }
      renderHistory(detail.history);
      highlight();
    }).catch(function (err) { message(err.message, "error"); });
  }

  function highlight() {
    Array.prototype.forEach.call($("kb-list").children, function (li) {
      li.classList.toggle("selected", li.getAttribute("data-id") === current);
    });
  }

  function search() {
    return C.api("/api/kb/entries", {
      query: { q: $("kb-search").value.trim(), limit: 200, include_retired: $("kb-include-retired").checked }
    }).then(function (rows) {
      $("kb-count").textContent = "共 " + rows.length + " 条";
      var topics = {};
      $("kb-list").innerHTML = rows.map(function (e) {
        topics[e.topic] = true;
        return '<li data-id="' + C.esc(e.id) + '"><div>' + C.esc(e.title) + "</div>" +
          '<div class="meta">' + C.esc(e.topic) + " · " + C.esc(e.region || "全国") + " · " + C.esc(e.id) +
          (e.status === "retired" ? ' <span class="badge bad">已下线</span>' : "") +
          (e.draft ? ' <span class="badge warn">待发布</span>' : "") +
          (e.audience === "agent" ? ' <span class="badge">仅坐席</span>' : "") + "</div></li>";
      }).join("");
      $("kb-topics").innerHTML = Object.keys(topics).sort().map(function (t) {
        return '<option value="' + C.esc(t) + '">';
      }).join("");
      highlight();
    }).catch(function (err) { message(err.message, "error"); });
  }

  function save(event) {
    event.preventDefault();
    var body = { entry: formData(), reason: $("kb-reason").value.trim() };
    var request = current
      ? C.api("/api/kb/entries/" + encodeURIComponent(current), { method: "PUT", body: body })
      : C.api("/api/kb/entries", { method: "POST", body: body });
    request.then(function (version) {
      message("已保存为草稿（第 " + version.version + " 版）。预览确认后点“发布此条目”。", "ok");
      return search().then(function () { return openEntry(version.entry_id); });
    }).catch(function (err) { message(err.message, "error"); });
  }

  function publish(ids) {
    message("正在发布并更新索引……", "ok");
    return C.api("/api/kb/publish", { method: "POST", body: { entry_ids: ids } }).then(function (result) {
      message("已发布 " + result.published.length + " 个条目；索引更新了 " + result.added_or_changed +
        " 条，移除 " + result.removed + " 条，现共 " + result.total + " 条。", "ok");
      return search().then(function () { if (current) return openEntry(current); });
    }).catch(function (err) { message(err.message, "error"); });
  }

  function retire() {
    if (!current) return;
    var reason = $("kb-reason").value.trim();
    C.api("/api/kb/entries/" + encodeURIComponent(current) + "/retire", { method: "POST", body: { reason: reason } })
      .then(function () {
        message("已记录下线草稿，发布后来电人将不再得到这个条目的答复。", "ok");
        return search().then(function () { return openEntry(current); });
      }).catch(function (err) { message(err.message, "error"); });
  }

  function renderAnswer(answer) {
    var kinds = { answer: "答复", clarify_region: "追问参保地", abstain: "不作答（转人工/工单）" };
    var html = '<div><span class="badge">' + C.esc(kinds[answer.kind] || answer.kind) + "</span>" +
      (answer.entry_id ? '<span class="badge">' + C.esc(answer.entry_id) + "</span>" : "") +
      '<span class="muted">置信度 ' + C.esc(answer.confidence) + "</span></div>" +
      '<div class="answer-text">' + C.esc(answer.text) + "</div>";
    return html;
  }

  function preview() {
    var question = $("kb-preview-question").value.trim();
    if (!question) { message("请先输入要预览的问题。", "error"); return; }
    var data = formData();
    var body = { question: question, region: $("kb-preview-region").value.trim() || null };
    if (data.id && data.answer) body.entry = data; else if (current) body.entry_id = current;
    $("kb-preview-btn").disabled = true;
    C.api("/api/kb/preview", { method: "POST", body: body }).then(function (result) {
      $("kb-preview-draft").innerHTML = renderAnswer(result.draft);
      $("kb-preview-current").innerHTML = renderAnswer(result.current);
      $("kb-preview").hidden = false;
    }).catch(function (err) { message(err.message, "error"); })
      .then(function () { $("kb-preview-btn").disabled = false; });
  }

  function init() {
    buildPoints();
    C.nav("kb");
    $("kb-form").addEventListener("submit", save);
    $("kb-new").addEventListener("click", function () { newEntry(""); message(""); });
    $("kb-publish").addEventListener("click", function () { if (current) publish([current]); });
    $("kb-publish-all").addEventListener("click", function () { publish(null); });
    $("kb-retire").addEventListener("click", retire);
    $("kb-preview-btn").addEventListener("click", preview);
    $("kb-search").addEventListener("input", function () {
      clearTimeout(searchTimer);
      searchTimer = setTimeout(search, 250);
    });
    $("kb-include-retired").addEventListener("change", search);
    $("kb-list").addEventListener("click", function (event) {
      var li = event.target.closest("li[data-id]");
      if (li) { message(""); openEntry(li.getAttribute("data-id")); }
    });
    var params = new URLSearchParams(window.location.search);
    newEntry(params.get("question") || "");
    var entry = params.get("entry");
    search().then(function () { if (entry) openEntry(entry); });
  }

  init();
})();
