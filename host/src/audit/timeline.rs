//! A task's story as a readable timeline: prompt → decision (policy ids) →
//! approval (who) → capability uses → outcome, with every string from
//! outside made safe for a terminal.

use std::fmt::Write as _;

use crate::audit::RuleBook;
use crate::audit::event::{Attribution, CallDecided, CallEnded, Event};
use crate::audit::record::Record;
use crate::audit::signatures::{Checked, is_operator_kind};
use crate::config::Operator;
use crate::vocab::safe;

fn or_dash(v: Option<&str>) -> String {
    safe(v.unwrap_or("-"))
}

/// What proves an operator record: its signature, checked against
/// `operators` when given.
fn proof(r: &Record, operators: Option<&[Operator]>, book: &mut RuleBook) -> String {
    let under = r
        .event()
        .and_then(|e| {
            e.release()
                .map(|x| format!(" (under rules release {})", x.version))
        })
        .filter(|_| is_operator_kind(&r.kind))
        .unwrap_or_default();
    let checked = match book.check(r, operators) {
        Ok(Checked::NotOperator) => String::new(),
        Ok(Checked::Legacy) => " — unsigned (format before 3)".into(),
        Ok(Checked::Unchecked) => " — signed; not checked (no host config)".into(),
        Ok(Checked::Signed(s)) => format!(
            " — signed by {} with key {}: signature verified",
            safe(&s.operator),
            safe(&s.key)
        ),
        Err(why) => format!(" — SIGNATURE NOT VALID: {}", safe(&why)),
    };
    format!("{checked}{under}")
}

/// The timeline of `records`, one or more lines each; operator records say
/// who signed them and whether the signature verified against the public
/// keys of `operators`.
pub fn timeline(records: &[Record], operators: Option<&[Operator]>) -> String {
    timeline_under(records, operators, &mut RuleBook::default())
}

/// [`timeline`], each operator signature checked against the rules its
/// record names (their release read from `book`'s archive).
pub fn timeline_under(
    records: &[Record],
    operators: Option<&[Operator]>,
    book: &mut RuleBook,
) -> String {
    let mut out = String::new();
    for r in records {
        let when = r.time.get(..19).unwrap_or(&r.time).replace('T', " ");
        let head = format!("{when}  #{:<5}", r.seq);
        let proof = proof(r, operators, book);
        match r.event() {
            Some(Event::Call(c)) => {
                decided(&mut out, &head, &c.decided);
                completed(
                    &mut out,
                    &head,
                    &c.decided.who,
                    c.decided.input_size,
                    &c.ended,
                );
            }
            Some(Event::CallDecided(d)) => decided(&mut out, &head, &d),
            Some(Event::CallCompleted(c)) => {
                completed(&mut out, &head, &c.who, c.input_size, &c.ended);
            }
            Some(Event::CallInterrupted(c)) => {
                let _ = writeln!(
                    out,
                    "{head} INTERRUPT {} {} ({}, {}): no outcome — {}",
                    or_dash(c.who.call_id.as_deref()),
                    or_dash(c.who.tool.as_deref()),
                    safe(&c.decision),
                    c.decided_seq.map_or_else(
                        || c.decided
                            .as_ref()
                            .map_or_else(String::new, |d| format!("decided {}", safe(&d.at))),
                        |s| format!("record #{s}")
                    ),
                    safe(&c.reason)
                );
            }
            Some(Event::ApprovalRequested(a)) => {
                let _ = writeln!(
                    out,
                    "{head} HELD      approval {} requested for {} — approvers: {}; {}",
                    safe(&a.approval_id),
                    or_dash(a.who.tool.as_deref()),
                    safe(&a.approvers.join(", ")),
                    safe(&a.why)
                );
            }
            Some(Event::ApprovalApproved(a) | Event::ApprovalDenied(a)) => {
                let verb = if r.kind.ends_with("approved") {
                    "APPROVED"
                } else {
                    "DENIED"
                };
                let reason = if a.reason.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", safe(&a.reason))
                };
                let count = if a.required > 1 && verb == "APPROVED" {
                    format!(" [{} of {}]", a.approvals, a.required)
                } else {
                    String::new()
                };
                let _ = writeln!(
                    out,
                    "{head} {verb:<9} approval {} by {}{reason}{count}{proof}",
                    safe(&a.approval_id),
                    safe(&a.by)
                );
            }
            Some(Event::TokenIssued(t)) => {
                let _ = writeln!(
                    out,
                    "{head} TOKEN     {} issued to {} for task {} by {} (tools {}; until {}){proof}",
                    safe(&t.token_id),
                    safe(&t.agent),
                    safe(&t.task),
                    safe(&t.by),
                    safe(&t.tools.join(", ")),
                    or_dash(t.expires.as_deref())
                );
            }
            Some(Event::TokenExchanged(t)) => {
                let _ = writeln!(
                    out,
                    "{head} EXCHANGE  {} issued to {} for task {} for workload {} of issuer {} (credential {}; tools {}; until {})",
                    safe(&t.token_id),
                    safe(&t.agent),
                    safe(&t.task),
                    safe(&t.credential.subject),
                    safe(&t.credential.issuer),
                    safe(&t.credential.id),
                    safe(&t.tools.join(", ")),
                    or_dash(t.expires.as_deref())
                );
            }
            Some(Event::ExchangeRefused(x)) => {
                let _ = writeln!(
                    out,
                    "{head} REFUSED   token exchange ({}) for workload {} of issuer {}: {}",
                    safe(&x.error),
                    or_dash(x.subject.as_deref()),
                    or_dash(x.issuer.as_deref()),
                    safe(&x.reason)
                );
            }
            _ => {
                let _ = writeln!(
                    out,
                    "{head} {:<9} {}{proof}",
                    safe(&r.kind.to_uppercase()),
                    safe(&summary(&r.data))
                );
            }
        }
    }
    out
}

fn decided(out: &mut String, head: &str, d: &CallDecided) {
    let w = &d.who;
    let _ = writeln!(
        out,
        "{head} CALL      {} → {} [{}]  task {}  token {}",
        or_dash(w.agent.as_deref()),
        or_dash(w.tool.as_deref()),
        w.impact.map_or("-", |i| i.as_str()),
        or_dash(w.task.as_deref()),
        or_dash(w.token_id.as_deref())
    );
    if let Some(c) = &w.claimed {
        let _ = writeln!(
            out,
            "{:28}the token did not verify: it claimed task {}, agent {}, token {} (not believed)",
            "",
            safe(&c.task),
            safe(c.agent.as_deref().unwrap_or("-")),
            safe(c.token_id.as_deref().unwrap_or("-"))
        );
    }
    if let Some(c) = &w.credential {
        let _ = writeln!(
            out,
            "{:28}{} of workload {} of issuer {} (credential {})",
            "",
            if c.kind.as_deref() == Some("access-token") {
                "an access token"
            } else {
                "exchanged for the credential"
            },
            safe(&c.subject),
            safe(&c.issuer),
            safe(&c.id)
        );
    }
    let digest = w
        .component_digest
        .as_deref()
        .and_then(|d| d.get(..19))
        .unwrap_or("-");
    let _ = writeln!(
        out,
        "{:28}agent owner {}, model {} (owner {}); plugin {} {} {} signed by {}; action owner {}",
        "",
        or_dash(w.agent_owner.as_deref()),
        or_dash(w.model.as_deref()),
        or_dash(w.model_owner.as_deref()),
        or_dash(w.plugin.as_deref()),
        or_dash(w.plugin_version.as_deref()),
        safe(digest),
        or_dash(w.signer.as_deref()),
        or_dash(w.action_owner.as_deref())
    );
    if let Some(p) = d.prompt.as_deref().filter(|p| !p.is_empty()) {
        let _ = writeln!(out, "{:28}prompt: {}", "", safe(p));
    }
    let dec = &d.decision;
    let mut pol = if dec.policies.is_empty() {
        String::new()
    } else {
        format!("; policy {}", safe(&dec.policies.join(", ")))
    };
    if let Some(r) = &d.who.release {
        pol.push_str(&format!("; rules release {}", r.version));
    }
    let _ = writeln!(
        out,
        "{:28}decision: {} (layer {}{pol}) {}",
        "",
        dec.result.as_str(),
        safe(&dec.layer),
        safe(&dec.reason)
    );
    if let Some(a) = &d.approval {
        let _ = writeln!(
            out,
            "{:28}approval {} by {}{}",
            "",
            safe(&a.id),
            safe(&a.approver),
            a.reason
                .as_deref()
                .map(|x| format!(" ({})", safe(x)))
                .unwrap_or_default()
        );
    }
}

fn completed(out: &mut String, head: &str, who: &Attribution, input_size: u64, c: &CallEnded) {
    let _ = writeln!(
        out,
        "{head} OUTCOME   {} {} after {} ms; input {} B, output {} B{}",
        or_dash(who.tool.as_deref()),
        safe(&c.outcome),
        c.duration_ms,
        input_size,
        c.output_size,
        c.error
            .as_deref()
            .map(|e| format!(": {}", safe(e)))
            .unwrap_or_default()
    );
    for u in &c.uses {
        let _ = writeln!(out, "{:28}uses {}", "", safe(&u.show()));
    }
}

/// A record's data as `key=value` words (its signature left out: it is
/// shown as its verdict).
pub(crate) fn summary(d: &serde_json::Value) -> String {
    d.as_object()
        .map(|m| {
            m.iter()
                // The signature is shown as its verdict.
                .filter(|(k, _)| *k != "signed")
                .map(|(k, v)| {
                    format!(
                        "{k}={}",
                        v.as_str().map_or_else(|| v.to_string(), str::to_owned)
                    )
                })
                .collect::<Vec<_>>()
                .join(" ")
        })
        .unwrap_or_default()
}
