"use strict";
// A mission's box checks or unchecks all its attendus, and shows whether they all are.
document.querySelectorAll("[data-mission]").forEach(function (box) {
  var items = Array.from(document.querySelectorAll('[data-in-mission="' + box.dataset.mission + '"]'));
  function sync() {
    var all = items.every(function (i) { return i.checked; });
    box.checked = all;
    box.indeterminate = !all && items.some(function (i) { return i.checked; });
  }
  if (box.checked) { items.forEach(function (i) { i.checked = true; }); }
  box.addEventListener("change", function () {
    items.forEach(function (i) { i.checked = box.checked; });
    box.indeterminate = false;
  });
  items.forEach(function (i) { i.addEventListener("change", sync); });
  sync();
});
