/* LTI launch whose state cookie did not come back (third-party cookies blocked): confirm through
   the platform's storage (lti.get_data) that this browser started the login, then finish.
   Values come from #lti-storage's data-* attributes (no inline script: CSP). */
(function () {
  "use strict";
  var cfg = document.getElementById("lti-storage").dataset;
  var form = document.getElementById("lti-complete");
  var status = document.getElementById("lti-status");
  function fail(why) { status.textContent = "Agora could not confirm this launch: " + why; }
  var frame = null;
  try {
    frame = cfg.target === "_parent" ? window.parent : window.parent.frames[cfg.target];
  } catch (e) { frame = null; }
  if (!frame || frame === window) { fail("the platform storage is not reachable."); return; }
  var id = "agora-get-" + cfg.state;
  window.addEventListener("message", function (event) {
    var data = event.data;
    if (event.origin !== cfg.origin || !data || data.subject !== "lti.get_data.response") return;
    if (data.message_id !== id) return;
    if (data.value !== cfg.state) { fail("the platform does not know this login."); return; }
    form.elements.state.value = data.value;
    form.submit();
  });
  frame.postMessage({subject: "lti.get_data", message_id: id, key: "state_" + cfg.state},
                    cfg.origin);
  setTimeout(function () { if (!form.elements.state.value) fail("no answer from the platform."); },
             5000);
})();
