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

// A table wider than its frame scrolls inside it: the frame then takes the keyboard focus
// (arrow keys scroll it) and is named after its table (RGAA 7.3, axe « scrollable-region-
// focusable »). Checked again when the window is resized (a phone turned sideways).
// The name of the table in a frame: its caption, else what names the table, else the heading
// before it; numbered when two frames of the page would share a name.
var frameNames = {};
function tableName(frame) {
  var table = frame.querySelector("table");
  var name = "";
  if (table && table.caption) {
    name = table.caption.textContent;
  } else if (table && table.getAttribute("aria-labelledby")) {
    name = table.getAttribute("aria-labelledby").split(" ").map(function (id) {
      var label = document.getElementById(id);
      return label ? label.textContent : "";
    }).join(" ");
  } else if (table && table.getAttribute("aria-label")) {
    name = table.getAttribute("aria-label");
  } else {
    var node = frame;
    while (node && !name) {
      node = node.previousElementSibling || node.parentElement;
      if (node && /^H[1-6]$/.test(node.tagName)) { name = node.textContent; }
    }
  }
  name = (name || "Tableau").replace(/\s+/g, " ").trim() + " (défilant)";
  frameNames[name] = (frameNames[name] || 0) + 1;
  return frameNames[name] > 1 ? name + " " + frameNames[name] : name;
}

function focusableScrollFrames() {
  document.querySelectorAll(".table-wrap").forEach(function (frame) {
    var scrolls = frame.scrollWidth > frame.clientWidth + 1;
    if (scrolls && !frame.hasAttribute("tabindex")) {
      frame.setAttribute("tabindex", "0");
      frame.setAttribute("role", "region");
      frame.setAttribute("aria-label", tableName(frame));
      frame.dataset.scrollFrame = "1";
    } else if (!scrolls && frame.dataset.scrollFrame) {
      frame.removeAttribute("tabindex");
      frame.removeAttribute("role");
      frame.removeAttribute("aria-label");
      delete frame.dataset.scrollFrame;
    }
  });
}
document.addEventListener("DOMContentLoaded", focusableScrollFrames);
window.addEventListener("resize", focusableScrollFrames);
document.addEventListener("htmx:afterSwap", focusableScrollFrames);
