// Progressive enhancement of the journey's forms (templates/journey/). Every form works
// without this script. It adds two things:
// 1. Draft saving: a form with data-draft-url posts its fields (CSRF token included) there
//    on each change, so an ended session or a closed tab loses no answer; the server
//    restores the draft when the page is shown again.
// 2. Conditional evaluation questions (data-when-question / data-when-answer) are hidden
//    until the answer they depend on is chosen; the server ignores answers to hidden ones.
(function () {
  "use strict";

  function saveDrafts(form) {
    var url = form.getAttribute("data-draft-url");
    var status = form.querySelector("[data-draft-status]");
    var timer = null;
    var saved = false;
    function report(ok) {
      if (!status) return;
      if (ok && !saved) { status.textContent = "Your answers so far are saved."; }
      if (!ok) { status.textContent = "Your latest answers could not be saved just now; they are still on this page."; }
      saved = ok;
    }
    function save() {
      timer = null;
      if (!window.fetch || !window.FormData) return;
      window.fetch(url, { method: "POST", body: new FormData(form), credentials: "same-origin" })
        .then(function (response) { report(response.ok); })
        .catch(function () { report(false); });
    }
    form.addEventListener("change", function () {
      if (timer) { clearTimeout(timer); }
      save();
    });
    form.addEventListener("input", function (event) {
      if (event.target && event.target.tagName === "TEXTAREA") {
        if (timer) { clearTimeout(timer); }
        timer = setTimeout(save, 800);
      }
    });
  }

  function conditional(item) {
    var form = item.closest("form");
    var question = item.getAttribute("data-when-question");
    var answer = item.getAttribute("data-when-answer");
    function update() {
      var checked = form.querySelector('input[name="' + question + '"]:checked');
      item.hidden = !(checked && checked.value === answer);
    }
    form.addEventListener("change", update);
    update();
  }

  Array.prototype.forEach.call(document.querySelectorAll("form[data-draft-url]"), saveDrafts);
  Array.prototype.forEach.call(document.querySelectorAll("[data-when-question]"), conditional);
})();
