//! What changes for one entry of a keyed list: an agent, an operator, a
//! plugin — each with the fields its review reads (any other field that
//! changed is reviewed as it is, and widens).

use std::collections::BTreeMap;

use serde_json::Value;

use crate::governance::change::Change;
use crate::governance::changes::{limit_change, narrow, set_change, widen};

/// What changes for one agent.
pub(super) fn agent_changes(id: &str, a: &Value, b: &Value) -> Vec<Change> {
    let mut c = Vec::new();
    set_change(
        &mut c,
        &format!("agent {id}"),
        "tool",
        &a["tools"],
        &b["tools"],
    );
    set_change(
        &mut c,
        &format!("agent {id}"),
        "workload",
        &a["workload"],
        &b["workload"],
    );
    limit_change(
        &mut c,
        &format!("agent {id}'s rate"),
        &a["rate"],
        &b["rate"],
    );
    limit_change(
        &mut c,
        &format!("agent {id}'s max-concurrent"),
        &a["max-concurrent"],
        &b["max-concurrent"],
    );
    for f in ["owner", "model", "model-owner"] {
        if a[f] != b[f] {
            c.push(widen(format!("agent {id}'s {f}: {} → {}", a[f], b[f])));
        }
    }
    if a["require-dpop"] != b["require-dpop"] {
        let on = b["require-dpop"] == true;
        c.push(Change {
            text: format!(
                "agent {id} {} DPoP-bound tokens",
                if on { "now needs" } else { "no longer needs" }
            ),
            narrows: on,
        });
    }
    c
}

/// The fields [`agent_changes`] reviews.
pub(super) const AGENT_FIELDS: &[&str] = &[
    "id",
    "tools",
    "workload",
    "rate",
    "max-concurrent",
    "owner",
    "model",
    "model-owner",
    "require-dpop",
];

/// The fields [`operator_changes`] reviews.
pub(super) const OPERATOR_FIELDS: &[&str] =
    &["name", "roles", "approves", "keys", "automation", "oidc"];

/// The fields [`plugin_changes`] reviews: its own and every capability's
/// supply (`dirs`, `env`, `secrets`, `credentials`).
pub(super) fn plugin_fields() -> &'static [&'static str] {
    static F: std::sync::LazyLock<&'static [&'static str]> = std::sync::LazyLock::new(|| {
        let mut v = vec![
            "manifest",
            "enabled",
            "limits",
            "action-owners",
            "mcp-prefix",
        ];
        v.extend(crate::capability::Supplies::keys());
        Box::leak(v.into_boxed_slice())
    });
    &F
}

/// Every field: the entry's change is reviewed as a whole.
pub(super) const ALL_FIELDS: &[&str] = &["*"];

/// What changes for one operator.
pub(super) fn operator_changes(name: &str, a: &Value, b: &Value) -> Vec<Change> {
    let mut c = Vec::new();
    set_change(
        &mut c,
        &format!("operator {name}"),
        "role",
        &a["roles"],
        &b["roles"],
    );
    set_change(
        &mut c,
        &format!("operator {name}"),
        "approval right",
        &a["approves"],
        &b["approves"],
    );
    let keys = |v: &Value| {
        v.as_array()
            .map(|l| {
                l.iter()
                    .map(|k| (k["id"].as_str().unwrap_or_default().to_owned(), k.clone()))
                    .collect()
            })
            .unwrap_or_default()
    };
    let (ka, kb): (BTreeMap<String, Value>, BTreeMap<String, Value>) =
        (keys(&a["keys"]), keys(&b["keys"]));
    for (id, k) in &kb {
        match ka.get(id) {
            None => c.push(widen(format!("operator {name} gains key {id}"))),
            Some(old) if old != k => {
                // Only a revocation and nothing else narrows: a key whose
                // public key, file or validity also changes is a new key.
                let mut same = old.clone();
                if let (Some(m), Some(r)) = (same.as_object_mut(), k.get("revoked-at")) {
                    m.insert("revoked-at".into(), r.clone());
                }
                let revoked =
                    old["revoked-at"].is_null() && !k["revoked-at"].is_null() && same == *k;
                c.push(Change {
                    text: if revoked {
                        format!(
                            "operator {name}'s key {id} is revoked from {}",
                            k["revoked-at"]
                        )
                    } else {
                        format!("operator {name}'s key {id} changes")
                    },
                    narrows: revoked,
                });
            }
            Some(_) => {}
        }
    }
    for id in ka.keys().filter(|id| !kb.contains_key(*id)) {
        c.push(narrow(format!("operator {name} loses key {id}")));
    }
    if a["automation"] != b["automation"] {
        c.push(Change {
            text: format!(
                "operator {name} is {} an automation",
                if b["automation"] == true {
                    "now"
                } else {
                    "no longer"
                }
            ),
            narrows: b["automation"] == true,
        });
    }
    if a["oidc"] != b["oidc"] {
        c.push(widen(format!(
            "operator {name}'s OpenID identity: {} → {}",
            a["oidc"], b["oidc"]
        )));
    }
    c
}

/// What changes for one plugin entry.
pub(super) fn plugin_changes(m: &str, a: &Value, b: &Value) -> Vec<Change> {
    let mut c = Vec::new();
    if a["enabled"] != b["enabled"] {
        c.push(Change {
            text: format!(
                "plugin {m} is {}",
                if b["enabled"] == true {
                    "enabled"
                } else {
                    "disabled"
                }
            ),
            narrows: b["enabled"] == false,
        });
    }
    for f in crate::capability::Supplies::keys().iter().copied().chain([
        "limits",
        "action-owners",
        "mcp-prefix",
    ]) {
        if a[f] != b[f] {
            c.push(widen(format!("plugin {m}'s {f}: {} → {}", a[f], b[f])));
        }
    }
    c
}
