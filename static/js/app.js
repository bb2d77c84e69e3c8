// Small behaviours declared with data- attributes, so no page needs inline
// script (the Content-Security-Policy forbids it). Delegated from the document,
// so content htmx swaps in later works too.
(function () {
  "use strict";

  // <select data-autosubmit>: submit its form when the choice changes.
  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target.matches && target.matches("select[data-autosubmit]") && target.form) {
      target.form.submit();
    }
    // <input type="checkbox" data-select-all="#form input[name=ids]">: tick them all.
    if (target.matches && target.matches("input[data-select-all]")) {
      document.querySelectorAll(target.getAttribute("data-select-all")).forEach(function (box) {
        box.checked = target.checked;
      });
    }
  });

  // <form data-confirm="Question?">: ask first. <form data-inert>: never submits (previews).
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.hasAttribute("data-inert")) {
      event.preventDefault();
      return;
    }
    var question = form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  }, true);
})();
