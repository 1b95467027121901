/* 登录 (login.html): POST /api/auth/login, then go to `next` (a console path) or the first allowed page. */
(function () {
  "use strict";
  var form = document.getElementById("login-form");
  var error = document.getElementById("login-error");
  function target(pages) {
    var next = new URLSearchParams(window.location.search).get("next") || "";
    // Only same-site console paths: never an open redirect.
    if (/^\/console(\/|$)/.test(next) && next.indexOf("//") < 0) return next;
    return (pages && pages.length) ? pages[0].url : "/console";
  }
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    error.hidden = true;
    var button = document.getElementById("login-submit");
    button.disabled = true;
    Console.api("/api/auth/login", {
      method: "POST",
      noRedirect: true,
      body: { username: form.username.value.trim(), password: form.password.value }
    }).then(function (data) {
      window.location.href = target(data.user.pages);
    }).catch(function (err) {
      error.textContent = err.message;
      error.hidden = false;
      form.password.value = "";
      form.password.focus();
    }).then(function () { button.disabled = false; });
  });
})();
