// Times in the viewer's time zone, on every page (History, subscriptions, segments…).
//
// The browser's time zone goes to the server in the "tz" cookie, so later pages and
// fragments are rendered in it (core.middleware.TimezoneMiddleware); times already
// rendered in another zone (the first visit) are rewritten here, as "2026-12-02 08:44",
// and the zone's name beside them too. Without this script times show in the server's
// zone, which the page names. Loaded by every page (a section may arrive by htmx, which
// runs no scripts); safe to load twice.
(function () {
  "use strict";
  if (window.profilesHistory) {
    window.profilesHistory.localize(document);
    return;
  }
  var zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  var format = new Intl.DateTimeFormat("sv-SE", {
    timeZone: zone,
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
    hour12: false,
  });

  function savedZone() {
    var match = document.cookie.match(/(?:^|; )tz=([^;]*)/);
    return match ? decodeURIComponent(match[1]) : "";
  }

  function localize(root) {
    if (!zone || !root.querySelectorAll) return;
    root.querySelectorAll("[data-zone]").forEach(function (element) {
      if (element.dataset.zone === zone) return;
      if (element.tagName === "TIME") {
        var moment = new Date(element.getAttribute("datetime"));
        if (isNaN(moment)) return;
        element.textContent = format.format(moment);
      } else {
        element.textContent = zone;
      }
      element.dataset.zone = zone;
    });
  }

  if (zone && savedZone() !== zone) {
    document.cookie = "tz=" + encodeURIComponent(zone) + "; path=/; max-age=31536000; SameSite=Lax";
  }
  document.addEventListener("htmx:afterSettle", function () {
    localize(document);
  });
  window.profilesHistory = { localize: localize };
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () {
      localize(document);
    });
  } else {
    localize(document);
  }
})();
