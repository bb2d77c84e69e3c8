// Default a time-zone picker to the zone of the owner's browser, so a salon
// added from Los Angeles starts in America/Los_Angeles. Inputs that already
// hold a zone (a saved profile, a form sent back with errors) are left alone.
(function () {
  function browserZone() {
    try { return Intl.DateTimeFormat().resolvedOptions().timeZone || ""; } catch (e) { return ""; }
  }
  function fill() {
    var zone = browserZone();
    if (!zone) return;
    document.querySelectorAll("input[data-browser-zone]").forEach(function (input) {
      if (!input.value) input.value = zone;
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", fill);
  else fill();
})();
