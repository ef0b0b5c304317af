/* Agora pages: the session travels as a Bearer header on every htmx request (never a cookie),
   the LMS iframe follows our height, math and code are rendered after every swap. */
(function () {
  "use strict";
  var STORE_KEY = "agora-session";

  function storedToken() {
    try { return window.sessionStorage.getItem(STORE_KEY) || ""; } catch (e) { return ""; }
  }
  function token() {
    var meta = document.querySelector('meta[name="agora-session"]');
    return (meta && meta.content) || storedToken();
  }
  function remember() {
    var meta = document.querySelector('meta[name="agora-session"]');
    if (!meta || !meta.content) return;
    // Storage may be blocked in a third-party iframe; the meta tag alone is enough then.
    try { window.sessionStorage.setItem(STORE_KEY, meta.content); } catch (e) { /* ignore */ }
  }
  function authorization() { var t = token(); return t ? "Bearer " + t : ""; }

  document.addEventListener("htmx:configRequest", function (evt) {
    var value = authorization();
    if (value) evt.detail.headers["Authorization"] = value;
  });
  document.addEventListener("htmx:historyCacheMiss", function (evt) {
    var value = authorization();
    if (value) evt.detail.xhr.setRequestHeader("Authorization", value);
  });

  // Error answers are HTML too: a navigation shows the error page, a partial update a message.
  document.addEventListener("htmx:beforeSwap", function (evt) {
    var status = evt.detail.xhr.status;
    if (status < 400) return;
    if (evt.detail.boosted) {
      evt.detail.shouldSwap = true;
      evt.detail.isError = false;
    } else {
      evt.detail.shouldSwap = false;
      flash(evt.detail.serverResponse);
    }
  });
  document.addEventListener("htmx:sendError", function () {
    flash('<p class="notice notice-error" role="alert">' + (document.documentElement.lang === "fr"
      ? "Le serveur est injoignable. Réessayez."
      : "The server cannot be reached. Try again.") + "</p>");
  });

  function flash(html) {
    var box = document.getElementById("flash");
    if (!box) return;
    box.innerHTML = html;
    var close = document.createElement("button");
    close.type = "button";
    close.className = "flash-close";
    close.textContent = "×";
    close.setAttribute("aria-label", document.documentElement.lang === "fr" ? "Fermer" : "Dismiss");
    close.addEventListener("click", function () { box.innerHTML = ""; });
    box.appendChild(close);
  }
  document.addEventListener("htmx:beforeRequest", function () {
    var box = document.getElementById("flash");
    if (box && box.querySelector(".notice-error")) box.innerHTML = "";
  });

  // LTI: ask the LMS to size its iframe to our content.
  var lastHeight = 0;
  function postHeight() {
    if (window.parent === window) return;
    var height = Math.ceil(document.documentElement.scrollHeight);
    if (height === lastHeight) return;
    lastHeight = height;
    window.parent.postMessage({ subject: "lti.frameResize", height: height }, "*");
  }

  function renderMath(root) {
    if (!window.katex) return;
    root.querySelectorAll(".math:not([data-rendered])").forEach(function (el) {
      el.setAttribute("data-rendered", "");
      try {
        window.katex.render(el.textContent, el, {
          displayMode: el.classList.contains("block"), throwOnError: false
        });
      } catch (e) { /* leave the TeX source visible */ }
    });
    if (window.renderMathInElement) {
      root.querySelectorAll(".markdown").forEach(function (el) {
        window.renderMathInElement(el, {
          delimiters: [
            { left: "\\[", right: "\\]", display: true },
            { left: "\\(", right: "\\)", display: false }
          ],
          throwOnError: false
        });
      });
    }
  }
  function highlight(root) {
    if (!window.hljs) return;
    root.querySelectorAll("pre code:not([data-highlighted])").forEach(function (el) {
      window.hljs.highlightElement(el);
    });
  }

  // A download (CSV export) needs our header too, so it is fetched and saved from a blob.
  document.addEventListener("click", function (evt) {
    var link = evt.target.closest && evt.target.closest("a[data-download]");
    if (!link) return;
    evt.preventDefault();
    fetch(link.href, { headers: { Authorization: authorization() } })
      .then(function (response) {
        if (!response.ok) throw new Error(String(response.status));
        return response.blob();
      })
      .then(function (blob) {
        var url = URL.createObjectURL(blob);
        var a = document.createElement("a");
        a.href = url;
        a.download = link.getAttribute("data-download") || "export.csv";
        document.body.appendChild(a);
        a.click();
        a.remove();
        setTimeout(function () { URL.revokeObjectURL(url); }, 1000);
      })
      .catch(function () { flash('<p class="notice notice-error" role="alert">Download failed.</p>'); });
  });

  function enhance(root) {
    renderMath(root);
    highlight(root);
  }

  document.addEventListener("htmx:load", function (evt) { enhance(evt.detail.elt); });
  document.addEventListener("htmx:afterSettle", postHeight);

  function start() {
    remember();
    // After a launch the address is /lti/launch; put the page's own address in history instead.
    var uiUrl = document.body.getAttribute("data-ui-url");
    if (uiUrl) window.history.replaceState(null, "", uiUrl);
    // A reload loses the header: if this tab still holds a session, load the page again with it.
    var status = document.querySelector(".notice[data-status='401']");
    if (status && !document.querySelector('meta[name="agora-session"]') && storedToken() &&
        window.htmx) {
      window.htmx.ajax("GET", window.location.href, { target: "body", swap: "innerHTML" });
    }
    enhance(document.body);
    postHeight();
    if (window.ResizeObserver) new ResizeObserver(postHeight).observe(document.body);
    window.addEventListener("resize", postHeight);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
