/* The slip's print button (no inline script: the CSP forbids it). */
document.getElementById("print").addEventListener("click", () => window.print());
