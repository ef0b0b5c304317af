/* Agora pages: the session travels as a Bearer header on every htmx request (the partitioned
   session cookie only carries the browser's own navigations: reload, back/forward), the LMS
   iframe follows our height, math and code are rendered after every swap. No inline script or
   style anywhere (Content-Security-Policy): pages hand values over in data-* attributes. */
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
    // The rubric builder's "add a criterion" asks for the next criterion's number.
    if (evt.detail.elt && evt.detail.elt.id === "add-criterion") {
      evt.detail.parameters.index = document.querySelectorAll("#criteria fieldset").length;
    }
  });
  // A form marked data-reset-on-success empties after a successful post (instead of hx-on,
  // which needs eval and so a weaker Content-Security-Policy).
  document.addEventListener("htmx:afterRequest", function (evt) {
    var form = evt.detail.elt;
    if (evt.detail.successful && form && form.matches && form.matches("form[data-reset-on-success]")) {
      form.reset();
    }
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


  // Live updates. EventSource cannot send our header, so the SSE extension gets a small
  // fetch-based EventSource that does (and resumes with Last-Event-ID after a drop).
  var lastEventIds = {};
  function HeaderEventSource(url) {
    this.url = url;
    this.readyState = 0;
    this.listeners = {};
    this.onopen = null;
    this.onerror = null;
    this.onmessage = null;
    this._connect();
  }
  HeaderEventSource.prototype.addEventListener = function (type, fn) {
    (this.listeners[type] = this.listeners[type] || []).push(fn);
  };
  HeaderEventSource.prototype.removeEventListener = function (type, fn) {
    var list = this.listeners[type];
    if (list) this.listeners[type] = list.filter(function (f) { return f !== fn; });
  };
  HeaderEventSource.prototype._emit = function (type, event) {
    (this.listeners[type] || []).slice().forEach(function (fn) { fn(event); });
    var handler = this["on" + type];
    if (typeof handler === "function") handler(event);
  };
  HeaderEventSource.prototype.close = function () {
    this.readyState = 2;
    if (this.controller) this.controller.abort();
  };
  HeaderEventSource.prototype._connect = function () {
    var self = this;
    self.controller = new AbortController();
    var headers = { Accept: "text/event-stream", Authorization: authorization() };
    if (lastEventIds[self.url]) headers["Last-Event-ID"] = lastEventIds[self.url];
    fetch(self.url, { headers: headers, signal: self.controller.signal, cache: "no-store" })
      .then(function (response) {
        if (!response.ok || !response.body) throw new Error("SSE " + response.status);
        self.readyState = 1;
        self._emit("open", new Event("open"));
        var reader = response.body.getReader();
        var decoder = new TextDecoder();
        var buffer = "";
        function pump() {
          return reader.read().then(function (chunk) {
            if (chunk.done) throw new Error("SSE stream ended");
            buffer += decoder.decode(chunk.value, { stream: true });
            var parts = buffer.split(/\r?\n\r?\n/);
            buffer = parts.pop();
            parts.forEach(function (block) { self._dispatch(block); });
            return pump();
          });
        }
        return pump();
      })
      .catch(function (error) {
        if (self.readyState === 2 && self.controller.signal.aborted) return;
        self.readyState = 2;  // the extension reconnects with a back-off when CLOSED
        self._emit("error", error);
      });
  };
  HeaderEventSource.prototype._dispatch = function (block) {
    var type = "message", data = [], id = null;
    block.split(/\r?\n/).forEach(function (line) {
      if (!line || line.charAt(0) === ":") return;
      var colon = line.indexOf(":");
      var field = colon < 0 ? line : line.slice(0, colon);
      var value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
      if (field === "event") type = value;
      else if (field === "data") data.push(value);
      else if (field === "id") id = value;
    });
    if (id !== null) lastEventIds[this.url] = id;
    if (!data.length) return;
    this._emit(type, new MessageEvent(type, { data: data.join("\n"), lastEventId: id || "" }));
  };
  HeaderEventSource.CLOSED = 2;
  // Before htmx processes the page (this script runs after htmx and its SSE extension).
  if (window.htmx) window.htmx.createEventSource = function (url) { return new HeaderEventSource(url); };

  // A live event about the thread on screen refreshes it, unless a draft would be lost: then
  // a button offers the refresh instead.
  var refreshTimer = null;
  document.addEventListener("htmx:sseMessage", function (evt) {
    var live = document.getElementById("thread-live");
    if (!live || !evt.detail || typeof evt.detail.data !== "string") return;
    var data;
    try { data = JSON.parse(evt.detail.data); } catch (e) { return; }
    if (String(data.thread_id) !== live.getAttribute("data-thread-id")) return;
    clearTimeout(refreshTimer);
    refreshTimer = setTimeout(function () { refreshThread(live); }, 250);
  });
  function hasDraft(root) {
    return Array.prototype.some.call(root.querySelectorAll("textarea, input[type=text]"),
      function (el) { return el.value.trim() !== ""; });
  }
  function refreshThread(live) {
    if (!document.body.contains(live)) live = document.getElementById("thread-live");
    if (!live) return;
    var notice = document.getElementById("live-notice");
    if (hasDraft(live) && notice) {
      notice.innerHTML = "";
      var button = document.createElement("button");
      button.type = "button";
      button.className = "secondary";
      button.textContent = document.documentElement.lang === "fr"
        ? "Nouvelle activité : actualiser" : "New activity: refresh";
      button.addEventListener("click", function () {
        notice.innerHTML = "";
        window.htmx.trigger(document.getElementById("thread-live"), "agora:refresh");
      });
      notice.appendChild(button);
      return;
    }
    window.htmx.trigger(live, "agora:refresh");
  }

  // The thread tree (forum/_tree.html). Replies that arrive in a "run" (more posts, a new
  // reply) move into the container they belong in, in path order (the nearest shown ancestor's
  // if theirs is not on the page); subtrees a reader collapsed stay so when the thread is
  // refreshed live.
  function placeRuns(root) {
    var runs = root.matches && root.matches(".run[data-into]") ? [root]
      : (root.querySelectorAll ? root.querySelectorAll(".run[data-into]") : []);
    Array.prototype.forEach.call(runs, function (run) {
      var into = run.getAttribute("data-into") || "", box = null;
      while (into && !(box = document.getElementById("replies-" + into))) into = into.slice(0, -8);
      if (!box) return;  // stays where it was swapped in
      Array.prototype.slice.call(run.children).forEach(function (node) {
        var path = node.getAttribute("data-path") || "", next = box.firstElementChild;
        while (next && !(next.classList.contains("node") && next.getAttribute("data-path") > path)) {
          next = next.nextElementSibling;
        }
        box.insertBefore(node, next);
      });
      run.remove();
    });
  }
  // A collapsed subtree says how many replies it holds (those loaded): "Show replies (3)".
  document.addEventListener("toggle", function (evt) {
    var details = evt.target;
    if (!details.matches || !details.matches("details.subtree") || details.open) return;
    var total = details.querySelector(":scope > summary .reply-total");
    if (total) total.textContent = " (" + details.querySelectorAll(".node").length + ")";
  }, true);
  var collapsedPaths = [];
  document.addEventListener("htmx:beforeSwap", function (evt) {
    var target = evt.detail.target;
    if (!target || target.id !== "thread-live") return;
    collapsedPaths = Array.prototype.map.call(
      target.querySelectorAll(".node > details.subtree:not([open])"),
      function (details) { return details.parentElement.getAttribute("data-path"); });
  });
  function keepCollapsed(root) {
    if (root.id !== "thread-live" || !collapsedPaths.length) return;
    root.querySelectorAll(".node > details.subtree").forEach(function (details) {
      if (collapsedPaths.indexOf(details.parentElement.getAttribute("data-path")) >= 0) {
        details.removeAttribute("open");
      }
    });
  }

  // An answer shown first links to its place in the tree, a flattened reply to the post it
  // answers; past the loaded posts, load more until it is there (a bounded number of pages),
  // then go to it.
  document.addEventListener("click", function (evt) {
    var link = evt.target.closest && evt.target.closest("a.answer-place, .reply-to a");
    if (!link) return;
    var id = (link.getAttribute("href") || "").slice(1);
    if (!id || document.getElementById(id)) return;  // the browser goes there itself
    evt.preventDefault();
    var pages = 0, clicked = null;
    (function next(waited) {
      if (document.getElementById(id)) { window.location.hash = id; return; }
      var more = document.querySelector("#more-posts button");
      if (more && more !== clicked) {
        if (++pages > 40) return;
        clicked = more;
        more.click();
        waited = 0;
      } else if (waited > 100) {
        return;  // no new page for 10 s
      }
      setTimeout(function () { next(waited + 1); }, 100);
    })(0);
  });

  function enhance(root) {
    placeRuns(root);
    keepCollapsed(root);
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
    if (status && !document.querySelector('meta[name="agora-session"]') && storedToken()) {
      fetch(window.location.href, { headers: { Authorization: "Bearer " + storedToken() } })
        .then(function (response) { return response.ok ? response.text() : null; })
        .then(function (html) {
          if (!html) return;  // expired too: the "session ended" page stays
          document.open();
          document.write(html);
          document.close();
        });
      return;
    }
    enhance(document.body);
    postHeight();
    if (window.ResizeObserver) new ResizeObserver(postHeight).observe(document.body);
    window.addEventListener("resize", postHeight);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
