//! One mediated call: authenticate the task token, authorize (scope, grant,
//! stop state, rate, policy, approval), run in a fresh sandbox, record in
//! the audit chain before the answer leaves.

use std::sync::atomic::Ordering;
use std::time::Instant;

use serde_json::{Value, json};

use crate::audit::{AuditError, cap};
use crate::authz::{InflightGuard, PolicyDecision, PolicyInput, Refusal, tool_matches};
use crate::canonical::to_canonical;
use crate::host::approval::Approved;
use crate::host::stops::{self, Inflight};
use crate::host::{Host, Inner};
use crate::keys::sha256_hex;
use crate::registry::RegisteredPlugin;
use crate::sandbox::{CallFailure, CancelToken};

/// Longest input accepted, in bytes.
pub const MAX_INPUT: usize = 1024 * 1024;
/// Longest prompt or context kept in the audit chain.
pub const MAX_PROMPT: usize = 8 * 1024;

/// A call as an agent makes it.
#[derive(Debug, Clone, Default)]
pub struct CallRequest {
    /// The task token.
    pub token: String,
    /// `plugin.tool`.
    pub tool: String,
    /// The input, a JSON object as text.
    pub input: String,
    /// What the agent says it is doing (recorded, bounded; never trusted).
    pub prompt: Option<String>,
    /// More context from the agent (recorded, bounded; never trusted).
    pub context: Option<Value>,
    /// Where the call came from: `cli`, `mcp`, `http`, `lib`.
    pub channel: &'static str,
}

/// Why a call produced no output.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CallError {
    /// Refused before it ran; the refusal names the layer.
    #[error("{0}")]
    Refused(Refusal),
    /// It ran and failed (tool error, trap, limit, cancelled).
    #[error("{0}")]
    Failed(CallFailure),
    /// Its outcome could not be recorded, so it is not returned.
    #[error("the outcome could not be recorded in the audit chain, so it is withheld: {0}")]
    Unaudited(AuditError),
}

impl CallError {
    /// A stable name for the outcome.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Refused(Refusal::PendingApproval { .. }) => "held",
            Self::Refused(_) => "refused",
            Self::Failed(f) => f.kind(),
            Self::Unaudited(_) => "unaudited",
        }
    }
}

/// The answer to a call.
#[derive(Debug, Clone)]
pub struct CallResponse {
    /// The call's id (in every audit record of the call).
    pub call_id: String,
    /// The sequence number of the call's final audit record.
    pub audit_seq: Option<u64>,
    /// The output (JSON text) or why there is none.
    pub outcome: Result<String, CallError>,
}

/// Who, what, for which task, under which grant: filled in as it is learnt.
#[derive(Debug, Default, Clone)]
pub(crate) struct Attribution {
    fields: serde_json::Map<String, Value>,
}

impl Attribution {
    pub(crate) fn set(&mut self, k: &str, v: impl Into<Value>) {
        self.fields.insert(k.to_owned(), v.into());
    }

    pub(crate) fn get(&self, k: &str) -> Option<&Value> {
        self.fields.get(k)
    }
}

pub(crate) type AttributionRef = Attribution;

/// A call's entry among the calls in flight; removed when dropped, however
/// the call ends (even if its future is dropped).
pub(crate) struct InflightEntry<'a> {
    map: &'a std::sync::Mutex<std::collections::HashMap<u64, Inflight>>,
    id: u64,
}

impl Drop for InflightEntry<'_> {
    fn drop(&mut self) {
        if let Ok(mut m) = self.map.lock() {
            m.remove(&self.id);
        }
    }
}

struct Authorized<'a> {
    plugin: &'a RegisteredPlugin,
    tool: String,
    approval: Option<Approved>,
    policies: Vec<String>,
    _slots: InflightGuard,
}

impl Host {
    /// Make one call through the whole mediated path.
    pub async fn call(&self, req: CallRequest) -> CallResponse {
        self.call_cancellable(req, CancelToken::new()).await
    }

    /// [`Host::call`] that the caller can also stop through `cancel` (a
    /// client that went away): a cancelled call is stopped in the approval
    /// gate or the sandbox and audited like any other. Drive the future to
    /// completion (e.g. in its own task) so that its outcome is recorded.
    pub async fn call_cancellable(&self, req: CallRequest, cancel: CancelToken) -> CallResponse {
        let inner = &self.inner;
        let n = inner.next_call.fetch_add(1, Ordering::Relaxed);
        let call_id = format!("call-{}-{n}", inner.call_prefix);
        let started = Instant::now();
        let mut attr = Attribution::default();
        attr.set("call_id", call_id.clone());
        attr.set("channel", req.channel);
        attr.set("tool", cap(&req.tool));
        let mut registered: Option<InflightEntry<'_>> = None;

        let decision = self
            .authorize(&req, &mut attr, &cancel, n, &mut registered)
            .await;
        let prompt = req
            .prompt
            .as_deref()
            .map(|p| crate::audit::cap_at(p, MAX_PROMPT));
        let context = req
            .context
            .as_ref()
            .map(|c| crate::audit::cap_at(&c.to_string(), MAX_PROMPT));
        let input_digest = format!("sha256:{}", sha256_hex(req.input.as_bytes()));
        attr.set("input_digest", input_digest);
        attr.set("input_size", req.input.len());
        let mut decided = attr.fields.clone();
        decided.insert("prompt".into(), json!(prompt));
        decided.insert("context".into(), json!(context));
        let (result_name, layer, policies, reason) = match &decision {
            Ok(a) if a.approval.is_some() => (
                "allow-with-approval",
                "approval",
                a.policies.clone(),
                String::new(),
            ),
            Ok(a) => ("allow", "policy", a.policies.clone(), String::new()),
            Err(Refusal::PendingApproval { .. }) => (
                "held",
                "approval",
                Vec::new(),
                decision
                    .as_ref()
                    .err()
                    .map(ToString::to_string)
                    .unwrap_or_default(),
            ),
            Err(r) => ("deny", r.layer(), r.policies().to_vec(), r.to_string()),
        };
        decided.insert("decision".into(), json!({"result": result_name, "layer": layer, "policies": policies, "reason": cap(&reason)}));
        if let Ok(Authorized {
            approval: Some(a), ..
        }) = &decision
        {
            decided.insert(
                "approval".into(),
                json!({"id": a.id, "approver": a.by, "reason": a.reason}),
            );
        }
        // The decision is written before the tool runs; if it cannot be, the
        // tool does not run.
        let written = inner
            .admin
            .audit()
            .append("call.decided", Value::Object(decided), false)
            .await;

        let (outcome, uses, output_digest, output_size) = match (decision, written) {
            (_, Err(e)) => (
                Err(CallError::Refused(Refusal::Host(format!(
                    "the audit chain cannot be written ({e}), so no call runs"
                )))),
                Vec::new(),
                None,
                0,
            ),
            (Err(r), Ok(_)) => (Err(CallError::Refused(r)), Vec::new(), None, 0),
            (Ok(auth), Ok(_)) => {
                let report = auth
                    .plugin
                    .plugin
                    .call(&auth.tool, &req.input, &cancel)
                    .await;
                drop(auth);
                match report.outcome {
                    Ok(out) => {
                        let digest = format!("sha256:{}", sha256_hex(out.as_bytes()));
                        let size = out.len();
                        (Ok(out), report.uses, Some(digest), size)
                    }
                    Err(f) => (Err(CallError::Failed(f)), report.uses, None, 0),
                }
            }
        };
        let mut done = attr.fields;
        done.insert(
            "outcome".into(),
            json!(match &outcome {
                Ok(_) => "ok",
                Err(e) => e.kind(),
            }),
        );
        if let Err(e) = &outcome {
            done.insert("error".into(), json!(cap(&e.to_string())));
        }
        done.insert(
            "duration_ms".into(),
            json!(u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX)),
        );
        done.insert("output_digest".into(), json!(output_digest));
        done.insert("output_size".into(), json!(output_size));
        done.insert(
            "uses".into(),
            serde_json::to_value(&uses).unwrap_or_default(),
        );
        let recorded = inner
            .admin
            .audit()
            .append("call.completed", Value::Object(done), true)
            .await;
        // In flight until its outcome is recorded (the entry also goes if
        // this future is dropped).
        drop(registered);
        match recorded {
            Ok(seq) => CallResponse {
                call_id,
                audit_seq: Some(seq),
                outcome,
            },
            // An output whose record is not durable is withheld; a refusal
            // or failure is returned as it is (nothing is released).
            Err(e) if outcome.is_ok() => CallResponse {
                call_id,
                audit_seq: None,
                outcome: Err(CallError::Unaudited(e)),
            },
            Err(_) => CallResponse {
                call_id,
                audit_seq: None,
                outcome,
            },
        }
    }

    async fn authorize<'a>(
        &'a self,
        req: &CallRequest,
        attr: &mut Attribution,
        cancel: &CancelToken,
        n: u64,
        registered: &mut Option<InflightEntry<'a>>,
    ) -> Result<Authorized<'a>, Refusal> {
        let inner: &'a Inner = &self.inner;
        if inner.shutdown.is_cancelled() {
            return Err(Refusal::Host("the host is shutting down".into()));
        }
        let now = chrono::Utc::now();
        let stops = inner
            .stops
            .get()
            .map_err(|e| Refusal::Host(e.to_string()))?;
        let (token, agent) = inner.authz.check_token_cached(&req.token, now, &stops)?;
        attr.set("token_id", token.id.clone());
        attr.set("agent", agent.id.clone());
        attr.set("agent_owner", agent.owner.clone());
        attr.set("model", agent.model.clone());
        attr.set("model_owner", agent.model_owner.clone());
        attr.set("task", token.task.clone());

        let (plugin, tool) = inner
            .registry
            .resolve(&req.tool)
            .ok_or_else(|| Refusal::UnknownTool(req.tool.clone()))?;
        let m = plugin.manifest.manifest();
        let action_owner = plugin
            .action_owners
            .get(&tool.name)
            .cloned()
            .unwrap_or_default();
        attr.set("plugin", m.plugin.id.clone());
        attr.set("plugin_version", m.plugin.version.clone());
        attr.set(
            "component_digest",
            format!("sha256:{}", plugin.manifest.digest_hex()),
        );
        attr.set("signer", json!(plugin.manifest.signer()));
        attr.set("action_owner", action_owner.clone());
        attr.set("impact", tool.impact.as_str());

        if let Some(r) = stops::agent_stopped(&stops, &agent.id) {
            return Err(r);
        }
        if let Some(d) = stops.plugins.get(plugin.id()) {
            return Err(Refusal::PluginDisabled {
                plugin: plugin.id().to_owned(),
                by: d.by.clone(),
                reason: d.reason.clone(),
            });
        }
        if !token.tools.iter().any(|p| tool_matches(p, &req.tool)) {
            return Err(Refusal::Scope {
                token_id: token.id.clone(),
                tool: req.tool.clone(),
                allowed: token.tools.join(", "),
            });
        }
        if !agent.tools.iter().any(|p| tool_matches(p, &req.tool)) {
            return Err(Refusal::AgentGrant {
                agent: agent.id.clone(),
                tool: req.tool.clone(),
            });
        }
        if req.input.len() > MAX_INPUT {
            return Err(Refusal::Input(format!(
                "it is {} bytes; the host accepts at most {MAX_INPUT}",
                req.input.len()
            )));
        }
        let args: Value = serde_json::from_str(&req.input)
            .map_err(|e| Refusal::Input(format!("it is not JSON: {e}")))?;
        if !args.is_object() {
            return Err(Refusal::Input("it must be a JSON object".into()));
        }
        // From here the call can be stopped by halt, quarantine or disable.
        inner
            .inflight
            .lock()
            .map_err(|_| Refusal::Host("internal lock poisoned".into()))?
            .insert(
                n,
                Inflight {
                    agent: agent.id.clone(),
                    plugin: plugin.id().to_owned(),
                    cancel: cancel.clone(),
                },
            );
        *registered = Some(InflightEntry {
            map: &inner.inflight,
            id: n,
        });

        inner
            .authz
            .limiter
            .admit(
                &inner.authz.rate_rules(agent, plugin.id(), &req.tool),
                Instant::now(),
            )
            .map_err(Refusal::Rate)?;

        let input = PolicyInput {
            agent: &agent.id,
            plugin: plugin.id(),
            tool: &req.tool,
            task: &token.task,
            impact: tool.impact.as_str(),
            action_owner: &action_owner,
            token_id: &token.id,
            args: &args,
            now,
        };
        let (policies, approval) = match inner.authz.policy().decide(&input) {
            PolicyDecision::Allow { policies } => (policies, None),
            PolicyDecision::Deny { policies, reason } => {
                return Err(Refusal::Policy { policies, reason });
            }
            PolicyDecision::NeedsApproval { policies } => {
                let args_digest = sha256_hex(&to_canonical(&args));
                let approved = self
                    .approval_gate(
                        &token,
                        agent,
                        &req.tool,
                        tool.impact,
                        &args,
                        &args_digest,
                        &policies,
                        cancel,
                        attr,
                    )
                    .await?;
                (policies, Some(approved))
            }
        };
        let slots = inner
            .authz
            .limiter
            .enter(&inner.authz.concurrency_rules(agent, &req.tool))
            .map_err(Refusal::Rate)?;
        Ok(Authorized {
            plugin,
            tool: tool.name.clone(),
            approval,
            policies,
            _slots: slots,
        })
    }
}
