// Applies the saved (or the system's) color theme before the page paints.
(function () {
  var t = null;
  try { t = localStorage.getItem("sftpgo-theme"); } catch (e) { /* storage disabled */ }
  if (t !== "dark" && t !== "light") {
    t = window.matchMedia && window.matchMedia("(prefers-color-scheme: dark)").matches ? "dark" : "light";
  }
  document.documentElement.setAttribute("data-theme", t);
})();
