/*
 * 12393 坐席工作台 — FAQ sheet import on the knowledge editor page (POST /api/kb/import, multipart).
 * Shows the report: counts, then one table row per sheet row (or per problem when the sheet is
 * rejected: nothing is imported then). After an import the entry list is searched again.
 */
(function () {
  "use strict";

  var C = window.Console;
  var STATUS = { create: "新增", edit: "更新", unchanged: "未变", pending: "待审", retired: "已下线，未恢复" };

  function $(id) { return document.getElementById(id); }

  function show(report, failed) {
    var rows;
    if (failed) {
      $("kb-import-summary").className = "notice error";
      $("kb-import-summary").textContent = report.message || "表格有错误，未导入任何内容。";
      rows = (report.errors || []).map(function (e) {
        return "<tr class=\"import-error\"><td>" + C.esc(e.row) + "</td><td class=\"error\">错误</td><td>" +
          C.esc(e.column) + "</td><td></td><td>" + C.esc(e.reason) + "</td></tr>";
      });
    } else {
      var mode = report.dry_run ? "仅检查，未写入" : (report.draft ? "已存为草稿，待审核" : "已发布");
      $("kb-import-summary").className = "notice ok";
      $("kb-import-summary").textContent = report.file + "：" + mode + "。新增 " + report.created + "，更新 " +
        report.updated + "，未变 " + report.unchanged + "，待审 " + report.drafts +
        (report.retired ? "，已下线未恢复 " + report.retired : "") + "。";
      rows = (report.rows || []).map(function (r) {
        return "<tr data-entry=\"" + C.esc(r.entry_id) + "\"><td>" + C.esc(r.row) + "</td><td>" +
          C.esc(STATUS[r.status] || r.status) + "</td><td>" + C.esc(r.question) + "</td><td>" +
          C.esc(r.region || "全国") + "</td><td>" + C.esc(r.phrasings) + " 种问法</td></tr>";
      });
    }
    $("kb-import-table").querySelector("tbody").innerHTML = rows.join("");
    $("kb-import-report").hidden = false;
  }

  function submit(event) {
    event.preventDefault();
    var file = $("kb-import-file").files[0];
    if (!file) {
      show({ message: "请先选择要导入的表格文件。", errors: [] }, true);
      return;
    }
    var body = new FormData();
    body.append("file", file);
    body.append("draft", $("kb-import-draft").checked ? "true" : "false");
    body.append("dry_run", $("kb-import-dry").checked ? "true" : "false");
    $("kb-import-btn").disabled = true;
    $("kb-import-summary").className = "hint";
    $("kb-import-summary").textContent = "正在导入，生成问法并更新索引，可能需要一两分钟……";
    $("kb-import-report").hidden = false;
    fetch("/api/kb/import", { method: "POST", body: body, credentials: "same-origin",
      headers: { "Accept": "application/json" } })
      .then(function (resp) {
        return resp.json().catch(function () { return {}; }).then(function (data) {
          if (resp.status === 401) { window.location.href = "/console/login"; return; }
          if (resp.ok) {
            show(data, false);
            var search = $("kb-search");
            if (search && !data.dry_run) search.dispatchEvent(new Event("input"));
          } else {
            show({ message: data.message || ("导入失败（" + resp.status + "），请稍后再试。"), errors: data.errors || [] }, true);
          }
        });
      })
      .catch(function () { show({ message: "网络错误，导入未完成，请稍后再试。", errors: [] }, true); })
      .then(function () { $("kb-import-btn").disabled = false; });
  }

  $("kb-import-form").addEventListener("submit", submit);
})();
