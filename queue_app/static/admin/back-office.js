/* The back office's pages (closures, audit log): the print button of the call list, a
 * confirmation before reopening a closure or removing a calendar window, and the from/to times enabled only for a
 * closure of part of the day. The pages work without it (CSP: no inline script). */
(function () {
  "use strict";

  var print = document.getElementById("print-call-list");
  if (print) print.addEventListener("click", function () { window.print(); });

  Array.prototype.forEach.call(document.querySelectorAll("form.reopen-form, form.remove-window"), function (form) {
    form.addEventListener("submit", function (event) {
      if (!window.confirm(form.getAttribute("data-question"))) event.preventDefault();
    });
  });

  var hours = document.getElementById("span-hours");
  var day = document.getElementById("span-day");
  function syncTimes() {
    ["start", "end"].forEach(function (id) {
      var input = document.getElementById(id);
      if (input) input.disabled = !hours.checked;
    });
  }
  if (hours && day) {
    hours.addEventListener("change", syncTimes);
    day.addEventListener("change", syncTimes);
    syncTimes();
  }
})();
