//! One mediated call: authorize (one function: token, stops, scope, grant,
//! tool, input, rate, budget, policy), wait for a human's approval where
//! needed, be admitted (authz again: stops, caps, budgets counted — the
//! admission holds the slots and the use), run in a fresh sandbox on
//! exactly the arguments policy saw, and record the call — its decision
//! and its outcome — in one audit record, durable before the answer
//! leaves (an allowed call's decision is written ahead to this process's
//! journal before the tool runs: `intents`).

use std::sync::atomic::Ordering;
use std::time::Instant;

use tracing::Instrument as _;

use crate::audit::event::{ApprovalRef, Attribution, CallRecord, Decision, DecisionResult, Event};
use crate::authz::{CallAsk, Grant, Refusal};
use crate::mediation::Host;
use crate::mediation::approval::Approved;
use crate::mediation::context::{CallContext, InputFacts, refused};
use crate::mediation::inflight::{Entry, Running};
use crate::mediation::observe::{Observed, gate_ended};
use crate::mediation::request::{CallError, CallRequest, CallResponse};
use crate::telemetry::spans::stage;
use crate::vocab::CancelToken;

/// How far a call got: what to record, and what to run.
struct Decided<'r> {
    who: Attribution,
    input: InputFacts,
    decision: Decision,
    approval: Option<ApprovalRef>,
    approval_id: Option<String>,
    /// The grant and its admission (slots, counted use), when the call
    /// may run.
    run: Option<(Grant<'r>, crate::authz::Admission)>,
    refusal: Option<Refusal>,
    /// The call's place among the calls in flight, kept until its outcome
    /// is recorded.
    entry: Option<Entry>,
    /// The arguments the record keeps (small enough, and parsed).
    args: Option<serde_json::Value>,
    /// The shadow policies' differing decision.
    shadow: Option<Box<crate::authz::ShadowDecision>>,
}

impl Decided<'_> {
    fn with_entry(mut self, entry: Entry) -> Self {
        self.entry = Some(entry);
        self
    }

    fn with_args(mut self, args: Option<&serde_json::Value>) -> Self {
        self.args = args.cloned();
        self
    }
}

impl Host {
    /// The mediated path of call number `n` (`call_id`), inside its span
    /// (`observe.rs` makes the span and counts the call).
    pub(crate) async fn mediate(
        &self,
        req: CallRequest,
        cancel: CancelToken,
        n: u64,
        call_id: String,
    ) -> (CallResponse, Observed) {
        let inner = &self.inner;
        let mut ctx = CallContext::new(
            call_id,
            req.channel,
            req.prompt.as_deref(),
            req.context.as_ref(),
        );
        ctx.progress = req.progress.clone();
        ctx.wait = req.wait;
        ctx.trace.clone_from(&req.trace);
        ctx.correlation.clone_from(&req.correlation);
        let loaded = self.loaded();
        ctx.release = Some(loaded.release.clone());
        let decided = self.decide(&loaded, &req, &ctx, &cancel, n).await;
        ctx.degraded = inner.stops.degraded();
        let Decided {
            who,
            input,
            decision,
            approval,
            approval_id,
            run,
            refusal,
            entry,
            args,
            shadow,
        } = decided;
        let observed = Observed::of(&who, &decision);
        let decided = ctx.decided(who, &input, decision, approval, approval_id, args);
        crate::telemetry::spans::attribute(&decided.who);
        if let Some(s) = &shadow {
            inner.shadow_differences.fetch_add(1, Ordering::Relaxed);
            inner.meters.shadow_difference();
            let _ = inner
                .audit
                .append(
                    &crate::mediation::context::shadow_record(decided.who.clone(), s),
                    false,
                )
                .await;
        }
        // A call allowed to run takes room for its record and is written
        // ahead to this process's journal before the tool runs; if either
        // fails, the tool does not run.
        let ahead = match &run {
            Some(_) => self.write_ahead(&decided).map(Some),
            None => Ok(None),
        };
        let (outcome, uses, written_ahead) = match (ahead, run, refusal) {
            (Err(e), _, _) => (
                Err(CallError::Refused(Refusal::Host(format!(
                    "the audit chain cannot be written ({e}), so no call runs"
                )))),
                Vec::new(),
                None,
            ),
            (Ok(written), Some((grant, admission)), _) => {
                let (outcome, uses) = self
                    .run(&grant, &cancel)
                    .instrument(stage("warrant.sandbox"))
                    .await;
                let bytes = outcome.as_ref().map_or(0, |o| o.len() as u64);
                admission.finish(outcome.is_ok(), bytes).await;
                (outcome, uses, written)
            }
            (Ok(_), None, refusal) => (
                Err(CallError::Refused(refusal.unwrap_or_else(|| {
                    Refusal::Host("the call was neither allowed nor refused".into())
                }))),
                Vec::new(),
                None,
            ),
        };
        let ahead = written_ahead.is_some();
        // The call's one record: its decision and its outcome, durable
        // before the answer leaves (a call written ahead reuses its
        // decision's serialised entries).
        let ended = ctx.ended(&outcome, uses);
        let appending = Instant::now();
        let recorded = match written_ahead {
            Some((reservation, entries)) => {
                self.record_ahead(entries, &ended, reservation)
                    .instrument(stage("warrant.audit.append"))
                    .await
            }
            None => {
                let record = Event::Call(Box::new(CallRecord { decided, ended }));
                self.inner
                    .audit
                    .append(&record, true)
                    .instrument(stage("warrant.audit.append"))
                    .await
            }
        };
        inner.meters.audit_appended("call", appending.elapsed());
        if ahead && recorded.is_ok() {
            inner.intents.recorded();
        }
        // In flight until its record is written (the entry also goes if
        // this future is dropped).
        drop(entry);
        let resp = match recorded {
            Ok(seq) => CallResponse {
                call_id: ctx.call_id,
                audit_seq: Some(seq),
                outcome,
            },
            // An output whose record is not durable is withheld; a refusal
            // or failure is returned as it is (nothing is released).
            Err(e) if outcome.is_ok() => CallResponse {
                call_id: ctx.call_id,
                audit_seq: None,
                outcome: Err(CallError::Unaudited(e)),
            },
            Err(_) => CallResponse {
                call_id: ctx.call_id,
                audit_seq: None,
                outcome,
            },
        };
        (resp, observed)
    }

    /// Authorize, register in flight, wait for approval, check again.
    async fn decide<'r>(
        &self,
        loaded: &'r crate::mediation::Loaded,
        req: &CallRequest,
        ctx: &CallContext,
        cancel: &CancelToken,
        n: u64,
    ) -> Decided<'r> {
        let inner = &self.inner;
        let raw = || InputFacts::arrived(&req.input);
        let deny = |r: Refusal, who: Attribution, input: InputFacts, approval_id| Decided {
            who: ctx.who(who),
            input,
            decision: refused(&r),
            approval: None,
            approval_id,
            run: None,
            refusal: Some(r),
            entry: None,
            args: None,
            shadow: None,
        };
        let fallback = || ctx.who(crate::authz::Known::default().attribution(&req.tool));
        if inner.shutdown.is_cancelled() {
            return deny(
                Refusal::Host("the host is shutting down".into()),
                fallback(),
                raw(),
                None,
            );
        }
        let reading = Instant::now();
        let stops = inner.stops.get().await;
        inner.meters.state_operation("stops", reading.elapsed());
        let stops = match stops {
            Ok(s) => s,
            Err(e) => return deny(Refusal::Host(e.to_string()), fallback(), raw(), None),
        };
        let degraded = inner.stops.degraded();
        let ask = CallAsk {
            token: &req.token,
            tool: &req.tool,
            input: &req.input,
            now: chrono::Utc::now(),
            sender: &req.sender,
            degraded: degraded.as_deref(),
        };
        let authorized = loaded
            .authz
            .authorize(&loaded.registry, &stops, ask)
            .instrument(stage("warrant.authorize"))
            .await;
        let grant = match authorized {
            Ok(g) => g,
            Err(d) => {
                let who = d.known.attribution(&req.tool);
                let keep = req.input.arrived_size() <= loaded.config.audit.arguments;
                let args = d.args.filter(|_| keep).map(|a| a.value().clone());
                let mut denied = deny(d.refusal, who, raw(), None);
                denied.args = args;
                denied.shadow = d.shadow;
                return denied;
            }
        };
        let keep = grant.input.size() <= loaded.config.audit.arguments;
        let args = keep.then(|| grant.input.value().clone());
        let shadow = grant.shadow.clone();
        let who = grant.known().attribution(&grant.qualified);
        let input = InputFacts::granted(&grant.input);
        // From here the call can be stopped by halt, quarantine, disable
        // and revocation.
        let entry = inner.inflight.enter(
            n,
            Running {
                agent: grant.agent.id.clone(),
                plugin: grant.plugin.id().to_owned(),
                component_digest: grant.plugin.manifest.component_digest(),
                token_id: grant.token.id.clone(),
                cancel: cancel.clone(),
            },
        );
        let mut approved: Option<Approved> = None;
        if grant.approval.is_some() {
            let waiting = Instant::now();
            let gate = self
                .approval_gate(&grant, ctx, cancel)
                .instrument(stage("warrant.approval.wait"))
                .await;
            inner
                .meters
                .approval_waited(gate_ended(&gate, cancel), waiting.elapsed());
            match gate {
                Ok(a) => approved = Some(a),
                Err(r) => {
                    let id = approval_of(&r);
                    // A stop pressed while the call waited says more than
                    // "still pending".
                    let r = match self.still_allowed(loaded, &grant).await {
                        Err(stop) if cancel.is_cancelled() => stop,
                        _ => r,
                    };
                    return deny(r, who, input, id)
                        .with_entry(entry)
                        .with_args(args.as_ref());
                }
            }
        }
        // Whatever happened while it waited — revocation, expiry, a stop
        // button — is checked again before it runs; then its slots are
        // taken and its use counted (authz: the admission holds them).
        let admitting = Instant::now();
        let admitted = match self.stops_for_call().await {
            Ok(stops) => {
                loaded
                    .authz
                    .admit(
                        &grant,
                        &stops,
                        chrono::Utc::now(),
                        &inner.owner,
                        inner.stops.degraded().as_deref(),
                    )
                    .instrument(stage("warrant.admit"))
                    .await
            }
            Err(r) => Err(r),
        };
        inner.meters.state_operation("admit", admitting.elapsed());
        let admission = match admitted {
            Ok(a) => a,
            Err(r) => {
                let id = approved.as_ref().map(|a| a.id.clone());
                return deny(r, who, input, id)
                    .with_entry(entry)
                    .with_args(args.as_ref());
            }
        };
        let (decision, approval) = match &approved {
            Some(a) => (
                Decision {
                    result: DecisionResult::AllowWithApproval,
                    layer: "approval".into(),
                    policies: grant.policies.clone(),
                    reason: String::new(),
                },
                Some(ApprovalRef {
                    id: a.id.clone(),
                    approver: a.by.clone(),
                    reason: a.reason.clone(),
                }),
            ),
            None => (
                Decision {
                    result: DecisionResult::Allow,
                    layer: "policy".into(),
                    policies: grant.policies.clone(),
                    reason: String::new(),
                },
                None,
            ),
        };
        Decided {
            who: ctx.who(who),
            input,
            decision,
            approval,
            approval_id: approved.map(|a| a.id),
            run: Some((grant, admission)),
            refusal: None,
            entry: Some(entry),
            args,
            shadow,
        }
    }

    /// Whether `grant` may still run under the current stop state.
    async fn still_allowed(
        &self,
        loaded: &crate::mediation::Loaded,
        grant: &Grant<'_>,
    ) -> Result<(), Refusal> {
        let stops = self.stops_for_call().await?;
        loaded.authz.recheck(grant, &stops, chrono::Utc::now())
    }
}

/// The approval request a refusal names, if any.
fn approval_of(r: &Refusal) -> Option<String> {
    match r {
        Refusal::PendingApproval { approval_id, .. }
        | Refusal::ApprovalExpired { approval_id }
        | Refusal::ApprovalDenied { approval_id, .. } => Some(approval_id.clone()),
        _ => None,
    }
}
