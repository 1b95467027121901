/*
 * 12393 坐席工作台 — shared helpers of every console page: window.Console.
 *   Console.api(path, {method, body, query}) -> Promise<json>  (same-origin cookie; Chinese Error on non-2xx;
 *                                                              401 sends the browser to the login page)
 *   Console.me() -> Promise<{username, display_name, roles, pages}>
 *   Console.nav(active)  renders the pages the user may open into <nav id="console-nav">
 *   Console.logout(), Console.esc(text), Console.fmtTime(iso)
 * No external resources; the server checks every role again.
 */
(function () {
  "use strict";

  var mePromise = null;

  function loginUrl() {
    var here = window.location.pathname + window.location.search;
    return "/console/login?next=" + encodeURIComponent(here);
  }

  function api(path, opts) {
    opts = opts || {};
    var url = path;
    if (opts.query) {
      var params = new URLSearchParams();
      Object.keys(opts.query).forEach(function (key) {
        var value = opts.query[key];
        if (value === undefined || value === null || value === "") return;
        if (Array.isArray(value)) value.forEach(function (v) { params.append(key, v); });
        else params.append(key, value);
      });
      var qs = params.toString();
      if (qs) url += (url.indexOf("?") >= 0 ? "&" : "?") + qs;
    }
    var init = { method: opts.method || "GET", credentials: "same-origin", headers: { "Accept": "application/json" } };
    if (opts.body !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(opts.body);
    }
    return fetch(url, init).then(function (resp) {
      if (resp.status === 401 && !opts.noRedirect) {
        window.location.href = loginUrl();
        throw new Error("请先登录。");
      }
      if (resp.status === 204) return null;
      return resp.text().then(function (raw) {
        var data = null;
        try { data = raw ? JSON.parse(raw) : null; } catch (e) { data = null; }
        if (!resp.ok) {
          var message = (data && (data.message || data.detail)) || ("请求失败（" + resp.status + "），请稍后再试。");
          var err = new Error(typeof message === "string" ? message : "请求失败，请稍后再试。");
          err.status = resp.status;
          err.data = data;
          throw err;
        }
        return data;
      });
    });
  }

  function me() {
    if (!mePromise) mePromise = api("/api/auth/me");
    return mePromise;
  }

  function esc(text) {
    return String(text === undefined || text === null ? "" : text)
      .replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;")
      .replace(/"/g, "&quot;").replace(/'/g, "&#39;");
  }

  function pad(n) { return (n < 10 ? "0" : "") + n; }

  function fmtTime(iso) {
    if (!iso) return "";
    var d = new Date(iso);
    if (isNaN(d.getTime())) return String(iso);
    return d.getFullYear() + "-" + pad(d.getMonth() + 1) + "-" + pad(d.getDate()) + " " +
      pad(d.getHours()) + ":" + pad(d.getMinutes());
  }

  function logout() {
    return api("/api/auth/logout", { method: "POST", noRedirect: true })
      .catch(function () { return null; })
      .then(function () { window.location.href = "/console/login"; });
  }

  function nav(active) {
    var el = document.getElementById("console-nav");
    return me().then(function (user) {
      if (!el) return user;
      el.innerHTML = (user.pages || []).map(function (p) {
        return '<a href="' + esc(p.url) + '" data-page="' + esc(p.name) + '"' +
          (p.name === active ? ' class="active" aria-current="page"' : "") + ">" + esc(p.label) + "</a>";
      }).join("");
      var who = document.getElementById("console-who");
      if (who) {
        who.innerHTML = esc(user.display_name || user.username) +
          ' <button type="button" id="console-logout">退出</button>';
        document.getElementById("console-logout").addEventListener("click", logout);
      }
      return user;
    });
  }

  window.Console = { api: api, me: me, nav: nav, logout: logout, esc: esc, fmtTime: fmtTime, loginUrl: loginUrl };
})();
