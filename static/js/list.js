// The profile list's selection: "select all on this page", the count of selected profiles,
// and the bulk bar showing the choice its action needs. Delegated on the document, so it
// works on the results htmx swaps in.
(function () {
  "use strict";

  function form() {
    return document.getElementById("bulk-form");
  }

  function update() {
    var bulk = form();
    if (!bulk) return;
    var rows = bulk.querySelectorAll("[data-select-row]");
    var checked = bulk.querySelectorAll("[data-select-row]:checked");
    var count = bulk.querySelector("[data-bulk-count]");
    if (count) count.textContent = String(checked.length);
    var all = bulk.querySelector("[data-select-all]");
    if (all) {
      all.checked = rows.length > 0 && checked.length === rows.length;
      all.indeterminate = checked.length > 0 && checked.length < rows.length;
    }
    var action = bulk.querySelector("[data-bulk-action]");
    bulk.querySelectorAll("[data-bulk-for]").forEach(function (control) {
      control.hidden = !action || control.getAttribute("data-bulk-for") !== action.value;
    });
  }

  document.addEventListener("change", function (event) {
    var target = event.target;
    if (!(target instanceof Element) || !target.closest("#bulk-form")) return;
    if (target.matches("[data-select-all]")) {
      form().querySelectorAll("[data-select-row]").forEach(function (box) {
        box.checked = target.checked;
      });
    }
    update();
  });
  document.addEventListener("DOMContentLoaded", update);
  document.addEventListener("htmx:afterSettle", update);
})();
