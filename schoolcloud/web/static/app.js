// Progressive enhancement only: every page works without JavaScript.
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  // A refused form came back: move the focus to its summary of what to correct.
  document.getElementById("form-errors")?.focus();
  // Ask before destructive actions; the server still requires the CSRF token either way.
  for (const form of document.querySelectorAll("form[data-confirm]")) {
    form.addEventListener("submit", (event) => {
      if (!window.confirm(form.dataset.confirm)) event.preventDefault();
    });
  }
});
