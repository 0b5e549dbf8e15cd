// LTI Client Side postMessage storage (https://www.imsglobal.org/spec/lti-cs-pm/v0p1 and the
// platform storage extension): put/get a value in the platform's frame when the tool's own
// cookies are blocked. Tries the current names, then the legacy org.imsglobal.lti.* names.
window.ltiStorage = (function () {
  "use strict";
  function targetFrame(name) {
    if (!name || name === "_parent") return window.parent;
    try { return window.parent.frames[name] || window.parent; } catch (e) { return window.parent; }
  }
  function call(target, origin, subject, payload, timeoutMs) {
    return new Promise(function (resolve, reject) {
      var messageId = "m" + Math.random().toString(36).slice(2);
      var timer = setTimeout(function () { cleanup(); reject(new Error("timeout")); }, timeoutMs);
      function onMessage(event) {
        var data = event.data || {};
        if (event.origin !== origin || data.message_id !== messageId) return;
        if (data.subject !== subject + ".response") return;
        cleanup();
        if (data.error) { reject(new Error(data.error.code || "error")); } else { resolve(data); }
      }
      function cleanup() { clearTimeout(timer); window.removeEventListener("message", onMessage); }
      window.addEventListener("message", onMessage);
      var message = Object.assign({ subject: subject, message_id: messageId }, payload);
      targetFrame(target).postMessage(message, origin);
    });
  }
  function withLegacy(target, origin, name, payload) {
    return call(target, origin, "lti." + name, payload, 1500).catch(function () {
      return call(target, origin, "org.imsglobal.lti." + name, payload, 1500);
    });
  }
  return {
    put: function (target, origin, key, value) {
      return withLegacy(target, origin, "put_data", { key: key, value: value });
    },
    get: function (target, origin, key) {
      return withLegacy(target, origin, "get_data", { key: key }).then(function (d) { return d.value; });
    }
  };
})();
