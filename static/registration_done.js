// LTI Dynamic Registration §4: the LMS closes the tool's frame or window on this message.
// It carries nothing secret, and the tool cannot know the LMS page's origin, hence "*".
(function () {
  "use strict";
  var button = document.getElementById("close-registration");
  if (!button) { return; }
  var message = JSON.parse(button.getAttribute("data-message"));
  button.addEventListener("click", function () {
    if (window.opener) { window.opener.postMessage(message, "*"); }
    if (window.parent && window.parent !== window) { window.parent.postMessage(message, "*"); }
  });
})();
