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
  // A part where the operator has typed something (a reason) is left
  // alone until the form is sent: replacing it would lose what they typed.
  const typing = (el) => Array.from(el.querySelectorAll("input[type=text], input[type=search]"))
    .some((i) => i.value !== "");
  const refresh = async () => {
    for (const el of parts()) {
      if (typing(el)) {
        continue;
      }
      try {
        const res = await fetch(el.getAttribute("data-live"), { credentials: "same-origin" });
        const html = res.ok ? await res.text() : null;
        // Looked at again now: the operator may have typed meanwhile.
        if (html !== null && !typing(el)) {
          el.innerHTML = html;
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
