//! A plain-words review of what a manifest lets a plugin do: the operator
//! reads this before trusting it. Each capability words its own grant
//! ([`Grants::review`](crate::capability::Grants::review)). Every string
//! from the manifest is shown escaped ([`safe`]), so a publisher cannot
//! hide or reorder lines of the review with control or bidi characters.

use std::fmt::Write as _;

use crate::manifest::Manifest;
use crate::vocab::{Bytes, Impact, Span, safe};

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

    let _ = writeln!(out, "\nOnce loaded, every call of this plugin:");
    match m.grants.check() {
        Ok(terms) => {
            for line in m.grants.review(&terms) {
                let _ = writeln!(out, "  - {line}");
            }
        }
        Err(e) => {
            let _ = writeln!(
                out,
                "  - grants cannot be read: {}: {}",
                e.field,
                safe(&e.why)
            );
        }
    }
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
