/* LTI login with third-party cookies blocked: keep state and nonce in the platform's storage
   (LTI Client Side postMessages, lti.put_data), then continue to the platform's login.
   Values come from #lti-storage's data-* attributes (no inline script: CSP). */
(function () {
  "use strict";
  var cfg = document.getElementById("lti-storage").dataset;
  var link = document.getElementById("lti-continue");
  var done = false;
  function go() { if (!done) { done = true; window.location.href = link.href; } }
  var frame = null;
  try {
    frame = cfg.target === "_parent" ? window.parent : window.parent.frames[cfg.target];
  } catch (e) { frame = null; }
  if (!frame || frame === window) { go(); return; }
  var items = [["state_" + cfg.state, cfg.state], ["nonce_" + cfg.nonce, cfg.nonce]];
  var pending = items.length;
  window.addEventListener("message", function (event) {
    if (event.origin !== cfg.origin || !event.data) return;
    if (event.data.subject === "lti.put_data.response") { pending -= 1; if (pending <= 0) go(); }
  });
  items.forEach(function (item, i) {
    frame.postMessage({subject: "lti.put_data", message_id: "agora-" + i + "-" + cfg.state,
                       key: item[0], value: item[1]}, cfg.origin);
  });
  setTimeout(go, 3000);
})();
