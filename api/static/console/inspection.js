/*
 * 12393 坐席工作台 — inspection review: list of scored calls and chats, a score sheet per call with
 * each finding's evidence highlighted in the transcript, confirm or overrule with a note.
 * API: GET /api/qa/results, GET /api/qa/results/{id}, POST /api/qa/findings/{id}/review,
 * GET /api/dashboard/rules (rule descriptions). The selected result is kept in the URL (#result=ID).
 */
(function () {
  "use strict";

  var C = window.Console;
  var SPEAKERS = { agent: "坐席", caller: "来电人", bot: "机器人" };
  var STATUS = { pending: "待复核", confirmed: "已确认", overruled: "已驳回" };
  var rules = {};
  var current = null;

  function $(id) { return document.getElementById(id); }

  function showError(err) {
    $("qa-error").textContent = err ? err.message : "";
    $("qa-error").hidden = !err;
  }

  function scoreSpan(score, passed) {
    return '<span class="score ' + (passed ? "pass" : "fail") + '">' + C.esc(String(score)) + "</span>";
  }

  function ruleName(rule) { return rules[rule] ? rules[rule] + "（" + rule + "）" : rule; }

  function loadList() {
    showError(null);
    var query = {
      since: $("f-since").value, until: $("f-until").value, agent_id: $("f-agent").value.trim(),
      passed: $("f-passed").value, limit: 200
    };
    return C.api("/api/qa/results", { query: query }).then(function (data) {
      $("results-total").textContent = data.total;
      $("results-empty").hidden = data.items.length > 0;
      $("results-table").querySelector("tbody").innerHTML = data.items.map(function (r) {
        return '<tr data-id="' + r.id + '"' + (current && current.id === r.id ? ' class="selected"' : "") + ">" +
          "<td>" + C.esc(r.transcript_id) + ' <span class="badge">' + C.esc(r.channel) + "</span></td>" +
          "<td>" + C.esc(r.agent_id || "—") + "</td><td>" + C.esc(r.call_date) + "</td>" +
          "<td>" + scoreSpan(r.score, r.passed) + "</td><td class='reviewed'>" +
          scoreSpan(r.reviewed_score, r.reviewed_passed) + "</td></tr>";
      }).join("");
    }).catch(showError);
  }

  /* Character ranges of every finding's evidence in each turn: {turnIndex: [{s, e, ids, overruled}]}. */
  function evidenceRanges(result) {
    var turns = (result.transcript && result.transcript.turns) || [];
    var ranges = {};
    var flagged = {};
    result.findings.forEach(function (f) {
      var overruled = f.review_status === "overruled";
      (f.turns || []).forEach(function (ti) { flagged[ti] = true; });
      (f.evidence || []).forEach(function (quote) {
        if (!quote) return;
        var where = (f.turns || []).concat(turns.map(function (_, i) { return i; }));
        for (var k = 0; k < where.length; k++) {
          var ti = where[k];
          var text = turns[ti] ? String(turns[ti].text || "") : "";
          var at = text.indexOf(quote);
          if (at >= 0) {
            (ranges[ti] = ranges[ti] || []).push({ s: at, e: at + quote.length, ids: [f.id], overruled: overruled });
            break;
          }
        }
      });
    });
    Object.keys(ranges).forEach(function (ti) {
      var merged = [];
      ranges[ti].sort(function (a, b) { return a.s - b.s; }).forEach(function (m) {
        var last = merged[merged.length - 1];
        if (last && m.s < last.e) {
          last.e = Math.max(last.e, m.e);
          last.ids = last.ids.concat(m.ids);
          last.overruled = last.overruled && m.overruled;
        } else {
          merged.push({ s: m.s, e: m.e, ids: m.ids.slice(), overruled: m.overruled });
        }
      });
      ranges[ti] = merged;
    });
    return { ranges: ranges, flagged: flagged };
  }

  function clock(sec) {
    if (sec === undefined || sec === null) return "";
    var s = Math.floor(sec);
    return " · " + String(Math.floor(s / 60)).padStart(2, "0") + ":" + String(s % 60).padStart(2, "0");
  }

  function renderTranscript(result) {
    var turns = (result.transcript && result.transcript.turns) || [];
    var ev = evidenceRanges(result);
    $("transcript").innerHTML = turns.map(function (t, i) {
      var text = String(t.text || "");
      var html = "";
      var pos = 0;
      (ev.ranges[i] || []).forEach(function (m) {
        html += C.esc(text.slice(pos, m.s)) + '<mark class="evidence' + (m.overruled ? " overruled" : "") +
          '" data-findings="' + m.ids.join(" ") + '">' + C.esc(text.slice(m.s, m.e)) + "</mark>";
        pos = m.e;
      });
      html += C.esc(text.slice(pos));
      return '<div class="turn ' + C.esc(t.speaker) + (ev.flagged[i] ? " flagged" : "") + '" id="turn-' + i +
        '" data-turn="' + i + '"><span class="who">' + (i + 1) + ". " + C.esc(SPEAKERS[t.speaker] || t.speaker) +
        clock(t.start) + "</span>" + html + "</div>";
    }).join("");
  }

  function renderFindings(result) {
    $("findings-count").textContent = result.findings.length;
    if (!result.findings.length) {
      $("findings").innerHTML = '<p class="ok">没有扣分项。</p>';
      return;
    }
    $("findings").innerHTML = result.findings.map(function (f) {
      var reviewed = f.review_status !== "pending"
        ? '<p class="muted review-note">' + C.esc(STATUS[f.review_status] || f.review_status) + " · " +
          C.esc(f.reviewed_by || "") + "：" + C.esc(f.review_comment || "") + "</p>"
        : "";
      return '<div class="finding sev-' + C.esc(f.severity) + " status-" + C.esc(f.review_status) + '" id="finding-' +
        f.id + '" data-finding="' + f.id + '" data-status="' + C.esc(f.review_status) + '">' +
        "<div><b>" + C.esc(ruleName(f.rule)) + '</b> <span class="badge ' + (f.severity === "一般" ? "warn" : "bad") +
        '">' + C.esc(f.severity) + '</span> <span class="points">扣 ' + f.points + ' 分</span> <span class="badge status">' +
        C.esc(STATUS[f.review_status] || f.review_status) + "</span></div>" +
        (f.detail ? '<p class="muted">' + C.esc(f.detail) + "</p>" : "") +
        "<p>证据：" + (f.evidence || []).map(function (e) {
          return '<span class="evidence-quote">' + C.esc(e) + "</span>";
        }).join(" ／ ") + "（第 " + (f.turns || []).map(function (t) { return t + 1; }).join("、") + " 句）</p>" +
        reviewed +
        '<label for="note-' + f.id + '">复核说明</label><textarea id="note-' + f.id + '" maxlength="1000" ' +
        'placeholder="写明确认或驳回的理由"></textarea>' +
        '<div class="review-actions"><button type="button" data-action="confirm">确认扣分</button>' +
        '<button type="button" class="secondary" data-action="overrule">驳回</button></div></div>';
    }).join("");
  }

  function renderSheet(result) {
    current = result;
    $("sheet-none").hidden = true;
    $("sheet").hidden = false;
    $("sheet-score").innerHTML = scoreSpan(result.score, result.passed);
    $("sheet-reviewed").innerHTML = scoreSpan(result.reviewed_score, result.reviewed_passed);
    $("sheet-verdict").innerHTML = result.reviewed_passed
      ? '<span class="badge ok">合格</span>' : '<span class="badge bad">不合格</span>';
    $("sheet-meta").textContent = "记录 " + result.transcript_id + " · 渠道 " + result.channel + " · 坐席 " +
      (result.agent_id || "—") + " · 日期 " + result.call_date + " · 规则集 " + result.ruleset_version +
      (result.kb_checked ? " · 已与知识库比对" : "");
    renderFindings(result);
    renderTranscript(result);
    Array.prototype.forEach.call(document.querySelectorAll("#results-table tr"), function (tr) {
      tr.classList.toggle("selected", Number(tr.getAttribute("data-id")) === result.id);
    });
    document.body.setAttribute("data-result", String(result.id));
  }

  function openResult(id) {
    showError(null);
    return C.api("/api/qa/results/" + encodeURIComponent(id)).then(function (result) {
      if (window.location.hash !== "#result=" + id) history.replaceState(null, "", "#result=" + id);
      renderSheet(result);
    }).catch(showError);
  }

  function focusFinding(id) {
    Array.prototype.forEach.call(document.querySelectorAll(".finding.active, mark.evidence.active"), function (n) {
      n.classList.remove("active");
    });
    var box = $("finding-" + id);
    if (box) box.classList.add("active");
    var first = null;
    Array.prototype.forEach.call(document.querySelectorAll("mark.evidence"), function (m) {
      if ((" " + m.getAttribute("data-findings") + " ").indexOf(" " + id + " ") >= 0) {
        m.classList.add("active");
        first = first || m;
      }
    });
    if (first && first.scrollIntoView) first.scrollIntoView({ block: "nearest" });
  }

  function review(findingId, action) {
    var note = $("note-" + findingId);
    var comment = note ? note.value.trim() : "";
    if (!comment) {
      showError(new Error("请填写复核说明（确认或驳回的理由）。"));
      if (note) note.focus();
      return Promise.resolve();
    }
    showError(null);
    return C.api("/api/qa/findings/" + findingId + "/review", {
      method: "POST", body: { action: action, comment: comment }
    }).then(function () {
      return openResult(current.id);
    }).then(loadList).catch(showError);
  }

  function init() {
    C.nav("inspection").catch(function () { return null; });
    $("qa-filter").addEventListener("submit", function (event) {
      event.preventDefault();
      loadList();
    });
    $("results-table").addEventListener("click", function (event) {
      var tr = event.target.closest("tr[data-id]");
      if (tr) openResult(tr.getAttribute("data-id"));
    });
    $("findings").addEventListener("click", function (event) {
      var box = event.target.closest(".finding");
      if (!box) return;
      var id = box.getAttribute("data-finding");
      var button = event.target.closest("button[data-action]");
      if (button) {
        button.disabled = true;
        review(id, button.getAttribute("data-action")).then(function () { button.disabled = false; });
      } else if (event.target.tagName !== "TEXTAREA") {
        focusFinding(id);
      }
    });
    $("transcript").addEventListener("click", function (event) {
      var mark = event.target.closest("mark.evidence");
      if (mark) focusFinding(mark.getAttribute("data-findings").split(" ")[0]);
    });
    var rulesLoaded = C.api("/api/dashboard/rules").then(function (r) { rules = r || {}; }).catch(function () {
      return null;
    });
    var match = /result=(\d+)/.exec(window.location.hash);
    rulesLoaded.then(loadList).then(function () { if (match) return openResult(match[1]); });
  }

  init();
})();
