//! What a release changes against the one in force, in plain words — the
//! review a governor reads before signing, the way `warrant inspect`
//! reviews a plugin — and whether it only narrows authority (then a lower
//! threshold may apply). Narrowing is computed here from the change, never
//! declared by the signer, and conservatively: only removals of grants,
//! keys, roles, agents, operators, plugins and approvers, and tighter
//! limits, count; anything else (a policy edit included) does not.

use crate::governance::Release;
pub use crate::governance::change::{Change, ReleaseDiff};
use crate::governance::changes::{
    approvals, by, ceilings, flip, governance_words, governor_files_changed, json, keyed, policies,
    rates, set_change, short, widen,
};
use crate::governance::entries::{
    AGENT_FIELDS, ALL_FIELDS, OPERATOR_FIELDS, agent_changes, operator_changes, plugin_changes,
    plugin_fields,
};

/// What `new` changes against `old` (none: everything is new); `texts`
/// gives the content of files by digest, for the policies' text diff.
pub fn diff(
    old: Option<&Release>,
    new: &Release,
    texts: &dyn Fn(&str) -> Option<String>,
) -> ReleaseDiff {
    let mut d = ReleaseDiff::default();
    let Some(old) = old else {
        d.changes.push(widen(format!(
            "the first release of the rules: {} agents, {} operators, {} plugins, {} policy files, {} governors",
            new.rules.agents.len(),
            new.rules.operators.len(),
            new.rules.plugins.len(),
            new.rules.policy.files.len(),
            new.rules.governance.governors.len()
        )));
        d.governance = true;
        return d;
    };
    let (o, n) = (&old.rules, &new.rules);
    if json(&o.governance) != json(&n.governance) || governor_files_changed(old, new) {
        d.governance = true;
        d.changes.push(widen(format!(
            "the governance changes: {} → {}",
            governance_words(&o.governance),
            governance_words(&n.governance)
        )));
    }
    keyed(
        &mut d,
        "agent",
        &by(&o.agents, |a| a.id.clone()),
        &by(&n.agents, |a| a.id.clone()),
        (&agent_changes, AGENT_FIELDS),
    );
    keyed(
        &mut d,
        "operator",
        &by(&o.operators, |x| x.name.clone()),
        &by(&n.operators, |x| x.name.clone()),
        (&operator_changes, OPERATOR_FIELDS),
    );
    keyed(
        &mut d,
        "trusted publisher key",
        &by(&o.trust.keys, |k| k.id.clone()),
        &by(&n.trust.keys, |k| k.id.clone()),
        (
            &|id, _, _| vec![widen(format!("trusted publisher key {id} changes"))],
            ALL_FIELDS,
        ),
    );
    set_change(
        &mut d.changes,
        "the trust store",
        "revoked key",
        &json(&o.trust.revoked),
        &json(&n.trust.revoked),
    );
    flip(&mut d.changes);
    keyed(
        &mut d,
        "issuer",
        &by(&o.issuers, |i| i.id.clone()),
        &by(&n.issuers, |i| i.id.clone()),
        (
            &|id, _, _| vec![widen(format!("issuer {id} changes"))],
            ALL_FIELDS,
        ),
    );
    keyed(
        &mut d,
        "plugin",
        &by(&o.plugins, |p| p.manifest.clone()),
        &by(&n.plugins, |p| p.manifest.clone()),
        (&plugin_changes, plugin_fields()),
    );
    for p in &n.plugins {
        let (was, now) = (old.files.get(&p.manifest), new.files.get(&p.manifest));
        if was.is_some() && was != now {
            d.changes.push(widen(format!(
                "plugin {} is re-pinned: manifest {} → {}",
                p.manifest,
                short(was),
                short(now)
            )));
        }
    }
    approvals(&mut d, &json(&o.approvals), &json(&n.approvals));
    policies(&mut d, old, new, texts);
    keyed(
        &mut d,
        "budget",
        &by(&o.budgets, |b| b.name.clone()),
        &by(&n.budgets, |b| b.name.clone()),
        (
            &|name, a, b| vec![widen(format!("budget {name} changes: {a} → {b}"))],
            ALL_FIELDS,
        ),
    );
    // A budget added limits; one removed widens.
    for c in d.changes.iter_mut() {
        if c.text.starts_with("budget ") && c.text.ends_with(" is added") {
            c.narrows = true;
        } else if c.text.starts_with("budget ") && c.text.ends_with(" is removed") {
            c.narrows = false;
        }
    }
    rates(&mut d, &json(&o.rates), &json(&n.rates));
    ceilings(&mut d, &json(&o.ceilings), &json(&n.ceilings));
    for (what, a, b) in [
        ("[console]", json(&o.console), json(&n.console)),
        ("[host] token lifetimes", json(&o.host), json(&n.host)),
        ("[sandbox] limits", json(&o.sandbox), json(&n.sandbox)),
        ("[egress] CAs", json(&o.egress), json(&n.egress)),
        ("[api] resource", json(&o.api), json(&n.api)),
    ] {
        if a != b {
            d.changes.push(widen(format!("{what}: {a} → {b}")));
        }
    }
    for (path, digest) in new
        .files
        .iter()
        .filter(|(p, _)| p.starts_with("secret:credential:"))
    {
        let what = path.trim_start_matches("secret:credential:");
        let (manifest, name) = what.rsplit_once(':').unwrap_or(("?", what));
        match old.files.get(path) {
            None => d.changes.push(widen(format!(
                "plugin {manifest}'s credential {name} gets a value ({})",
                short(Some(digest))
            ))),
            Some(was) if was != digest => d.changes.push(widen(format!(
                "plugin {manifest}'s credential {name} gets another value ({} → {})",
                short(Some(was)),
                short(Some(digest))
            ))),
            Some(_) => {}
        }
    }
    for (path, digest) in &new.files {
        if path.starts_with("secret:credential:") {
            continue;
        }
        let referenced_elsewhere = new.rules.plugins.iter().any(|p| &p.manifest == path)
            || new.rules.policy.files.contains(path)
            || new.rules.policy.shadow.contains(path)
            || new
                .rules
                .governance
                .governors
                .iter()
                .any(|g| g.public_key_file.as_ref() == Some(path));
        if !referenced_elsewhere && old.files.get(path).is_some_and(|d| d != digest) {
            d.changes.push(widen(format!(
                "{path} changes ({} → {})",
                short(old.files.get(path)),
                short(Some(digest))
            )));
        }
    }
    d
}
