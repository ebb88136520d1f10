// Behaviour of the pages. No inline scripts anywhere: the Content Security Policy forbids them.
(function () {
  "use strict";

  // A request htmx could not complete (403, 404, 500, network) gets a visible message
  // instead of silently doing nothing.
  function showMessage(text, kind) {
    var box = document.getElementById("messages");
    if (!box) return;
    var message = document.createElement("p");
    message.className = "message message-" + (kind || "error");
    message.setAttribute("role", "alert");
    message.textContent = text;
    box.appendChild(message);
    window.setTimeout(function () { message.remove(); }, 8000);
  }

  var REASONS = {
    403: "You do not have permission to do that.",
    404: "That profile or page no longer exists.",
    405: "That action is not allowed here.",
    503: "That change met another one made at the same moment and was not saved. Please try again.",
  };

  document.addEventListener("htmx:responseError", function (event) {
    var status = event.detail.xhr.status;
    showMessage(REASONS[status] || "Something went wrong (error " + status + "). Please try again.");
  });
  document.addEventListener("htmx:sendError", function () {
    showMessage("The server could not be reached. Check the connection and try again.");
  });

  // Messages rendered with the page fade out after a while.
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("#messages .message").forEach(function (message) {
      window.setTimeout(function () { message.classList.add("fade"); }, 6000);
    });
  });

  // Mark the clicked tab at once; the server's answer confirms it.
  document.addEventListener("click", function (event) {
    var link = event.target.closest("[role=tablist] a[role=tab]");
    if (!link || event.metaKey || event.ctrlKey || event.shiftKey) return;
    link.parentElement.querySelectorAll("a[role=tab]").forEach(function (tab) {
      tab.setAttribute("aria-selected", tab === link ? "true" : "false");
    });
  });

  // Close the photo menu when a click lands outside it.
  document.addEventListener("click", function (event) {
    document.querySelectorAll("details.avatar-menu[open]").forEach(function (menu) {
      if (!menu.contains(event.target)) menu.removeAttribute("open");
    });
  });
})();
