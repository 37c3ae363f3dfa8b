//! The parts of a release's diff, section by section.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;
use serde_json::Value;

use crate::governance::Release;
use crate::governance::change::{Change, ReleaseDiff};

pub(super) fn json<T: Serialize>(v: &T) -> Value {
    serde_json::to_value(v).unwrap_or_default()
}

pub(super) fn widen(text: String) -> Change {
    Change {
        text,
        narrows: false,
    }
}

pub(super) fn narrow(text: String) -> Change {
    Change {
        text,
        narrows: true,
    }
}

pub(super) fn short(d: Option<&String>) -> String {
    d.map_or_else(|| "none".into(), |d| d.get(..19).unwrap_or(d).to_owned())
}

pub(super) fn by<T: Serialize>(items: &[T], key: impl Fn(&T) -> String) -> BTreeMap<String, Value> {
    items.iter().map(|i| (key(i), json(i))).collect()
}

/// What changes for one entry (its key, old and new value).
pub(super) type EntryChanges = dyn Fn(&str, &Value, &Value) -> Vec<Change>;

/// Entries added (widen), removed (narrow) and changed (as `each` says,
/// for the fields it names in `handled`; any other field that changed is
/// reviewed and widens — a field the review does not know of never
/// passes as narrowing).
pub(super) fn keyed(
    d: &mut ReleaseDiff,
    what: &str,
    old: &BTreeMap<String, Value>,
    new: &BTreeMap<String, Value>,
    (each, handled): (&EntryChanges, &[&str]),
) {
    for (k, v) in new {
        match old.get(k) {
            None => d.changes.push(widen(format!("{what} {k} is added"))),
            Some(o) if o != v => {
                d.changes.extend(each(k, o, v));
                residual(&mut d.changes, &format!("{what} {k}'s"), o, v, handled);
            }
            Some(_) => {}
        }
    }
    for k in old.keys().filter(|k| !new.contains_key(*k)) {
        d.changes.push(narrow(format!("{what} {k} is removed")));
    }
}

/// Every top-level field of two objects that differs and is not in
/// `handled`: a change the review names as it is, and counts as widening.
pub(super) fn residual(
    out: &mut Vec<Change>,
    what: &str,
    old: &Value,
    new: &Value,
    handled: &[&str],
) {
    if handled.contains(&"*") {
        return;
    }
    let empty = serde_json::Map::new();
    let (a, b) = (
        old.as_object().unwrap_or(&empty),
        new.as_object().unwrap_or(&empty),
    );
    for f in a.keys().chain(b.keys()).collect::<BTreeSet<_>>() {
        if !handled.contains(&f.as_str()) && a.get(f) != b.get(f) {
            let show = |v: Option<&Value>| v.map_or_else(|| "none".into(), Value::to_string);
            out.push(widen(format!(
                "{what} {f}: {} → {}",
                show(a.get(f)),
                show(b.get(f))
            )));
        }
    }
}

/// A list that grants (tools, roles, approvals): what is gained widens,
/// what is lost narrows.
pub(super) fn set_change(out: &mut Vec<Change>, who: &str, item: &str, old: &Value, new: &Value) {
    let set = |v: &Value| -> BTreeSet<String> {
        v.as_array()
            .map(|l| {
                l.iter()
                    .map(|x| x.as_str().map_or_else(|| x.to_string(), str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    };
    let (a, b) = (set(old), set(new));
    for x in b.difference(&a) {
        out.push(widen(format!("{who} gains {item} {x}")));
    }
    for x in a.difference(&b) {
        out.push(narrow(format!("{who} loses {item} {x}")));
    }
}

/// The trust store's revoked list is the other way round: a key revoked
/// narrows, a revocation lifted widens.
pub(super) fn flip(changes: &mut [Change]) {
    for c in changes
        .iter_mut()
        .filter(|c| c.text.starts_with("the trust store "))
    {
        c.narrows = !c.narrows;
    }
}

/// A limit set where there was none narrows; one lifted widens; a changed
/// one is reviewed but not counted as narrowing.
pub(super) fn limit_change(out: &mut Vec<Change>, what: &str, old: &Value, new: &Value) {
    match (old.is_null(), new.is_null()) {
        (true, false) => out.push(narrow(format!("{what} is set to {new}"))),
        (false, true) => out.push(widen(format!("{what} ({old}) is lifted"))),
        (false, false) if old != new => out.push(widen(format!("{what}: {old} → {new}"))),
        _ => {}
    }
}

pub(super) fn approvals(d: &mut ReleaseDiff, old: &Value, new: &Value) {
    if old["four-eyes"] != new["four-eyes"] {
        let on = new["four-eyes"] == true;
        d.changes.push(Change {
            text: format!(
                "four eyes is {}",
                if on { "required" } else { "no longer required" }
            ),
            narrows: on,
        });
    }
    let req = |v: &Value| -> BTreeMap<String, u64> {
        v["required"]
            .as_object()
            .map(|m| {
                m.iter()
                    .map(|(k, n)| (k.clone(), n.as_u64().unwrap_or(1)))
                    .collect()
            })
            .unwrap_or_default()
    };
    let (a, b) = (req(old), req(new));
    for k in a.keys().chain(b.keys()).collect::<BTreeSet<_>>() {
        let (x, y) = (
            a.get(k).copied().unwrap_or(1),
            b.get(k).copied().unwrap_or(1),
        );
        if x != y {
            d.changes.push(Change {
                text: format!("{k} needs {y} approver(s) (was {x})"),
                narrows: y > x,
            });
        }
    }
    for f in ["wait", "expiry"] {
        if old[f] != new[f] {
            d.changes
                .push(widen(format!("approvals' {f}: {} → {}", old[f], new[f])));
        }
    }
    residual(
        &mut d.changes,
        "[approvals]",
        old,
        new,
        &["four-eyes", "required", "wait", "expiry"],
    );
}

pub(super) fn rates(d: &mut ReleaseDiff, old: &Value, new: &Value) {
    for table in ["tools", "concurrent"] {
        let m = |v: &Value| v[table].as_object().cloned().unwrap_or_default();
        let (a, b) = (m(old), m(new));
        for k in a.keys().chain(b.keys()).collect::<BTreeSet<_>>() {
            limit_change(
                &mut d.changes,
                &format!("the {table} limit of {k}"),
                a.get(k).unwrap_or(&Value::Null),
                b.get(k).unwrap_or(&Value::Null),
            );
        }
    }
    residual(
        &mut d.changes,
        "[rates]",
        old,
        new,
        &["tools", "concurrent"],
    );
}

pub(super) fn ceilings(d: &mut ReleaseDiff, old: &Value, new: &Value) {
    let kinds = crate::capability::CeilingsSection::names();
    for kind in kinds.iter().copied() {
        match (&old[kind], &new[kind]) {
            (Value::Null, Value::Null) => {}
            (Value::Null, b) => d
                .changes
                .push(narrow(format!("a ceiling on {kind} is set: {b}"))),
            (a, Value::Null) => d
                .changes
                .push(widen(format!("the ceiling on {kind} ({a}) is lifted"))),
            (a, b) => set_change(
                &mut d.changes,
                &format!("the {kind} ceiling"),
                "entry",
                a,
                b,
            ),
        }
    }
    residual(&mut d.changes, "[ceilings]", old, new, kinds);
}

pub(super) fn policies(
    d: &mut ReleaseDiff,
    old: &Release,
    new: &Release,
    texts: &dyn Fn(&str) -> Option<String>,
) {
    let all = |r: &Release| -> BTreeMap<String, (String, bool)> {
        r.rules
            .policy
            .files
            .iter()
            .map(|f| (f.clone(), false))
            .chain(r.rules.policy.shadow.iter().map(|f| (f.clone(), true)))
            .map(|(f, shadow)| {
                (
                    f.clone(),
                    (r.files.get(&f).cloned().unwrap_or_default(), shadow),
                )
            })
            .collect()
    };
    let (a, b) = (all(old), all(new));
    for (f, (digest, shadow)) in &b {
        let kind = if *shadow { "shadow policy" } else { "policy" };
        match a.get(f) {
            None => d.changes.push(widen(format!("{kind} file {f} is added"))),
            Some((was, _)) if was != digest => {
                let before = texts(was).unwrap_or_default();
                let after = texts(digest).unwrap_or_default();
                let text = similar::TextDiff::from_lines(&before, &after)
                    .unified_diff()
                    .context_radius(2)
                    .header(&format!("{f} (in force)"), &format!("{f} (proposed)"))
                    .to_string();
                d.changes.push(widen(format!(
                    "{kind} file {f} is edited:\n{}",
                    text.trim_end()
                )));
            }
            Some((_, was_shadow)) if was_shadow != shadow => {
                d.changes.push(widen(if *shadow {
                    format!("policy file {f} moves to the shadow set (it no longer decides)")
                } else {
                    format!("shadow policy file {f} is promoted: it now decides")
                }));
            }
            Some(_) => {}
        }
    }
    for f in a.keys().filter(|f| !b.contains_key(*f)) {
        d.changes.push(widen(format!("policy file {f} is removed")));
    }
}

pub(super) fn governance_words(g: &crate::config::GovernanceSection) -> String {
    let ids: Vec<&str> = g.governors.iter().map(|x| x.id.as_str()).collect();
    format!(
        "{} mode, governors [{}], threshold {}, narrowing threshold {}",
        g.mode
            .as_deref()
            .unwrap_or(if ids.is_empty() { "unsigned" } else { "signed" }),
        ids.join(", "),
        g.threshold.map_or_else(|| "all".into(), |t| t.to_string()),
        g.narrowing_threshold
            .map_or_else(|| "the threshold".into(), |t| t.to_string())
    )
}

pub(super) fn governor_files_changed(old: &Release, new: &Release) -> bool {
    new.rules.governance.governors.iter().any(|g| {
        g.public_key_file
            .as_ref()
            .is_some_and(|f| old.files.get(f) != new.files.get(f))
    })
}
