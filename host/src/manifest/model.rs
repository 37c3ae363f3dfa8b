//! The manifest format (TOML), as parsed. Unknown fields are refused.

use serde::{Deserialize, Serialize};

use crate::keys::Algorithm;
use crate::vocab::{Access, Impact};

/// The manifest format this host reads.
pub const MANIFEST_VERSION: u32 = 1;

/// A plugin manifest: what the plugin is, which exact component, which
/// tools, what it may touch, its limits, and the signature over all of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Manifest {
    /// The manifest format version; this host reads version 1.
    pub manifest_version: u32,
    /// Identity of the plugin and its component.
    pub plugin: PluginSection,
    /// The tools, exactly as the component reports them.
    #[serde(default)]
    pub tools: Vec<ManifestTool>,
    /// What the plugin may touch. Absent means nothing.
    #[serde(default)]
    pub grants: Grants,
    /// Resource limits. Absent fields take the host's defaults.
    #[serde(default)]
    pub limits: ManifestLimits,
    /// The signature over everything above.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signature: Option<SignatureSection>,
}

/// `[plugin]`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct PluginSection {
    /// Plugin id: `[a-z][a-z0-9-]*`, at most 32 characters.
    pub id: String,
    /// Version, `MAJOR.MINOR.PATCH`.
    pub version: String,
    /// Who publishes the plugin.
    pub publisher: String,
    /// The component file, relative to the manifest.
    pub component: String,
    /// `sha256:<hex>` of the component's bytes; `warrant sign` fills it in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub digest: Option<String>,
    /// When this signed manifest stops being valid (RFC 3339): the
    /// publisher's own expiry, independent of the key's validity.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires: Option<String>,
}

/// `[[tools]]`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct ManifestTool {
    /// Tool name within the plugin.
    pub name: String,
    /// What it does.
    pub description: String,
    /// Impact level.
    pub impact: Impact,
    /// Who answers for this tool's actions (a team or role); the operator's
    /// config may override it.
    pub action_owner: String,
    /// JSON Schema of the input, as JSON text.
    pub input_schema: String,
    /// JSON Schema of the output, as JSON text: the host returns the output
    /// as structured content and refuses an output that does not match.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output_schema: Option<String>,
}

/// `[grants]`
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Grants {
    /// Directories, each mapped to a guest path with an access level.
    #[serde(default)]
    pub files: Vec<FileGrantSpec>,
    /// Origins, `scheme://host[:port]`.
    #[serde(default)]
    pub http: Vec<String>,
    /// Environment variable names; the operator supplies the values.
    #[serde(default)]
    pub env: Vec<String>,
    /// Secret names; the operator supplies the values.
    #[serde(default)]
    pub secrets: Vec<String>,
    /// The real wall and monotonic clocks.
    #[serde(default)]
    pub clock: bool,
    /// Real randomness.
    #[serde(default)]
    pub random: bool,
}

/// One directory grant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct FileGrantSpec {
    /// The host directory, relative to the operator's config file unless
    /// absolute; the operator may map it elsewhere.
    pub host: String,
    /// The absolute path the guest sees, e.g. `/logs`.
    pub guest: String,
    /// `read` or `read-write`.
    pub access: Access,
}

/// `[limits]`
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct ManifestLimits {
    /// Memory, e.g. `"32MiB"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory: Option<String>,
    /// Wall-clock time per call, e.g. `"2s"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<String>,
    /// Output size, e.g. `"256KiB"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output: Option<String>,
    /// Fuel (deterministic CPU budget) per call.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fuel: Option<u64>,
    /// Concurrent instances.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instances: Option<u32>,
    /// Calls per period across all agents, e.g. `"60/min"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate: Option<String>,
}

/// `[signature]`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct SignatureSection {
    /// The signing key's id (a hint for finding the trusted key).
    pub key: String,
    /// The algorithm; must be the trusted key's one algorithm.
    pub algorithm: Algorithm,
    /// The signature, base64.
    #[serde(default)]
    pub value: String,
}
