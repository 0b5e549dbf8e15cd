(function () {
  "use strict";
  var el = document.getElementById("lti-storage");
  var next = el.getAttribute("data-next");
  function go() { window.location.href = next; }
  window.ltiStorage
    .put(el.getAttribute("data-target"), el.getAttribute("data-origin"),
         "lti1p3_" + el.getAttribute("data-key"), el.getAttribute("data-value"))
    .then(go, go);  // without platform storage, the state cookie may still work
})();
