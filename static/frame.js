// Ask the LMS to size its iframe to the page (LTI Client Side postMessages, lti.frameResize),
// and warn before the launch session ends. Progressive enhancement only: every page works
// without this script.
(function () {
  "use strict";
  function resize() {
    if (window.parent === window) return;
    // The root element's own height, not scrollHeight: scrollHeight is never less than the
    // frame's current height, so a frame grown for a long page would never shrink again.
    var height = Math.ceil(document.documentElement.getBoundingClientRect().height);
    var message = { subject: "lti.frameResize", height: height };
    try { window.parent.postMessage(message, "*"); } catch (e) { /* not framed by an LMS */ }
  }
  window.addEventListener("load", resize);
  if (window.ResizeObserver) { new ResizeObserver(resize).observe(document.body); }

  var warning = document.getElementById("session-warning");
  if (warning) {
    var expires = Date.parse(warning.getAttribute("data-expires"));
    var showAt = expires - 10 * 60 * 1000;
    var delay = showAt - Date.now();
    if (!isNaN(delay)) {
      setTimeout(function () { warning.hidden = false; }, Math.max(0, delay));
    }
  }
})();
