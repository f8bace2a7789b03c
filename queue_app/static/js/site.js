/* Resident pages: small progressive enhancements only; every page works without it. */
(function () {
  "use strict";
  // After a failed submission, move keyboard and screen-reader focus to the error list.
  var summary = document.getElementById("error-summary");
  if (summary) {
    summary.focus();
  }
})();
