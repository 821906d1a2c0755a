// After a form is submitted, the new page moves the keyboard focus to what it says about it
// (RGAA 7.1, 12.x): a question to confirm, an error summary, the first field in error, the
// section the person came back to (an address ending in #section), or the message of success.
document.addEventListener("DOMContentLoaded", function () {
  var section = window.location.hash ? document.getElementById(window.location.hash.slice(1)) : null;
  var target =
    document.querySelector("[data-focus]") ||
    (section && document.querySelector(".messages") ? section : null) ||
    document.querySelector(".form-error[role='alert']") ||
    document.querySelector("[aria-invalid='true']") ||
    document.querySelector(".messages");
  if (!target) {
    return;
  }
  if (!target.matches("input, select, textarea, button, a[href]") && !target.hasAttribute("tabindex")) {
    target.setAttribute("tabindex", "-1");
  }
  target.focus({ preventScroll: false });
});
