//! A plain-words review of what a manifest lets a plugin do: the operator
//! reads this before trusting it. Every string from the manifest is shown
//! escaped ([`safe`]), so a publisher cannot hide or reorder lines of the
//! review with control or bidi characters.

use std::fmt::Write as _;

use crate::manifest::Manifest;
use crate::vocab::{Access, Bytes, Impact, MAX_HTTP_RESPONSE_BYTES, Span, safe};

/// Everything the plugin could do once loaded, in sentences.
pub fn capability_review(m: &Manifest) -> String {
    let mut out = String::new();
    let p = &m.plugin;
    let _ = writeln!(
        out,
        "Plugin {} {} by {}",
        safe(&p.id),
        safe(&p.version),
        safe(&p.publisher)
    );
    let _ = writeln!(out, "  component: {}", safe(&p.component));
    let _ = writeln!(
        out,
        "  pinned bytes: {}",
        safe(
            p.digest
                .as_deref()
                .unwrap_or("NONE — not signed yet (run `warrant sign`)")
        )
    );
    match &m.signature {
        Some(s) => {
            let _ = writeln!(out, "  signed by key: {} ({})", safe(&s.key), s.algorithm);
        }
        None => {
            let _ = writeln!(out, "  signature: NONE — this manifest will not load");
        }
    }
    let _ = writeln!(out, "\nTools ({}):", m.tools.len());
    for t in &m.tools {
        let gate = match t.impact {
            Impact::High => " — high impact: needs a named approver's approval by default",
            Impact::Write => " — changes state",
            Impact::Read => " — reads only",
        };
        let _ = writeln!(
            out,
            "  {}.{} [{}]{gate}",
            safe(&p.id),
            safe(&t.name),
            t.impact
        );
        let _ = writeln!(out, "      {}", safe(&t.description));
        let _ = writeln!(
            out,
            "      answers for its actions: {}",
            safe(&t.action_owner)
        );
    }

    let g = &m.grants;
    let _ = writeln!(out, "\nOnce loaded, every call of this plugin:");
    if g.files.is_empty() {
        let _ = writeln!(out, "  - cannot see any file or directory");
    }
    for f in &g.files {
        let what = match f.access {
            Access::Read => "may READ (list, stat, read) files",
            Access::ReadWrite => "may READ AND WRITE (create, modify, rename, delete) files",
        };
        let _ = writeln!(
            out,
            "  - {what} under host directory {} (seen inside as {}); nothing outside it, symlinks included",
            safe(&f.host),
            safe(&f.guest)
        );
    }
    if g.http.is_empty() {
        let _ = writeln!(out, "  - cannot use the network at all");
    } else {
        let _ = writeln!(
            out,
            "  - may send HTTP requests to exactly: {} — every request is checked, redirects are not followed, responses are capped at {}",
            safe(&g.http.join(", ")),
            Bytes(MAX_HTTP_RESPONSE_BYTES)
        );
    }
    let _ = writeln!(out, "  - cannot open sockets or look up names itself");
    if g.env.is_empty() {
        let _ = writeln!(out, "  - sees no environment variables");
    } else {
        let _ = writeln!(
            out,
            "  - sees environment variables {} with values the operator sets",
            safe(&g.env.join(", "))
        );
    }
    if g.secrets.is_empty() {
        let _ = writeln!(out, "  - can read no secrets");
    } else {
        let _ = writeln!(
            out,
            "  - may read secrets {} through the host (each read is audited by name; values are never logged)",
            safe(&g.secrets.join(", "))
        );
    }
    let _ = writeln!(
        out,
        "  - {}",
        if g.clock {
            "sees the real clock"
        } else {
            "sees a frozen clock (1970-01-01)"
        }
    );
    let _ = writeln!(
        out,
        "  - {}",
        if g.random {
            "gets real randomness"
        } else {
            "gets a fixed, predictable random sequence"
        }
    );
    match m.validate().map(|t| t.limits) {
        Ok(l) => {
            let _ = writeln!(
                out,
                "  - runs in a fresh sandbox with at most {} memory, {} time, {} output, {} at once{}",
                Bytes(l.memory),
                Span(l.timeout),
                Bytes(l.output),
                l.max_instances,
                l.fuel.map(|f| format!(", {f} fuel")).unwrap_or_default()
            );
        }
        Err(e) => {
            let _ = writeln!(out, "  - limits cannot be read: {e}");
        }
    }
    if let Some(rate) = &m.limits.rate {
        let _ = writeln!(
            out,
            "  - may be called at most {} across all agents",
            safe(rate)
        );
    }
    if let Some(exp) = &m.plugin.expires {
        let _ = writeln!(out, "  - this signed manifest expires at {}", safe(exp));
    }
    out
}
