/*
 * 班长看板 (supervisor.html): the top clusters of questions the bot declined or handed over
 * (GET /api/dashboard/clusters, computed by the daily job over the last HOTLINE_KB_CLUSTER_DAYS days).
 */
(function () {
  "use strict";
  var C = window.Console;

  function render(rows) {
    document.getElementById("clusters-table").querySelector("tbody").innerHTML = rows.map(function (c) {
      var others = c.examples.filter(function (q) { return q !== c.question; });
      return "<tr><td>" + C.esc(c.question) + "</td><td>" + c.count + "</td><td>" + (c.kinds.abstain || 0) +
        "</td><td>" + (c.kinds.handoff || 0) + "</td><td>" + others.map(C.esc).join("<br>") + "</td><td>" +
        (c.agent_answer ? C.esc(c.agent_answer) : '<span class="muted">（没有坐席答复）</span>') + "</td></tr>";
    }).join("") || '<tr><td colspan="6" class="muted">近期没有答不上或转人工的问题。</td></tr>';
  }

  C.api("/api/dashboard/clusters", { query: { limit: 10 } }).then(render).catch(function (err) {
    document.getElementById("clusters-table").querySelector("tbody").innerHTML =
      '<tr><td colspan="6" class="muted">' + C.esc(err.message) + "</td></tr>";
  });
})();
