/* AlphaSite chat launcher: a button that opens the chat widget in an iframe. */
(function () {
  "use strict";
  var cfg = {{ config|tojson }};
  var registry = window.__alphasiteChat = window.__alphasiteChat || {};
  if (registry[cfg.key]) return;
  registry[cfg.key] = true;
  var script = document.currentScript;
  var origin = script ? new URL(script.src, location.href).origin : "";
  var side = cfg.position === "left" ? "left" : "right";
  var frame = null;

  var button = document.createElement("button");
  button.type = "button";
  button.textContent = cfg.label;
  button.setAttribute("aria-expanded", "false");
  button.style.cssText = "position:fixed;bottom:20px;" + side + ":20px;z-index:2147483000;border:0;border-radius:999px;" +
    "padding:12px 18px;font:600 15px system-ui,sans-serif;cursor:pointer;box-shadow:0 6px 20px rgba(0,0,0,.2);" +
    "background:" + cfg.accent + ";color:" + cfg.onAccent;

  function toggle(open) {
    if (!frame) {
      frame = document.createElement("iframe");
      frame.src = origin + cfg.path;
      frame.title = cfg.title;
      frame.style.cssText = "position:fixed;bottom:78px;" + side + ":20px;z-index:2147483000;width:370px;" +
        "max-width:calc(100vw - 40px);height:560px;max-height:calc(100vh - 110px);border:0;border-radius:14px;" +
        "box-shadow:0 12px 40px rgba(0,0,0,.25);background:#fff";
      document.body.appendChild(frame);
    }
    frame.style.display = open ? "block" : "none";
    button.setAttribute("aria-expanded", String(open));
  }

  button.addEventListener("click", function () { toggle(!frame || frame.style.display === "none"); });
  window.addEventListener("message", function (event) {
    if (frame && event.source === frame.contentWindow && event.origin === origin &&
        event.data && event.data.type === "alphasite-chat:close") toggle(false);
  });
  if (document.body) document.body.appendChild(button);
  else document.addEventListener("DOMContentLoaded", function () { document.body.appendChild(button); });
})();
