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

  // <select data-insert-template>: copy the chosen saved template (data-body,
  // data-subject on the option) into the composer, then reset the picker.
  document.addEventListener("change", function (event) {
    var select = event.target;
    if (!(select.matches && select.matches("select[data-insert-template]")) || !select.value) {
      return;
    }
    var option = select.options[select.selectedIndex];
    var form = select.form;
    form.body.value = option.dataset.body || "";
    if (option.dataset.subject && form.subject) {
      form.subject.value = option.dataset.subject;
    }
    form.body.dispatchEvent(new Event("input", { bubbles: true }));
    select.value = "";
  });

  document.addEventListener("click", function (event) {
    var target = event.target;
    // <button data-play-sample> in a form with select[name=voice][data-sample-base] and audio.voice-sample.
    var play = target.closest && target.closest("[data-play-sample]");
    if (play) {
      var form = play.closest("form");
      var voice = form.querySelector("select[name=voice]");
      var audio = form.querySelector("audio.voice-sample");
      audio.src = voice.dataset.sampleBase.replace("VOICE", voice.value);
      audio.play();
    }
    // <input data-select-on-click>: select the whole value (share links to copy).
    if (target.matches && target.matches("input[data-select-on-click]")) {
      target.select();
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
