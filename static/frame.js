// Ask the LMS to size its iframe to the page (LTI Client Side postMessages, lti.frameResize),
// and warn before the launch session ends. Progressive enhancement only: every page works
// without this script.
(function () {
  "use strict";
  // A page sent in answer to the launch's form post names its own address: put it in the
  // address bar, so reloading or going back fetches the page rather than posting the spent
  // launch again.
  var pageUrl = document.querySelector('meta[name="page-url"]');
  if (pageUrl && window.history && history.replaceState) {
    try { history.replaceState(null, "", pageUrl.getAttribute("content")); } catch (e) { /* another origin */ }
  }
  function resize() {
    if (window.parent === window) return;
    // The root element's own height, not scrollHeight: scrollHeight is never less than the
    // frame's current height, so a frame grown for a long page would never shrink again.
    var height = Math.ceil(document.documentElement.getBoundingClientRect().height);
    var message = { subject: "lti.frameResize", height: height };
    try { window.parent.postMessage(message, "*"); } catch (e) { /* not framed by an LMS */ }
  }
  // Every page starts in view: a learner who pressed "Next" at the bottom of a long page in
  // a frame the LMS grew to fit it would otherwise land far down the next one. Canvas scrolls
  // its window to the frame's top on lti.scrollToTop; an LMS that sizes the frame to the
  // window (Moodle 5.1) ignores it, and there each new page already starts at the top. The
  // page's own error summary sits at its top, so it is in view too (Chromium refuses to move
  // focus into a cross-origin frame on load).
  function scrollToTop() {
    if (window.parent === window) return;
    try { window.parent.postMessage({ subject: "lti.scrollToTop" }, "*"); } catch (e) { /* not framed */ }
    // An LMS that ignores the message may still have its page scrolled past the frame's top:
    // bring the page's first heading (or its error summary) into the window, moving the
    // LMS page no more than needed ("nearest"; nothing moves when it is in view already).
    var target = document.querySelector(".error-summary") || document.querySelector("main h1");
    if (target && target.scrollIntoView) { target.scrollIntoView({ block: "nearest" }); }
  }
  window.addEventListener("load", function () { resize(); scrollToTop(); });
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
