//! Authorization: ONE function, [`Authz::authorize`], decides whether a
//! call may run — token, stop state, scope, agent grant, tool, input, rate,
//! policy on the actual arguments, approval requirement — and returns a
//! typed [`Grant`] or a [`Denied`] naming the layer. The call path, the
//! tool listings of MCP and HTTP, and the v1 endpoints all use it (the
//! listings through [`Authz::admit_token`], its first layers).
//!
//! The layers, in order (pinned by a test):
//!
//! 1. `token` — present, signed by a token key a host of this fleet
//!    published (not revoked, or rotated out before it was signed), of
//!    this fleet, within its time window and the host's maximum lifetime;
//!    `revoked` — not revoked;
//! 2. `agent-grant` — its agent is configured;
//! 3. `halt`, then `quarantine` — the stop buttons;
//! 4. `scope` — the tool is within the token's scope (checked on the name,
//!    before the tool is looked up, so a token cannot probe for tools);
//! 5. `agent-grant` — within the agent's grant;
//! 6. `unknown-tool` — a loaded plugin offers it; `plugin-disabled`;
//!    `degraded` — with the shared state out of reach, nothing of high
//!    impact runs (on the last stop state read);
//! 7. `input` — a JSON object, without duplicate keys, within size;
//! 8. `rate` — the agent's, the tool's and the plugin's rate limits;
//! 9. `budget` — the task's, agent's and tool's budgets (`[[budgets]]`);
//! 10. `policy` — Cedar on the actual arguments (and, where a policy reads
//!     it, the task's history): allow, deny, or allow only with a named
//!     human's approval; shadow policies beside it never decide.
//!
//! After any approval wait, just before the call runs, [`Authz::admit`]
//! checks the stop buttons and the token's time again, takes the
//! concurrency slots (`concurrency`; across the fleet on a shared state) and
//! counts the call against its budgets (`budget`), returning the refusal
//! or an [`Admission`] that holds the slots and the counted use.

mod admission;
mod admit;
mod bearer;
mod binding;
mod budget;
mod decide;
mod exchange;
mod grant;
mod input;
mod issue;
mod keyring;
mod policy;
mod rate;
mod refusal;
mod step_up;
mod token;
mod verified;

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};

use crate::config::{Agent, HostConfig};
use crate::registry::{PolicyView, Registry};
use crate::state::{RateRule, SharedState, StopState};
use crate::statedir::{StateDir, StateDirError};
use crate::vocab::{Impact, Rate};

pub use admission::{Admission, deferred_written};
pub use admit::{Stoppable, stopped};
pub use binding::{Confirmation, DPOP_ALGORITHMS, Sender};
use decide::PolicyLayer;
pub use decide::ShadowDecision;
pub use exchange::{ExchangeError, ExchangeRequest, Exchanged};
pub use grant::{ApprovalNeed, Denied, Grant, Known};
pub use input::{Arguments, CallInput, MAX_INPUT};
pub use issue::{IssueError, Issuer, TokenOrigin};
pub use policy::{
    CaseOutcome, PolicyCase, PolicyDecision, PolicyEngine, PolicyError, PolicyInput, ReplayChange,
    ReplayEngines, ReplayReport, deciding, decision_name, describe, read_cases, replay,
    replay_engines,
};
pub use rate::{CapHit, ConcurrencyRule, InflightGuard, Limiter};
pub use refusal::Refusal;
pub use token::{
    KID_PREFIX, TaskToken, TokenFormatError, TokenSigner, decode as decode_token, key_id,
    new_token_id, tool_matches, warrant_kid, within,
};

/// Why the accountability configuration cannot be used: a start-up error.
#[derive(Debug, thiserror::Error)]
pub enum AuthzError {
    /// The policies.
    #[error(transparent)]
    Policy(#[from] PolicyError),
    /// The token key.
    #[error("token key: {0}")]
    TokenKey(#[from] StateDirError),
    /// The identity issuers' TLS settings.
    #[error("identity issuers: {0}")]
    Identity(String),
}

/// One call to authorize.
#[derive(Debug, Clone, Copy)]
pub struct CallAsk<'a> {
    /// The presented task token.
    pub token: &'a str,
    /// `plugin.tool`.
    pub tool: &'a str,
    /// The input, read where the call arrived.
    pub input: &'a CallInput,
    /// Now.
    pub now: DateTime<Utc>,
    /// What the caller proved about its key (DPoP).
    pub sender: &'a Sender,
    /// Why the shared state is out of reach, if it is: the host runs on
    /// the last stop state it read, and nothing of high impact runs.
    pub degraded: Option<&'a str>,
}

/// The authorization layer of one host.
#[derive(Debug)]
pub struct Authz {
    config: Arc<HostConfig>,
    signer: TokenSigner,
    /// The fleet's token keys.
    keyring: keyring::Keyring,
    /// The issuer tokens here name: the fleet's id, or this host's.
    issuer_id: tokio::sync::OnceCell<String>,
    /// Whether this host's token key is published.
    published: tokio::sync::OnceCell<()>,
    policy: PolicyEngine,
    plugin_rates: BTreeMap<String, Rate>,
    state: Arc<dyn SharedState>,
    verifier: Arc<crate::identity::Verifier>,
    shadow: Option<PolicyEngine>,
    /// Task tokens whose signature was already verified.
    verified: verified::VerifiedTokens,
    /// In-flight counters (concurrency caps) of this process.
    pub limiter: Limiter,
}

impl Authz {
    /// Build the layer: the token key (created on first use in the state
    /// directory), the policies checked against the agents and `view`'s
    /// plugins and tools, the plugins' rate limits.
    ///
    /// # Errors
    ///
    /// [`AuthzError`] naming the policy file and line at fault.
    pub fn new(
        config: Arc<HostConfig>,
        state_dir: &StateDir,
        state: Arc<dyn SharedState>,
        view: &PolicyView,
    ) -> Result<Self, AuthzError> {
        let signer = TokenSigner::from_state_dir(state_dir)?;
        let policy = PolicyEngine::load_from(&config.policy_files, &config.agents, view)?;
        let plugin_rates = view
            .plugins
            .iter()
            .filter_map(|p| p.rate.clone().map(|r| (p.id.clone(), r)))
            .collect();
        let shadow = if config.shadow_files.is_empty() {
            None
        } else {
            Some(PolicyEngine::load_from(
                &config.shadow_files,
                &config.agents,
                view,
            )?)
        };
        let verifier =
            Arc::new(crate::identity::Verifier::new(&config).map_err(AuthzError::Identity)?);
        Ok(Self {
            config,
            keyring: keyring::Keyring::new(Arc::clone(&state)),
            signer,
            issuer_id: tokio::sync::OnceCell::new(),
            published: tokio::sync::OnceCell::new(),
            policy,
            plugin_rates,
            state,
            verifier,
            shadow,
            verified: verified::VerifiedTokens::default(),
            limiter: Limiter::default(),
        })
    }

    /// The config this layer was built from.
    pub fn config(&self) -> &HostConfig {
        &self.config
    }

    /// The policy engine.
    pub fn policy(&self) -> &PolicyEngine {
        &self.policy
    }

    /// This host's token key.
    pub fn signer(&self) -> &TokenSigner {
        &self.signer
    }

    /// Decide one call: every layer in order. See the module docs.
    ///
    /// # Errors
    ///
    /// [`Denied`]: the refusal, naming its layer, and what was known.
    pub async fn authorize<'r>(
        &'r self,
        registry: &'r Registry,
        stops: &StopState,
        ask: CallAsk<'_>,
    ) -> Result<Grant<'r>, Box<Denied<'r>>> {
        let mut known = Known::default();
        let deny = |refusal: Refusal, known: &Known<'r>| {
            Box::new(Denied {
                refusal,
                known: known.clone(),
                args: None,
                shadow: None,
            })
        };
        let (token, agent) = match self.admit_token(ask.token, stops, ask.now).await {
            Ok(ok) => ok,
            Err(d) => return Err(Box::new(*d)),
        };
        known.token = Some(token.clone());
        known.agent = Some(agent);
        if let Err(r) = self.check_binding(&token, agent, ask.sender) {
            return Err(deny(r, &known));
        }
        if !token.tools.iter().any(|p| tool_matches(p, ask.tool)) {
            return Err(deny(
                Refusal::Scope {
                    token_id: token.id.clone(),
                    tool: crate::vocab::cap_at(ask.tool, 200),
                    allowed: token.tools.join(", "),
                },
                &known,
            ));
        }
        if !agent.tools.iter().any(|p| tool_matches(p, ask.tool)) {
            return Err(deny(
                Refusal::AgentGrant {
                    agent: agent.id.clone(),
                    tool: ask.tool.to_owned(),
                },
                &known,
            ));
        }
        let Some((plugin, tool)) = registry.resolve(ask.tool) else {
            return Err(deny(Refusal::UnknownTool(ask.tool.to_owned()), &known));
        };
        known.plugin = Some((plugin, tool));
        let disabled = Stoppable {
            plugin: Some(plugin.id()),
            ..Stoppable::default()
        };
        if let Some(r) = stopped(stops, disabled) {
            return Err(deny(r, &known));
        }
        if let Some(why) = ask.degraded
            && tool.impact == Impact::High
        {
            let why = why.to_owned();
            return Err(deny(Refusal::Degraded { why }, &known));
        }
        let args = match ask.input.arguments() {
            Ok(a) => Arc::clone(a),
            Err(why) => return Err(deny(Refusal::Input(why.to_owned()), &known)),
        };
        let rules = self.rate_rules(agent, plugin.id(), ask.tool);
        match self.state.admit(&rules, ask.now.timestamp_millis()).await {
            Ok(Ok(())) => {}
            Ok(Err(hit)) => return Err(deny(Refusal::Rate(hit.to_string()), &known)),
            Err(e) => return Err(deny(Refusal::Host(e.to_string()), &known)),
        }
        let history = match self
            .budget_layer(&budget::Spend {
                agent: &agent.id,
                tool: ask.tool,
                task: &token.task,
                high: tool.impact == Impact::High,
                now_ms: ask.now.timestamp_millis(),
            })
            .await
        {
            Ok(h) => h,
            Err(r) => return Err(deny(r, &known)),
        };
        let policy = self.policy_layer(PolicyLayer {
            agent,
            plugin,
            tool,
            qualified: ask.tool,
            token: &token,
            args: args.value(),
            now: ask.now,
            history: &history,
        });
        let (policies, approval, shadow) = match policy {
            Ok(ok) => ok,
            Err((refusal, shadow)) => {
                return Err(Box::new(Denied {
                    refusal,
                    known,
                    args: Some(args),
                    shadow,
                }));
            }
        };
        Ok(Grant {
            token,
            agent,
            plugin,
            tool,
            qualified: ask.tool.to_owned(),
            input: args,
            policies,
            approval,
            shadow,
        })
    }

    /// The rate rules for a call.
    fn rate_rules(&self, agent: &Agent, plugin: &str, tool: &str) -> Vec<RateRule> {
        let rule = |key: String, r: &Rate| RateRule {
            key,
            calls: r.calls,
            per: r.per,
            text: r.text.clone(),
        };
        let mut rules = Vec::new();
        if let Some(r) = &agent.rate {
            rules.push(rule(format!("agent:{}", agent.id), r));
        }
        if let Some(r) = self.config.tool_rates.get(tool) {
            rules.push(rule(format!("tool:{tool}"), r));
        }
        if let Some(r) = self.plugin_rates.get(plugin) {
            rules.push(rule(format!("plugin:{plugin}"), r));
        }
        rules
    }

    /// The concurrency caps for a call.
    pub fn concurrency_rules(&self, agent: &Agent, tool: &str) -> Vec<ConcurrencyRule> {
        let mut rules = Vec::new();
        if let Some(n) = agent.max_concurrent {
            rules.push(ConcurrencyRule {
                key: format!("agent:{}", agent.id),
                max: n,
            });
        }
        if let Some(n) = self.config.file.rates.concurrent.get(tool) {
            rules.push(ConcurrencyRule {
                key: format!("tool:{tool}"),
                max: *n,
            });
        }
        rules
    }

    /// Who may approve calls of `tool` at `impact`.
    pub fn approvers(&self, tool: &str, impact: Impact) -> Vec<String> {
        self.config.approvers(tool, impact)
    }
}
