// After a form is submitted, the new page moves the keyboard focus to what it says about it
// (RGAA 7.1, 12.x): a question to confirm, an error summary, the first field in error, or the
// message of success. Nothing else on the page moves.
document.addEventListener("DOMContentLoaded", function () {
  var target =
    document.querySelector("[data-focus]") ||
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
