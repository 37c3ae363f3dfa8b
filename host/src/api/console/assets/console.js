// warrant console: live updates and confirmations. No inline script, no
// third-party code; every piece of HTML it inserts was rendered (and
// escaped) by the server.
"use strict";

// Forms that press a stop button ask first.
document.addEventListener("submit", (ev) => {
  const form = ev.target;
  const question = form.getAttribute("data-confirm");
  if (question && !window.confirm(question)) {
    ev.preventDefault();
  }
});

// A login link puts its grant after '#': move it into the login form and
// drop it from the address bar and history.
(() => {
  const grant = document.getElementById("grant");
  if (grant && location.hash.startsWith("#grant=")) {
    grant.value = location.hash.slice("#grant=".length);
    history.replaceState(null, "", location.pathname);
  }
})();

// When the server says something changed, fetch each live part again.
(() => {
  const parts = () => Array.from(document.querySelectorAll("[data-live]"));
  if (parts().length === 0 || !window.EventSource) {
    return;
  }
  const refresh = async () => {
    for (const el of parts()) {
      // Never replace a form the operator is typing into.
      if (el.contains(document.activeElement) && document.activeElement.tagName === "INPUT"
          && document.activeElement.value !== "") {
        continue;
      }
      try {
        const res = await fetch(el.getAttribute("data-live"), { credentials: "same-origin" });
        if (res.ok) {
          el.innerHTML = await res.text();
        }
      } catch (_) {
        // The next change tries again.
      }
    }
    document.body.setAttribute("data-refreshed", String(Date.now()));
  };
  const events = new EventSource("/console/events");
  events.addEventListener("change", refresh);
  events.addEventListener("open", () => document.body.setAttribute("data-live-connected", "1"));
})();
