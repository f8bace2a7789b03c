/* Resident pages: apply the "larger text" choice before the page is drawn, so the text
   does not jump after loading. Loaded in <head>, without defer; site.js wires the button. */
(function () {
  "use strict";
  try {
    if (window.localStorage.getItem("textSize") === "large") {
      document.documentElement.classList.add("large-text");
    }
  } catch (e) {
    // Storage blocked (private mode, settings): the page keeps the normal size.
  }
})();
