// Keyboard use of the profile page's tab bars (the ARIA tabs pattern, automatic activation)
// and labels for table cells shown as stacked rows on a narrow screen.
//
// Tabs: only the selected tab is in the Tab order (roving tabindex); Left and Right arrows
// move to the previous and next tab, Home and End to the first and last, and open it (the
// link's own htmx request, so the URL and the swap stay those of a click). The answer
// replaces the tab bar, so focus is put back on the newly selected tab once it settles.
(function () {
  "use strict";

  var TAB = "[role=tab]";
  // The tab bar whose selected tab gets the focus when its new copy arrives: its id, and
  // the tab list there when the key was pressed (until it is replaced, nothing is due).
  var pending = null;

  function tabsOf(list) {
    return Array.prototype.slice.call(list.querySelectorAll(TAB));
  }

  function rove(root) {
    (root || document).querySelectorAll("[role=tablist]").forEach(function (list) {
      var tabs = tabsOf(list);
      var selected = tabs.filter(function (tab) {
        return tab.getAttribute("aria-selected") === "true";
      })[0] || tabs[0];
      tabs.forEach(function (tab) {
        tab.setAttribute("tabindex", tab === selected ? "0" : "-1");
      });
    });
  }

  var KEYS = { ArrowRight: 1, ArrowLeft: -1, Home: "first", End: "last" };

  document.addEventListener("keydown", function (event) {
    var tab = event.target.closest && event.target.closest(TAB);
    var list = tab && tab.closest("[role=tablist]");
    if (!list || !(event.key in KEYS) || event.altKey || event.ctrlKey || event.metaKey) return;
    var tabs = tabsOf(list);
    var index = tabs.indexOf(tab);
    var move = KEYS[event.key];
    var next;
    if (move === "first") next = tabs[0];
    else if (move === "last") next = tabs[tabs.length - 1];
    else next = tabs[(index + move + tabs.length) % tabs.length];
    event.preventDefault();
    if (!next || next === tab) return;
    var bar = list.closest("[id]");
    pending = bar ? { id: bar.id, list: list } : null;
    next.focus();
    // A key pressed right after a swap may reach a tab htmx has not set up yet: a click
    // there would load the whole page (and lose the focus). Setting it up twice is harmless.
    if (window.htmx) window.htmx.process(next);
    next.click(); // app.js marks it selected; htmx loads it
    rove(list.parentElement);
  });

  // The new tab bar arrives with the answer, swapped out of band; one answer may settle
  // in several steps, so wait for the bar's tab list to be a new one before moving focus.
  function restoreFocus() {
    if (!pending) return;
    var bar = document.getElementById(pending.id);
    var list = bar && (bar.matches("[role=tablist]") ? bar : bar.querySelector("[role=tablist]"));
    if (!list || list === pending.list) return;
    pending = null;
    var selected = list.querySelector(TAB + "[aria-selected=true]");
    if (selected && document.activeElement !== selected) selected.focus();
  }

  document.addEventListener("htmx:afterSettle", function () {
    rove(document);
    restoreFocus();
  });

  // A table stacked into rows on a narrow screen shows each cell's column name beside it
  // (layout.css: td::before { content: attr(data-label) }).
  function labelCells(root) {
    (root || document).querySelectorAll("table.table").forEach(function (table) {
      var head = table.tHead && table.tHead.rows[0];
      if (!head) return;
      var names = [];
      Array.prototype.forEach.call(head.cells, function (cell) {
        var span = cell.colSpan || 1;
        for (var i = 0; i < span; i++) names.push(cell.textContent.trim());
      });
      Array.prototype.forEach.call(table.tBodies, function (body) {
        // Cells under a rowspan shift left: count the columns they take, row by row.
        var carried = [];
        Array.prototype.forEach.call(body.rows, function (row) {
          var column = 0;
          Array.prototype.forEach.call(row.cells, function (cell) {
            while (carried[column] > 0) column++;
            var name = names[column];
            if (name && !cell.hasAttribute("data-label") && cell.colSpan === 1) {
              cell.setAttribute("data-label", name);
            }
            for (var i = 0; i < (cell.colSpan || 1); i++) {
              carried[column + i] = (cell.rowSpan || 1);
            }
            column += cell.colSpan || 1;
          });
          for (var c = 0; c < carried.length; c++) if (carried[c] > 0) carried[c]--;
        });
      });
    });
  }

  function refresh(root) {
    rove(root);
    labelCells(root);
  }

  document.addEventListener("htmx:load", function () {
    refresh(document);
    restoreFocus();
  });
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () {
      refresh(document);
    });
  } else {
    refresh(document);
  }
})();
