//! The vocabulary of tools shared by manifests, the sandbox and the API.

use std::fmt;

use serde::{Deserialize, Serialize};

/// How much harm a tool can do.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum Impact {
    /// Reads data; changes nothing.
    Read,
    /// Changes state that can be undone.
    Write,
    /// Changes state with consequences; needs a human's approval by default.
    High,
}

impl Impact {
    /// The lower-case name used in manifests, policies and the audit chain.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Read => "read",
            Self::Write => "write",
            Self::High => "high",
        }
    }
}

impl std::str::FromStr for Impact {
    type Err = super::Invalid;

    fn from_str(s: &str) -> Result<Self, super::Invalid> {
        match s {
            "read" => Ok(Self::Read),
            "write" => Ok(Self::Write),
            "high" => Ok(Self::High),
            other => Err(super::Invalid(format!(
                "{other:?} is not an impact level; use read, write or high"
            ))),
        }
    }
}

impl fmt::Display for Impact {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A tool as a component reports it and a manifest pins it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ToolSpec {
    /// Name within the plugin.
    pub name: String,
    /// What the tool does, for agents and reviewers.
    pub description: String,
    /// JSON Schema of the input, as JSON text.
    pub input_schema: String,
    /// JSON Schema of the output, as JSON text, when the component says.
    pub output_schema: Option<String>,
    /// Impact level.
    pub impact: Impact,
}

/// Check a tool name: 1–30 of `[a-z0-9_-]`, starting with a letter.
///
/// Tool names appear in MCP as `plugin__tool`, so they stay short and plain.
pub fn valid_tool_name(name: &str) -> bool {
    (1..=30).contains(&name.len())
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
}

/// Check a plugin id: 1–32 of `[a-z0-9-]`, starting with a letter, with no
/// underscore (so `plugin__tool` splits unambiguously).
pub fn valid_plugin_id(id: &str) -> bool {
    (1..=32).contains(&id.len())
        && id.starts_with(|c: char| c.is_ascii_lowercase())
        && id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert!(valid_tool_name("extract"));
        assert!(valid_tool_name("search_v2"));
        assert!(!valid_tool_name("Extract"));
        assert!(!valid_tool_name("2x"));
        assert!(!valid_tool_name("a.b"));
        assert!(valid_plugin_id("ioc-extract"));
        assert!(!valid_plugin_id("ioc_extract"));
        assert!(!valid_plugin_id(""));
    }
}
