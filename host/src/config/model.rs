//! The operator's host configuration (`warrant.toml`), as parsed. Unknown
//! fields are refused.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

pub use crate::capability::CeilingsSection;
use crate::config::PluginEntry;
use crate::keys::Algorithm;

/// The whole host configuration.
#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct ConfigFile {
    /// Host-wide settings.
    #[serde(default)]
    pub host: HostSection,
    /// Sandbox settings.
    #[serde(default)]
    pub sandbox: super::sandbox::SandboxSection,
    /// Keys trusted to sign manifests.
    #[serde(default)]
    pub trust: TrustSection,
    /// Plugins to load.
    #[serde(default)]
    pub plugins: Vec<PluginEntry>,
    /// Agents: separate identities with their owners and grants.
    #[serde(default)]
    pub agents: Vec<AgentEntry>,
    /// How held calls wait, and how many approvers they need.
    #[serde(default)]
    pub approvals: ApprovalsSection,
    /// The people (and automations) who may act on this host, their roles
    /// and their keys.
    #[serde(default)]
    pub operators: Vec<OperatorEntry>,
    /// Policy files.
    #[serde(default)]
    pub policy: PolicySection,
    /// Per-tool rate limits.
    #[serde(default)]
    pub rates: RatesSection,
    /// The most any publisher's manifest may be granted on this host (one
    /// list per capability that has a ceiling).
    #[serde(default)]
    pub ceilings: CeilingsSection,
    /// The audit chain.
    #[serde(default)]
    pub audit: AuditSection,
    /// Outbound HTTP of plugins.
    #[serde(default)]
    pub egress: EgressSection,
    /// The HTTP server.
    #[serde(default)]
    pub api: ApiSection,
    /// Identity providers agents' credentials may come from.
    #[serde(default)]
    pub issuers: Vec<crate::config::IssuerEntry>,
    /// Budgets of tasks, agents and tools.
    #[serde(default)]
    pub budgets: Vec<crate::config::BudgetEntry>,
    /// Where approvers are told of held calls.
    #[serde(default)]
    pub webhooks: Vec<crate::config::WebhookEntry>,
    /// The console in the browser.
    #[serde(default)]
    pub console: crate::config::ConsoleSection,
    /// Where the shared state lives (default: SQLite in the state dir).
    #[serde(default)]
    pub state: crate::config::StateSection,
    /// Who may change the rules: the governors and how many must sign a
    /// release (default: unsigned, a developer's machine).
    #[serde(default)]
    pub governance: crate::config::GovernanceSection,
    /// OpenTelemetry traces and metrics over OTLP (default: off, unless the
    /// `OTEL_*` environment names a collector).
    #[serde(default)]
    pub telemetry: crate::config::TelemetrySection,
}

/// `[audit]`
#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct AuditSection {
    /// A second place every checkpoint is copied to (a file on another
    /// volume or machine), relative to the config file unless absolute;
    /// `warrant audit verify` checks the chain against it.
    pub witness: Option<String>,
    /// Disk space held back for the outcomes of running calls. Default
    /// `4MiB`.
    pub reserve: Option<String>,
    /// Seal the open segment of the chain (`audit.jsonl`) into
    /// `segments/` once it has grown past this size, at the next
    /// checkpoint; `0` never. Default `256MiB`.
    pub segment_size: Option<String>,
    /// Also seal the open segment once its first record is older than
    /// this (e.g. `1d`: a segment a day), at the next checkpoint. Default:
    /// by size only.
    pub segment_age: Option<String>,
    /// Move sealed segments older than this (e.g. `90d`) to `archive`, at
    /// each seal; each leaves a stub in `segments/` naming where it went.
    /// Default: never.
    pub retain: Option<String>,
    /// Where retention moves sealed segments (a folder on another volume
    /// or a mounted share), relative to the config file unless absolute.
    pub archive: Option<String>,
    /// Record a call's arguments (for `warrant policy replay`) when its
    /// input is at most this big; `0` never. Default `16KiB`.
    pub arguments: Option<String>,
    /// Witnesses asked to cosign every checkpoint.
    #[serde(default)]
    pub witnesses: Vec<crate::config::witnesses::WitnessEntry>,
}

/// `[egress]`
#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct EgressSection {
    /// PEM files of certificate authorities trusted for plugins' HTTPS, in
    /// addition to the public web's roots (e.g. an internal CA).
    #[serde(default)]
    pub ca_files: Vec<String>,
}

/// `[api]`
#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct ApiSection {
    /// A file holding a bearer token that `/metrics` requires; without it
    /// `/metrics` is open to whoever can reach the listener.
    pub metrics_token_file: Option<String>,
    /// This host's resource identifier (RFC 8707/9728), e.g.
    /// `https://warrant.soc.example/mcp`: the audience of the task tokens
    /// it exchanges and of access tokens it accepts. Default: the URL a
    /// request reached (`http://HOST/mcp`).
    pub resource: Option<String>,
    /// The URL agents reach this host at, e.g. `https://warrant.soc.example`
    /// behind a TLS proxy: the base of its OAuth metadata and token
    /// endpoint. Default: `http://` and the `Host` a request named.
    pub public_url: Option<String>,
}

/// `[host]`
#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct HostSection {
    /// Directory for shared state, the compile cache, keys and the audit
    /// chain; relative to the config file. Default `.warrant`.
    pub state_dir: Option<String>,
    /// Directory of the audit chain, relative to the config file. Default
    /// `audit` in the state directory.
    pub audit_dir: Option<String>,
    /// Longest lifetime of a task token. Default `1h`.
    pub max_token_ttl: Option<String>,
    /// Clock skew allowed when checking token times. Default `30s`.
    pub clock_skew: Option<String>,
}

/// `[trust]`
#[derive(Debug, Clone, Default, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct TrustSection {
    /// Trusted keys.
    #[serde(default)]
    pub keys: Vec<KeyEntry>,
    /// Revoked key ids: nothing they signed loads.
    #[serde(default)]
    pub revoked: Vec<String>,
}

/// `[[trust.keys]]`
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct KeyEntry {
    /// Key id.
    pub id: String,
    /// The key's one algorithm.
    pub algorithm: Algorithm,
    /// Ed25519 public key, base64.
    pub public_key: Option<String>,
    /// Ed25519: a file holding the public key instead (a `.pub` from
    /// `warrant keygen`), relative to the config. While it does not exist
    /// the key is left out: nothing it signed loads.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub public_key_file: Option<String>,
    /// HMAC: a key file (`warrant keygen` output) holding the secret.
    pub secret_file: Option<String>,
    /// HMAC: an environment variable holding the secret, base64.
    pub secret_env: Option<String>,
    /// Start of validity, RFC 3339.
    pub not_before: Option<String>,
    /// End of validity, RFC 3339.
    pub not_after: Option<String>,
}

/// `[[agents]]`
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct AgentEntry {
    /// Agent id.
    pub id: String,
    /// The person or team that owns the agent.
    pub owner: String,
    /// The model the agent runs on.
    pub model: String,
    /// Who owns (operates) that model.
    pub model_owner: String,
    /// Tools the agent may use: `plugin.tool` or `plugin.*`.
    #[serde(default)]
    pub tools: Vec<String>,
    /// Calls per period, e.g. `120/min`.
    pub rate: Option<String>,
    /// Calls in flight at once.
    pub max_concurrent: Option<u32>,
    /// The workload identities that are this agent (see `[[issuers]]`).
    #[serde(default)]
    pub workload: Vec<crate::config::WorkloadEntry>,
    /// Accept only tokens bound to the client's key (DPoP, RFC 9449).
    #[serde(default)]
    pub require_dpop: bool,
}

/// `[approvals]`
#[derive(Debug, Clone, Default, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct ApprovalsSection {
    /// How long a caller waits for a decision. Default `30s`.
    pub wait: Option<String>,
    /// How long an approval request stays open. Default `15m`.
    pub expiry: Option<String>,
    /// Distinct approvers a call needs, by impact level (`read`, `write`,
    /// `high`) or tool (`plugin.tool`, which wins). Default 1.
    #[serde(default)]
    pub required: BTreeMap<String, u32>,
    /// An operator may not approve a call made under a token they issued.
    #[serde(default)]
    pub four_eyes: bool,
}

/// `[[operators]]`: one person, or one automation, who may act on this
/// host.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct OperatorEntry {
    /// Their name, as it appears in the audit chain.
    pub name: String,
    /// What they may do: `halt` (and resume), `quarantine` (and release
    /// agents), `revoke` tokens, `issue` tokens, `disable` (and enable)
    /// plugins, `reload` the config, `reset-version`.
    #[serde(default)]
    pub roles: Vec<String>,
    /// What they may approve: impact levels (`high`, `write`, `read`) or
    /// tools (`plugin.tool`).
    #[serde(default)]
    pub approves: Vec<String>,
    /// Their Ed25519 public keys (from `warrant keygen --operator`).
    #[serde(default)]
    pub keys: Vec<OperatorKeyEntry>,
    /// Their identity at the organisation's OpenID provider, for the
    /// console.
    pub oidc: Option<OidcEntry>,
    /// A non-human identity (a SOAR playbook, a pager bot): it acts with
    /// its key like a person but can never approve.
    #[serde(default)]
    pub automation: bool,
}

/// One operator key.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct OperatorKeyEntry {
    /// The key id (signed actions name it).
    pub id: String,
    /// The public key, base64.
    pub public_key: Option<String>,
    /// Or a file holding it (`ID.pub` from `warrant keygen`).
    pub public_key_file: Option<String>,
    /// Start of validity, RFC 3339.
    pub not_before: Option<String>,
    /// End of validity, RFC 3339.
    pub not_after: Option<String>,
    /// Revoked from this time on (RFC 3339): what it signed before still
    /// verifies; nothing after.
    pub revoked_at: Option<String>,
}

/// An operator's identity at an OpenID provider.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct OidcEntry {
    /// The provider's issuer URL.
    pub issuer: String,
    /// The `sub` claim.
    pub subject: Option<String>,
    /// Or a verified `email` claim.
    pub email: Option<String>,
}

/// `[policy]`
#[derive(Debug, Clone, Default, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct PolicySection {
    /// Cedar policy files, relative to the config file.
    #[serde(default)]
    pub files: Vec<String>,
    /// Policy test cases (`warrant policy test`), relative to the config.
    #[serde(default)]
    pub tests: Vec<String>,
    /// Candidate policy files evaluated beside the live set on every call,
    /// never deciding; differences are recorded (`policy.shadow`).
    #[serde(default)]
    pub shadow: Vec<String>,
}

/// `[rates]`
#[derive(Debug, Clone, Default, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RatesSection {
    /// Calls per period for each tool (`plugin.tool`) across all agents.
    #[serde(default)]
    pub tools: BTreeMap<String, String>,
    /// Calls in flight at once for each tool.
    #[serde(default)]
    pub concurrent: BTreeMap<String, u32>,
}
