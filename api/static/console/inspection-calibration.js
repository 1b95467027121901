/*
 * 12393 坐席工作台 — inspection page, recalibration of the semantic checks (重新校准): runs the same
 * calibration as `hotline qa calibrate` on the labelled calls and every supervisor review, shows the
 * thresholds and each semantic category's precision/recall before and after, and applies the new
 * thresholds only when the supervisor confirms.
 * API: POST /api/qa/calibration, POST /api/qa/calibration/apply.
 */
(function () {
  "use strict";

  var C = window.Console;
  var LABELS = {
    impatience: "语气不耐烦", forbidden: "近似服务禁语", deflection: "推诿", vague: "含糊拖延",
    caller_open: "来电人事项未了结"
  };
  var CATEGORIES = {
    politeness: "文明礼貌", forbidden_phrase: "服务禁语", first_contact_responsibility: "首问负责",
    unresolved: "问题未解决"
  };
  var proposal = null;

  function $(id) { return document.getElementById(id); }

  function status(text, error) {
    $("calibration-status").textContent = text;
    $("calibration-status").classList.toggle("error", Boolean(error));
  }

  function num(x, digits) { return x === null || x === undefined ? "—" : Number(x).toFixed(digits); }

  function render(p) {
    proposal = p;
    $("calibration-source").textContent = "依据：" + p.labelled_calls + " 条带标注的通话，" +
      p.reviewed_sentences + " 条主管复核过的语句。";
    var names = Object.keys(p.after).sort();
    $("calibration-thresholds").querySelector("tbody").innerHTML = names.map(function (name) {
      return '<tr data-label="' + C.esc(name) + '"><td>' + C.esc(LABELS[name] || name) + "</td><td class='before'>" +
        num(p.before[name], 4) + "</td><td class='after'>" + num(p.after[name], 4) + "</td></tr>";
    }).join("");
    $("calibration-categories").querySelector("tbody").innerHTML = p.categories.map(function (c) {
      return '<tr data-category="' + C.esc(c.category) + '"><td>' + C.esc(CATEGORIES[c.category] || c.category) +
        "</td><td>" + c.support + "</td><td>" + num(c.before_precision, 3) + "</td><td>" + num(c.before_recall, 3) +
        "</td><td class='after-precision'>" + num(c.after_precision, 3) + "</td><td class='after-recall'>" +
        num(c.after_recall, 3) + "</td></tr>";
    }).join("");
    $("calibration-result").hidden = false;
    $("calibrate-apply").disabled = false;
    status("新阈值尚未生效：核对后点“应用新阈值”。");
  }

  function run() {
    $("calibrate-run").disabled = true;
    $("calibration-result").hidden = true;
    status("正在重新校准，通话较多时需要几十秒……");
    return C.api("/api/qa/calibration", { method: "POST", body: {} }).then(render).catch(function (err) {
      status(err.message, true);
    }).then(function () { $("calibrate-run").disabled = false; });
  }

  function apply() {
    if (!proposal) return Promise.resolve();
    $("calibrate-apply").disabled = true;
    return C.api("/api/qa/calibration/apply", { method: "POST", body: { id: proposal.id } }).then(function () {
      $("calibration-result").hidden = true;
      proposal = null;
      status("新阈值已生效，之后的质检按新阈值评分。");
    }).catch(function (err) {
      $("calibrate-apply").disabled = false;
      status(err.message, true);
    });
  }

  $("calibrate-run").addEventListener("click", run);
  $("calibrate-apply").addEventListener("click", apply);
  $("calibrate-discard").addEventListener("click", function () {
    proposal = null;
    $("calibration-result").hidden = true;
    status("已放弃，阈值未改变。");
  });
})();
