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

  // <form data-stream-answer="#box">: post it and show the Server-Sent Events answer as it
  // arrives (knowledge test console). Inside #box: [data-stream-text] gets the `token`
  // texts, [data-stream-sources] the server-rendered `sources` html, [data-stream-error]
  // an `error` message; [data-stream-bubble] is shown once text arrives.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.hasAttribute("data-stream-answer") || !window.fetch || !window.TextDecoder) {
      return;
    }
    event.preventDefault();
    var box = document.querySelector(form.getAttribute("data-stream-answer"));
    var text = box.querySelector("[data-stream-text]");
    var sources = box.querySelector("[data-stream-sources]");
    var error = box.querySelector("[data-stream-error]");
    var bubble = box.querySelector("[data-stream-bubble]");
    var button = form.querySelector("button[type=submit]");
    text.textContent = "";
    sources.innerHTML = "";
    error.hidden = true;
    bubble.hidden = true;
    box.setAttribute("data-state", "streaming");
    if (button) { button.disabled = true; }
    function handle(name, data) {
      if (name === "token") {
        bubble.hidden = false;
        text.textContent += data.text;
      } else if (name === "sources") {
        sources.innerHTML = data.html;
      } else if (name === "error") {
        error.textContent = data.message;
        error.hidden = false;
      }
    }
    function finish() {
      box.setAttribute("data-state", "done");
      if (button) { button.disabled = false; }
    }
    fetch(form.action, { method: "POST", body: new FormData(form), headers: { "Accept": "text/event-stream" },
                         credentials: "same-origin" }).then(function (response) {
      var reader = response.body.getReader();
      var decoder = new TextDecoder();
      var buffer = "";
      function pump() {
        return reader.read().then(function (chunk) {
          buffer += decoder.decode(chunk.value || new Uint8Array(), { stream: !chunk.done });
          var blocks = buffer.split("\n\n");
          buffer = chunk.done ? "" : blocks.pop();
          blocks.forEach(function (block) {
            var name = "message", data = "";
            block.split("\n").forEach(function (line) {
              if (line.indexOf("event:") === 0) { name = line.slice(6).trim(); }
              if (line.indexOf("data:") === 0) { data += line.slice(5).trim(); }
            });
            if (data) { handle(name, JSON.parse(data)); }
          });
          if (!chunk.done) { return pump(); }
          finish();
        });
      }
      return pump();
    }).catch(function () {
      handle("error", { message: "The answer could not be loaded. Check your connection and ask again." });
      finish();
    });
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
