(function () {
  "use strict";
  var el = document.getElementById("lti-storage");
  var form = document.getElementById("launch-again");
  window.ltiStorage
    .get(el.getAttribute("data-target"), el.getAttribute("data-origin"), "lti1p3_" + el.getAttribute("data-key"))
    .then(function (value) {
      if (!value) throw new Error("no value");
      form.elements["lti_storage_value"].value = value;
      form.submit();
    })
    .catch(function () { document.getElementById("storage-failed").hidden = false; });
})();
