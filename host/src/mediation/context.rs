//! One call's context on its way through the mediated path: its id, where
//! it came from, what the agent said, when it started — and the two audit
//! record built from it.

use std::time::Instant;

use serde_json::Value;

use crate::audit::event::{
    ApprovalRef, Attribution, CallDecided, CallEnded, Decision, DecisionResult, Event,
};
use crate::authz::Refusal;
use crate::capability::CapabilityUse;
use crate::keys::sha256_hex;
use crate::mediation::request::CallError;
use crate::vocab::{cap, cap_at};

/// Longest prompt or context kept in the audit chain.
pub const MAX_PROMPT: usize = 8 * 1024;
/// Capability uses kept in one outcome record (the rest are counted).
pub const MAX_USES: usize = 16;

/// The context of one call.
#[derive(Debug)]
pub(crate) struct CallContext {
    pub(crate) call_id: String,
    pub(crate) channel: &'static str,
    pub(crate) started: Instant,
    prompt: Option<String>,
    context: Option<String>,
    /// Where the caller hears that the call is held.
    pub(crate) progress: Option<tokio::sync::mpsc::UnboundedSender<crate::mediation::CallProgress>>,
    /// How long a held call waits (`None`: the host's `[approvals] wait`).
    pub(crate) wait: Option<std::time::Duration>,
    /// Decided on a stale stop state (the shared state unreachable): why.
    pub(crate) degraded: Option<String>,
    /// The release of the rules the call is decided under.
    pub(crate) release: Option<crate::governance::ReleaseRef>,
    /// The caller's trace context.
    pub(crate) trace: Option<crate::audit::event::TraceRef>,
    /// The caller's correlation id.
    pub(crate) correlation: Option<String>,
}

/// The input as it was recorded: its digest and size.
#[derive(Debug, Clone)]
pub(crate) struct InputFacts {
    pub(crate) digest: String,
    pub(crate) size: u64,
}

impl InputFacts {
    /// The input as it arrived (a call refused before it was granted).
    pub(crate) fn arrived(input: &crate::authz::CallInput) -> Self {
        let (digest, size) = input.arrived();
        Self { digest, size }
    }

    /// The granted arguments, as the plugin receives them.
    pub(crate) fn granted(args: &crate::authz::Arguments) -> Self {
        Self {
            digest: args.digest().to_owned(),
            size: args.size(),
        }
    }
}

impl CallContext {
    /// What the agent said it was doing (capped).
    pub(crate) fn prompt(&self) -> Option<&str> {
        self.prompt.as_deref()
    }

    /// The context the agent gave, as JSON text (capped).
    pub(crate) fn context(&self) -> Option<&str> {
        self.context.as_deref()
    }

    pub(crate) fn new(
        call_id: String,
        channel: &'static str,
        prompt: Option<&str>,
        context: Option<&Value>,
    ) -> Self {
        Self {
            call_id,
            channel,
            started: Instant::now(),
            prompt: prompt.map(|p| cap_at(p, MAX_PROMPT)),
            context: context.map(|c| cap_at(&c.to_string(), MAX_PROMPT)),
            progress: None,
            wait: None,
            degraded: None,
            release: None,
            trace: None,
            correlation: None,
        }
    }

    /// The attribution of this call with what is known of it.
    pub(crate) fn who(&self, mut a: Attribution) -> Attribution {
        a.call_id = Some(self.call_id.clone());
        a.channel = Some(self.channel.to_owned());
        a.release.clone_from(&self.release);
        a.trace.clone_from(&self.trace);
        a.correlation_id.clone_from(&self.correlation);
        a
    }

    /// The decision part of the call's record (written ahead, to the
    /// journal, before an allowed call runs).
    pub(crate) fn decided(
        &self,
        who: Attribution,
        input: &InputFacts,
        decision: Decision,
        approval: Option<ApprovalRef>,
        approval_id: Option<String>,
        args: Option<Value>,
    ) -> CallDecided {
        CallDecided {
            degraded: self.degraded.clone(),
            who,
            input_digest: input.digest.clone(),
            input_size: input.size,
            args,
            prompt: self.prompt.clone(),
            context: self.context.clone(),
            decision,
            approval,
            approval_id,
        }
    }

    /// The outcome part of the call's record.
    pub(crate) fn ended(
        &self,
        outcome: &Result<String, CallError>,
        mut uses: Vec<CapabilityUse>,
    ) -> CallEnded {
        let uses_dropped = uses.len().saturating_sub(MAX_USES) as u64;
        uses.truncate(MAX_USES);
        let (output_digest, output_size) = match outcome {
            Ok(out) => (
                Some(format!("sha256:{}", sha256_hex(out.as_bytes()))),
                out.len() as u64,
            ),
            Err(_) => (None, 0),
        };
        CallEnded {
            outcome: match outcome {
                Ok(_) => "ok".into(),
                Err(e) => e.kind().into(),
            },
            error: outcome.as_ref().err().map(|e| cap(&e.to_string())),
            duration_ms: u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX),
            output_digest,
            output_size,
            uses,
            uses_dropped,
        }
    }
}

/// The decision record of a refusal.
pub(crate) fn refused(r: &Refusal) -> Decision {
    let held = matches!(r, Refusal::PendingApproval { .. });
    Decision {
        result: if held {
            DecisionResult::Held
        } else {
            DecisionResult::Deny
        },
        layer: r.layer().to_owned(),
        policies: r.policies().to_vec(),
        reason: cap(&r.to_string()),
    }
}

/// The `policy.shadow` record of a call the shadow policies would have
/// decided otherwise.
pub(crate) fn shadow_record(who: Attribution, s: &crate::authz::ShadowDecision) -> Event {
    use crate::audit::event::{PolicyShadow, PolicySide};
    use crate::authz::{deciding, decision_name};
    let side = |d: &crate::authz::PolicyDecision| PolicySide {
        result: decision_name(d).to_owned(),
        policies: deciding(d).to_vec(),
    };
    Event::PolicyShadow(Box::new(PolicyShadow {
        who,
        live: side(&s.live),
        shadow: side(&s.shadow),
    }))
}
