// One styled confirmation for destructive or status changes, never the browser's confirm().
//
// htmx: an element with hx-confirm="Question?" fires htmx:confirm before its request; the
// question is asked in a <dialog> here and the request goes only on "confirm"
// (event.detail.issueRequest(true)). Cancel (or Escape) sends nothing and puts the form's
// fields back as the page drew them, so the page shows what is stored.
// A form without htmx asks the same with data-confirm="Question?".
// Options on the element: data-confirm-action (the confirm button's words),
// data-confirm-detail (a line under the question), data-confirm-when="status" (ask only
// when the field named status, or ending in -status, changed: a priority alone goes at
// once); "{status}" in a question becomes the chosen option's words.
(function () {
  "use strict";
  if (window.profilesConfirm) return;

  var dialog;

  function build() {
    dialog = document.createElement("dialog");
    dialog.className = "confirm-dialog";
    dialog.setAttribute("aria-labelledby", "confirm-dialog-title");
    dialog.setAttribute("aria-describedby", "confirm-dialog-question");
    dialog.innerHTML =
      '<form method="dialog">' +
      '<h2 id="confirm-dialog-title">Please confirm</h2>' +
      '<p class="confirm-question" id="confirm-dialog-question"></p>' +
      '<p class="confirm-detail muted"></p>' +
      '<div class="confirm-actions">' +
      '<button type="submit" value="cancel" class="button confirm-cancel">Cancel</button>' +
      '<button type="submit" value="confirm" class="button danger confirm-ok">Confirm</button>' +
      "</div></form>";
    document.body.appendChild(dialog);
    return dialog;
  }

  function field(form, name) {
    if (!form || !name) return null;
    return form.querySelector('[name="' + name + '"], [name$="-' + name + '"]');
  }

  function shown(input) {
    if (!input) return "";
    if (input.tagName === "SELECT") {
      var option = input.options[input.selectedIndex];
      return option ? option.textContent.trim() : "";
    }
    return input.value;
  }

  function changed(input) {
    if (!input) return true;
    if (input.tagName === "SELECT") {
      return Array.prototype.some.call(input.options, function (option) {
        return option.selected !== option.defaultSelected;
      });
    }
    if (input.type === "checkbox" || input.type === "radio") {
      return input.checked !== input.defaultChecked;
    }
    return input.value !== input.defaultValue;
  }

  function formOf(element) {
    return element.tagName === "FORM" ? element : element.closest("form");
  }

  function words(element, text) {
    var form = formOf(element);
    return text.replace(/\{([a-z_]+)\}/g, function (whole, name) {
      var input = field(form, name);
      return input ? shown(input) : whole;
    });
  }

  // Ask; call done(true) on confirm, done(false) on cancel or Escape.
  function ask(element, question, done) {
    var box = dialog || build();
    box.querySelector(".confirm-question").textContent = words(element, question);
    box.querySelector(".confirm-detail").textContent = element.getAttribute("data-confirm-detail") || "";
    box.querySelector(".confirm-ok").textContent = element.getAttribute("data-confirm-action") || "Confirm";
    box.returnValue = "";
    box.addEventListener(
      "close",
      function () {
        done(box.returnValue === "confirm");
      },
      { once: true }
    );
    box.showModal();
    box.querySelector(".confirm-cancel").focus();
  }

  function needed(element) {
    var when = element.getAttribute("data-confirm-when");
    return !when || changed(field(formOf(element), when));
  }

  function restore(element) {
    var form = formOf(element);
    if (form) form.reset();
  }

  document.addEventListener("htmx:confirm", function (event) {
    var question = event.detail.question;
    if (!question) return; // no hx-confirm: htmx goes on by itself
    event.preventDefault();
    var element = event.detail.elt;
    if (!needed(element)) {
      event.detail.issueRequest(true);
      return;
    }
    ask(element, question, function (confirmed) {
      if (confirmed) event.detail.issueRequest(true);
      else restore(element);
    });
  });

  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form.getAttribute && form.getAttribute("data-confirm");
    if (!question || form.hasAttribute("hx-post") || !needed(form)) return;
    event.preventDefault();
    ask(form, question, function (confirmed) {
      if (confirmed) form.submit();
      else restore(form);
    });
  });

  // Messages an htmx answer brings (core.middleware, swapped out of band into #messages)
  // fade and leave after a while, like those of a whole page; older ones leave first.
  document.addEventListener("htmx:oobAfterSwap", function (event) {
    var box = event.detail.target;
    if (!box || box.id !== "messages") return;
    box.querySelectorAll(".message:not([data-leaving])").forEach(function (message) {
      message.setAttribute("data-leaving", "");
      window.setTimeout(function () { message.classList.add("fade"); }, 6000);
      window.setTimeout(function () { message.remove(); }, 7000);
    });
  });

  window.profilesConfirm = { ask: ask };
})();
