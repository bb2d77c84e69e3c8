/* The chat widget. Replies stream as server-sent events over a POST; every
   piece of text goes in with textContent, so nothing a visitor or the
   assistant writes can become markup. Cards come rendered (and escaped)
   from the server. */
(function () {
  "use strict";
  var body = document.body;
  var base = body.dataset.base;
  var token = body.dataset.token;
  var maxLength = parseInt(body.dataset.max, 10) || 1000;
  var log = document.getElementById("log");
  var statusLine = document.getElementById("status");
  var composer = document.getElementById("composer");
  var busy = false;

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text) node.textContent = text;
    return node;
  }

  function scrollDown() { log.scrollTop = log.scrollHeight; }

  function say(text) {
    statusLine.textContent = text || "";
    statusLine.hidden = !text;
  }

  function appendHTML(html) {
    var holder = document.createElement("template");
    holder.innerHTML = html;
    log.appendChild(holder.content);
    scrollDown();
  }

  function setBusy(value) {
    busy = value;
    document.querySelectorAll("button[type=submit]").forEach(function (b) { b.disabled = value; });
  }

  function post(path, payload) {
    return fetch(base + path, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "Accept": "text/event-stream, application/json", "X-Widget-Token": token },
      body: JSON.stringify(payload || {})
    });
  }

  function errorText(response) {
    return response.json().then(function (data) {
      return (data && data.error && data.error.message) || "Something went wrong. Please try again.";
    }, function () { return "Something went wrong. Please try again."; });
  }

  // Reads `event:`/`data:` blocks from the response body as they arrive.
  function readEvents(response, onEvent) {
    var reader = response.body.getReader();
    var decoder = new TextDecoder();
    var buffer = "";
    function pump() {
      return reader.read().then(function (chunk) {
        if (chunk.done) return;
        buffer += decoder.decode(chunk.value, { stream: true });
        var parts = buffer.split("\n\n");
        buffer = parts.pop();
        parts.forEach(function (block) {
          var name = "message", data = "";
          block.split("\n").forEach(function (line) {
            if (line.indexOf("event: ") === 0) name = line.slice(7);
            else if (line.indexOf("data: ") === 0) data += line.slice(6);
          });
          try { onEvent(name, JSON.parse(data || "{}")); } catch (e) { /* a malformed event is skipped */ }
        });
        return pump();
      });
    }
    return pump();
  }

  function markFailed(bubble, text, canRetry) {
    if (bubble) bubble.classList.add("failed");
    var note = el("div", "w-failed");
    note.appendChild(el("span", "", "Not sent: " + text + " "));
    if (canRetry) {
      var again = el("button", "w-link", "Retry");
      again.type = "button";
      again.setAttribute("data-retry", "");
      note.appendChild(again);
    }
    log.appendChild(note);
    scrollDown();
  }

  // One exchange: `request` is the fetch; `bubble` the visitor's message on screen.
  function exchange(request, bubble, onRefused) {
    setBusy(true);
    say("");
    var typing = el("div", "w-typing");
    typing.setAttribute("aria-label", "The assistant is typing");
    typing.appendChild(el("i")); typing.appendChild(el("i")); typing.appendChild(el("i"));
    log.appendChild(typing);
    scrollDown();
    var answer = null, failed = false;
    return request.then(function (response) {
      if (!response.ok) {
        typing.remove();
        return errorText(response).then(function (text) { onRefused(text, response.status); });
      }
      return readEvents(response, function (name, data) {
        if (name === "token") {
          if (!answer) { typing.remove(); answer = el("div", "w-msg assistant"); log.appendChild(answer); }
          answer.textContent += data.text || "";
          scrollDown();
        } else if (name === "card") {
          typing.remove();
          appendHTML(data.html || "");
        } else if (name === "error") {
          typing.remove();
          failed = true;
          markFailed(bubble, data.message, data.retry);
        }
      }).then(function () {
        typing.remove();
        if (!answer && !failed && !log.lastElementChild.classList.contains("w-card")) {
          markFailed(bubble, "the answer was cut off.", true);
        }
      });
    }).catch(function () {
      typing.remove();
      markFailed(bubble, "the connection dropped.", true);
    }).then(function () { setBusy(false); });
  }

  if (composer) {
    var input = composer.querySelector("textarea");
    composer.addEventListener("submit", function (event) {
      event.preventDefault();
      var text = input.value.trim();
      if (busy || !text) return;
      if (text.length > maxLength) { say("Messages can be at most " + maxLength + " characters."); return; }
      var bubble = el("div", "w-msg visitor", text);
      log.appendChild(bubble);
      input.value = "";
      exchange(post("/messages", { text: text }), bubble, function (reason) {
        // Refused before it was stored (too fast, too long): give the text back.
        bubble.remove();
        input.value = text;
        say(reason);
      });
    });
    input.addEventListener("keydown", function (event) {
      if (event.key === "Enter" && !event.shiftKey) { event.preventDefault(); composer.requestSubmit(); }
    });
  }

  log.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.hasAttribute("data-book")) return;
    event.preventDefault();
    var slot = event.submitter;
    if (busy || !slot) return;
    var name = form.querySelector("[name=name]"), phone = form.querySelector("[name=phone]");
    if ((name && !name.value.trim()) || (phone && !phone.value.trim())) {
      say("Enter your name and phone number, then pick a time.");
      (name && !name.value.trim() ? name : phone).focus();
      return;
    }
    var bubble = el("div", "w-msg visitor", "Book " + slot.textContent);
    log.appendChild(bubble);
    exchange(post("/book", { slot: slot.value, name: name ? name.value : "", phone: phone ? phone.value : "" }),
      bubble, function (reason) { bubble.remove(); say(reason); });
  });

  document.addEventListener("click", function (event) {
    var target = event.target;
    if (target.hasAttribute("data-retry")) {
      if (busy) return;
      var note = target.closest(".w-failed");
      var bubble = note && note.previousElementSibling;
      if (note) note.remove();
      if (bubble) bubble.classList.remove("failed");
      exchange(post("/retry"), bubble, function (reason) { markFailed(bubble, reason, true); });
    } else if (target.hasAttribute("data-lead-toggle")) {
      var form = document.getElementById("lead-form");
      form.hidden = !form.hidden;
      if (composer) composer.hidden = !form.hidden;
      if (!form.hidden) form.querySelector("input").focus();
    } else if (target.hasAttribute("data-contact-again")) {
      target.parentNode.hidden = true;
      document.getElementById("contact-form").hidden = false;
    } else if (target.hasAttribute("data-close")) {
      window.parent.postMessage({ type: "alphasite-chat:close" }, "*");
    }
  });

  document.querySelectorAll("form[data-lead]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      if (busy) return;
      var fields = {};
      ["name", "phone", "email", "message"].forEach(function (key) { fields[key] = form.elements[key].value; });
      setBusy(true);
      say("");
      post("/leads", fields).then(function (response) {
        if (!response.ok) return errorText(response).then(say);
        return response.json().then(function (data) {
          if (fields.message.trim()) log.appendChild(el("div", "w-msg visitor", fields.message.trim()));
          appendHTML(data.html);
          form.reset();
          form.hidden = true;
          if (composer) composer.hidden = false;
          var again = document.querySelector("[data-again]");
          if (again) again.hidden = false;
        });
      }).catch(function () { say("The connection dropped. Your details are still in the form: send them again."); })
        .then(function () { setBusy(false); });
    });
  });

  // Buttons stay disabled until this script runs, so nothing is submitted without it.
  setBusy(false);
  body.dataset.ready = "1";
  scrollDown();
})();
