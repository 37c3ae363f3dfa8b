//! Checking the operator signatures in the chain, offline: from format 3,
//! every record of an operator's action (an approval, a denial, a stop
//! button, a token issued, a reload, a version reset) carries the action
//! the operator signed. It must be signed by a key the host config gives
//! that operator, valid when it was signed, over exactly what the record
//! says was done. Only public keys are needed: a record forged by someone
//! holding the host's MAC key is still caught.

use chrono::{DateTime, Utc};

use crate::audit::event::Event;
use crate::audit::record::Record;
use crate::config::Operator;
use crate::keys::SignedAction;
use crate::state::ApprovalBinding;

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

/// Check `r`; `Err` says why its operator signature does not hold.
pub(crate) fn check(r: &Record, operators: Option<&[Operator]>) -> Result<Checked, String> {
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
    let Some(operators) = operators else {
        return Ok(Checked::Unchecked);
    };
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
    if let Some(why) = mismatch(&event, signed) {
        return Err(why);
    }
    if let Some(d) = &signed.delegation {
        let proof = crate::audit::check_delegation(d, signed, operators)?;
        return Ok(Checked::Signed(SignedRecord {
            seq: r.seq,
            kind: r.kind.clone(),
            operator: proof.operator,
            key: format!("{} ({})", proof.session, proof.login),
            signed_at: DateTime::<Utc>::from_timestamp(a.time, 0)
                .unwrap_or_default()
                .to_rfc3339(),
        }));
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
    Ok(Checked::Signed(SignedRecord {
        seq: r.seq,
        kind: r.kind.clone(),
        operator: op.name.clone(),
        key: a.key.clone(),
        signed_at: at.to_rfc3339(),
    }))
}

/// Whether the signed action is about something else than the record.
fn mismatch(event: &Event, signed: &SignedAction) -> Option<String> {
    let a = &signed.action;
    let target = |want: &str| {
        (a.target != want).then(|| {
            format!(
                "the signature is for {:?}, the record for {want:?}",
                a.target
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
            target(&d.approval_id).or_else(|| {
                (a.binding.as_deref() != Some(bound.as_str()))
                    .then(|| "the signature is for another call than the record names".to_owned())
            })
        }
        Event::TokenIssued(t) => match &a.issue {
            Some(i) if i.agent == t.agent && i.task == t.task => None,
            _ => Some(format!(
                "the signature is not a request for a token for {} and task {}",
                t.agent, t.task
            )),
        },
        Event::TokenRevoked(o) => target(o.token_id.as_deref().unwrap_or_default()),
        Event::AgentQuarantined(o) | Event::AgentReleased(o) => {
            target(o.agent.as_deref().unwrap_or_default())
        }
        Event::PluginDisabled(o) | Event::PluginEnabled(o) => {
            target(o.plugin.as_deref().unwrap_or_default())
        }
        Event::VersionReset(v) => target(&v.plugin),
        _ => target(""),
    }
}

/// Whether records of `kind` stand for an operator's action (and, from
/// format 3, must carry its signature).
pub fn is_operator_kind(kind: &str) -> bool {
    OPERATOR_KINDS.contains(&kind)
}
