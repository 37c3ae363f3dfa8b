use std::fmt;

use crate::bindings::warrant::plugin::types::CallError;

/// Why a tool call failed. The host reports it to the agent and records it in
/// the audit chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ToolError {
    /// The input was well-formed JSON but not acceptable to the tool.
    InvalidInput(String),
    /// The tool ran and could not do its job.
    Failed(String),
}

impl ToolError {
    /// The caller sent something the tool cannot use.
    pub fn invalid_input(message: impl fmt::Display) -> Self {
        Self::InvalidInput(message.to_string())
    }

    /// The tool could not complete.
    pub fn failed(message: impl fmt::Display) -> Self {
        Self::Failed(message.to_string())
    }
}

impl fmt::Display for ToolError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::InvalidInput(m) => write!(f, "invalid input: {m}"),
            Self::Failed(m) => write!(f, "failed: {m}"),
        }
    }
}

impl std::error::Error for ToolError {}

impl From<std::io::Error> for ToolError {
    fn from(e: std::io::Error) -> Self {
        Self::Failed(e.to_string())
    }
}

impl From<ToolError> for CallError {
    fn from(e: ToolError) -> Self {
        match e {
            ToolError::InvalidInput(m) => CallError::InvalidInput(m),
            ToolError::Failed(m) => CallError::Failed(m),
        }
    }
}
