//! Checking the operator signatures in the chain, offline: from format 3,
//! every record of an operator's action (an approval, a denial, a stop
//! button, a token issued, a reload, a version reset) carries the action
//! the operator signed. It must be signed by a key the host config gives
//! that operator, valid when it was signed, over exactly what the record
//! says was done. Only public keys are needed: a record forged by someone
//! holding the host's MAC key is still caught.

use chrono::{DateTime, Utc};

use crate::audit::event::{Event, OperatorAction, TokenIssued};
use crate::audit::record::Record;
use crate::config::{Agent, Operator};
use crate::keys::{ActionBody, SignedAction};
use crate::state::ApprovalBinding;
use crate::vocab::cap;

use crate::keys::MAX_ACTION_AGE_SECS as MAX_AGE_SECS;

/// The record kinds that stand for an operator's action.
const OPERATOR_KINDS: [&str; 12] = [
    "approval.approved",
    "approval.denied",
    "token.issued",
    "token.revoked",
    "agent.quarantined",
    "agent.released",
    "host.halted",
    "host.resumed",
    "plugin.disabled",
    "plugin.enabled",
    "plugin.version-reset",
    "config.reload-requested",
];

/// An operator signature that verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedRecord {
    /// The record's seq.
    pub seq: u64,
    /// The record's kind.
    pub kind: String,
    /// The operator.
    pub operator: String,
    /// The key that signed.
    pub key: String,
    /// When it was signed (RFC 3339).
    pub signed_at: String,
}

/// What the signature check of one record found.
#[derive(Debug)]
pub(crate) enum Checked {
    /// Not an operator record.
    NotOperator,
    /// An operator record from before format 3: it carries no signature.
    Legacy,
    /// An operator record, not checked (no operators to check against).
    Unchecked,
    /// Signed, and the signature verified.
    Signed(SignedRecord),
}

/// The rules a signature is checked against: the operators and their keys,
/// and the agents (whose grant a token issued for "the whole grant" must
/// carry exactly).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Rules<'a> {
    pub(crate) operators: &'a [Operator],
    pub(crate) agents: Option<&'a [Agent]>,
}

/// Check `r`; `Err` says why its operator signature does not hold.
pub(crate) fn check(r: &Record, operators: Option<&[Operator]>) -> Result<Checked, String> {
    check_under(
        r,
        operators.map(|operators| Rules {
            operators,
            agents: None,
        }),
    )
}

/// Check `r` under `rules`; `Err` says why its operator signature does not
/// hold — including a record that says something its signed action did not
/// authorise.
pub(crate) fn check_under(r: &Record, rules: Option<Rules<'_>>) -> Result<Checked, String> {
    if !is_operator_kind(&r.kind) {
        return Ok(Checked::NotOperator);
    }
    if r.v.unwrap_or(1) < 3 {
        return Ok(Checked::Legacy);
    }
    let Some(event) = r.event() else {
        return Err("its details are not those of its kind".into());
    };
    let Some(kind) = event.operator_action() else {
        return Ok(Checked::NotOperator);
    };
    let Some(signed) = event.signed() else {
        return Err("it carries no operator signature".into());
    };
    let Some(rules) = rules else {
        return Ok(Checked::Unchecked);
    };
    let operators = rules.operators;
    let a = &signed.action;
    if a.kind != kind {
        return Err(format!(
            "the signed action is {}, not {}",
            a.kind.as_str(),
            kind.as_str()
        ));
    }
    if event.actor() != Some(a.operator.as_str()) {
        return Err(format!(
            "the record names {} but {} signed",
            event.actor().unwrap_or("nobody"),
            a.operator
        ));
    }
    if r.v.unwrap_or(1) >= 7 && a.audience.is_none() {
        return Err("the signed action names no audience (host or fleet)".into());
    }
    // First whether the signature holds, then whether the record says
    // exactly what was signed.
    let authentic = authentic(r, signed, operators)?;
    if let Some(why) = mismatch(&event, signed, rules.agents) {
        return Err(why);
    }
    if let Some(field) = unread(&r.data, &event.data(), "") {
        return Err(format!(
            "the record carries `{field}`, which no {} record has: nothing its signed action said",
            r.kind
        ));
    }
    Ok(Checked::Signed(authentic))
}

/// The first field of `raw` (a record's data as stored) with a value that
/// `typed` (the same data read as its kind and written again) does not
/// have: something added to the record that no reader of its kind reads
/// and no signature covers.
fn unread(raw: &serde_json::Value, typed: &serde_json::Value, path: &str) -> Option<String> {
    use serde_json::Value;
    match (raw, typed) {
        (Value::Object(r), Value::Object(t)) => r.iter().find_map(|(k, v)| {
            let here = if path.is_empty() {
                k.clone()
            } else {
                format!("{path}.{k}")
            };
            match t.get(k) {
                None if !v.is_null() => Some(here),
                None => None,
                Some(tv) => unread(v, tv, &here),
            }
        }),
        (Value::Array(r), Value::Array(t)) if r.len() == t.len() => r
            .iter()
            .zip(t)
            .enumerate()
            .find_map(|(i, (a, b))| unread(a, b, &format!("{path}[{i}]"))),
        _ => None,
    }
}

/// Whether `signed` is authentic: by a key the rules give the operator it
/// names, valid when it signed (or through a console session that
/// operator's login granted).
fn authentic(
    r: &Record,
    signed: &SignedAction,
    operators: &[Operator],
) -> Result<SignedRecord, String> {
    let a = &signed.action;
    if let Some(d) = &signed.delegation {
        let proof = crate::audit::check_delegation(d, signed, operators)?;
        return Ok(SignedRecord {
            seq: r.seq,
            kind: r.kind.clone(),
            operator: proof.operator,
            key: format!("{} ({})", proof.session, proof.login),
            signed_at: DateTime::<Utc>::from_timestamp(a.time, 0)
                .unwrap_or_default()
                .to_rfc3339(),
        });
    }
    let Some((op, key)) = operators
        .iter()
        .find_map(|o| o.keys.iter().find(|k| k.id == a.key).map(|k| (o, k)))
    else {
        return Err(format!("no operator in the config has the key {}", a.key));
    };
    if op.name != a.operator {
        return Err(format!(
            "key {} is {}'s, not {}'s",
            a.key, op.name, a.operator
        ));
    }
    let at = DateTime::<Utc>::from_timestamp(a.time, 0)
        .ok_or_else(|| format!("the signing time {} is not a time", a.time))?;
    if let Some(why) = key.unusable_at(at) {
        return Err(format!("signed at {}, when {why}", at.to_rfc3339()));
    }
    if !signed.verifies(&key.key) {
        return Err(format!(
            "the signature does not verify under {}'s key {}",
            op.name, a.key
        ));
    }
    Ok(SignedRecord {
        seq: r.seq,
        kind: r.kind.clone(),
        operator: op.name.clone(),
        key: a.key.clone(),
        signed_at: at.to_rfc3339(),
    })
}

/// Whether the record says anything its signed action did not authorise:
/// another object, another call, another reason, or — for a token — another
/// agent, task, scope or lifetime. Every field the action signs must equal
/// the record's, and the record carries nothing the action did not say.
fn mismatch(event: &Event, signed: &SignedAction, agents: Option<&[Agent]>) -> Option<String> {
    let a = &signed.action;
    let target = |want: &str| {
        (a.target != want).then(|| {
            format!(
                "the signature is for {:?}, the record for {want:?}",
                a.target
            )
        })
    };
    let reason = |recorded: &str| {
        (recorded != cap(&a.reason)).then(|| {
            format!(
                "the record's reason {recorded:?} is not the signed reason {:?}",
                a.reason
            )
        })
    };
    match event {
        Event::ApprovalApproved(d) | Event::ApprovalDenied(d) => {
            let bound = ApprovalBinding {
                agent: d.agent.clone(),
                task: d.task.clone(),
                tool: d.tool.clone(),
                args_digest: d.args_digest.clone(),
                plugin_version: d.plugin_version.clone().unwrap_or_default(),
                component_digest: d.component_digest.clone().unwrap_or_default(),
                tool_digest: d.tool_digest.clone().unwrap_or_default(),
            }
            .digest();
            target(&d.approval_id)
                .or_else(|| {
                    (a.binding.as_deref() != Some(bound.as_str())).then(|| {
                        "the signature is for another call than the record names".to_owned()
                    })
                })
                .or_else(|| reason(&d.reason))
        }
        Event::TokenIssued(t) => token(t, a, agents),
        Event::TokenRevoked(o) => stop_fields(o, None, None, Some(&a.target))
            .or_else(|| target(o.token_id.as_deref().unwrap_or_default()))
            .or_else(|| reason(&o.reason)),
        Event::AgentQuarantined(o) | Event::AgentReleased(o) => {
            stop_fields(o, Some(&a.target), None, None)
                .or_else(|| target(o.agent.as_deref().unwrap_or_default()))
                .or_else(|| reason(&o.reason))
        }
        Event::PluginDisabled(o) | Event::PluginEnabled(o) => {
            stop_fields(o, None, Some(&a.target), None)
                .or_else(|| target(o.plugin.as_deref().unwrap_or_default()))
                .or_else(|| reason(&o.reason))
        }
        Event::HostHalted(o) | Event::HostResumed(o) | Event::ReloadRequested(o) => {
            stop_fields(o, None, None, None)
                .or_else(|| target(""))
                .or_else(|| reason(&o.reason))
        }
        Event::VersionReset(v) => target(&v.plugin).or_else(|| reason(&v.reason)),
        _ => target(""),
    }
}

/// A stop button's record names exactly the object its action does: the
/// agent, plugin or token it acts on, and nothing else.
fn stop_fields(
    o: &OperatorAction,
    agent: Option<&str>,
    plugin: Option<&str>,
    token_id: Option<&str>,
) -> Option<String> {
    (o.agent.as_deref() != agent
        || o.plugin.as_deref() != plugin
        || o.token_id.as_deref() != token_id)
        .then(|| "the record names an object its signed action does not".to_owned())
}

/// A token record says what the signed request asked for: its agent and
/// task, the tools asked for (or, when none were named, exactly the agent's
/// grant under the rules given), and an expiry within the asked lifetime of
/// the signing time (give or take the freshness window).
fn token(t: &TokenIssued, a: &ActionBody, agents: Option<&[Agent]>) -> Option<String> {
    let Some(i) = &a.issue else {
        return Some("the signature is not a request for a token".into());
    };
    if i.agent != t.agent || i.task != t.task {
        return Some(format!(
            "the signature is not a request for a token for {} and task {}",
            t.agent, t.task
        ));
    }
    if !i.tools.is_empty() && i.tools != t.tools {
        return Some(format!(
            "the token's tools [{}] are not the signed request's [{}]",
            t.tools.join(", "),
            i.tools.join(", ")
        ));
    }
    if i.tools.is_empty()
        && let Some(agents) = agents
    {
        match agents.iter().find(|g| g.id == t.agent) {
            Some(g) if g.tools == t.tools => {}
            Some(g) => {
                return Some(format!(
                    "the token's tools [{}] are not agent {}'s grant [{}], which the signed request asked for",
                    t.tools.join(", "),
                    t.agent,
                    g.tools.join(", ")
                ));
            }
            None => return Some(format!("there is no agent {} in the rules", t.agent)),
        }
    }
    let latest = a
        .time
        .saturating_add(i64::try_from(i.ttl_secs).unwrap_or(i64::MAX))
        .saturating_add(MAX_AGE_SECS);
    let expires = t
        .expires
        .as_deref()
        .and_then(|e| DateTime::parse_from_rfc3339(e).ok())
        .map(|e| e.timestamp());
    match expires {
        Some(e) if e <= latest => None,
        _ => Some(format!(
            "the token expires {}, later than the signed lifetime of {} s allows",
            t.expires.as_deref().unwrap_or("never"),
            i.ttl_secs
        )),
    }
}

/// Whether records of `kind` stand for an operator's action (and, from
/// format 3, must carry its signature).
pub fn is_operator_kind(kind: &str) -> bool {
    OPERATOR_KINDS.contains(&kind)
}
