/* Resident pages: small progressive enhancements only; every page works without it. */
(function () {
  "use strict";

  // After a failed submission, move keyboard and screen-reader focus to the error list.
  var summary = document.getElementById("error-summary");
  if (summary) {
    summary.focus();
    // A link of the list takes the resident to its field: focus it, with its label in view.
    summary.addEventListener("click", function (event) {
      var link = event.target.closest("a[data-field]");
      var field = link && document.getElementById(link.getAttribute("data-field"));
      if (!field) {
        return;
      }
      event.preventDefault();
      var label = document.querySelector('label[for="' + field.id + '"]');
      (label || field).scrollIntoView({ block: "center" });
      field.focus({ preventScroll: true });
    });
  }

  // "Larger text" in the header: a toggle remembered in localStorage (text-size.js applies it early).
  var sizeButton = document.getElementById("text-size");
  if (sizeButton) {
    var root = document.documentElement;
    var show = function () {
      sizeButton.setAttribute("aria-pressed", root.classList.contains("large-text") ? "true" : "false");
    };
    sizeButton.hidden = false;
    show();
    sizeButton.addEventListener("click", function () {
      var large = root.classList.toggle("large-text");
      try {
        if (large) {
          window.localStorage.setItem("textSize", "large");
        } else {
          window.localStorage.removeItem("textSize");
        }
      } catch (e) {
        // Storage blocked: the choice lasts for this page only.
      }
      show();
    });
  }

  // "Print this page" on the confirmation of a reservation without e-mail.
  var printButton = document.getElementById("print-page");
  if (printButton) {
    printButton.hidden = false;
    printButton.addEventListener("click", function () {
      window.print();
    });
  }
})();
