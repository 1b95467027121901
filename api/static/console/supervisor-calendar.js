/*
 * 班长看板 (supervisor.html): a warning when the holiday calendar lacks this or next year
 * (GET /api/health, field calendar): work-order time limits are then counted Monday-Friday.
 */
(function () {
  "use strict";
  var C = window.Console;
  var box = document.getElementById("calendar-warning");

  C.api("/api/health").then(function (health) {
    var cal = health.calendar || {};
    if (cal.ok !== false) return;
    var message = String(cal.error || cal.message || "节假日日历缺失").split(" / ")[0];
    box.textContent = "节假日日历：" + message;
    box.dataset.missing = (cal.missing_years || []).join(",");
    box.hidden = false;
  }).catch(function () { /* health unreachable: the dashboard's own error shows */ });
})();
