use schemars::JsonSchema;
use serde::{Serialize, de::DeserializeOwned};

use crate::ToolError;
use crate::bindings::warrant::plugin::types::{self as wit, CallError};

/// How much harm a tool can do; the manifest pins it and policy uses it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Impact {
    /// Reads data, changes nothing.
    Read,
    /// Changes state that can be undone.
    Write,
    /// Changes state with consequences; needs a human's approval by default.
    High,
}

/// One tool: a name, a description, typed input and output, and the code.
///
/// The input's JSON Schema is derived from `Input` with [`JsonSchema`]; the
/// host shows it to agents and validates nothing on the tool's behalf, so
/// `#[serde(deny_unknown_fields)]` on the input type is a good habit. The
/// output's schema is derived from `Output` the same way: once the signed
/// manifest pins it (`output-schema`, which `warrant sign` fills in), the
/// host returns the output as structured content and refuses one that does
/// not match.
pub trait Tool {
    /// The tool's name within the plugin, e.g. `"search"`.
    const NAME: &'static str;
    /// One or two sentences an agent reads to decide when to use the tool.
    const DESCRIPTION: &'static str;
    /// The tool's impact level.
    const IMPACT: Impact;
    /// The input, deserialized from the call's JSON.
    type Input: DeserializeOwned + JsonSchema;
    /// The output, serialized to JSON for the caller.
    type Output: Serialize + JsonSchema;

    /// Run the tool.
    ///
    /// # Errors
    ///
    /// A [`ToolError`] that the host passes to the caller.
    fn call(input: Self::Input) -> Result<Self::Output, ToolError>;
}

/// The WIT description of tool `T`.
pub fn describe<T: Tool>() -> wit::Tool {
    let schema = schemars::schema_for!(T::Input);
    wit::Tool {
        name: T::NAME.to_owned(),
        description: T::DESCRIPTION.to_owned(),
        // A derived schema always serializes; fall back to "any object" rather
        // than trapping inside `tools()`.
        input_schema: serde_json::to_string(&schema)
            .unwrap_or_else(|_| r#"{"type":"object"}"#.to_owned()),
        impact: match T::IMPACT {
            Impact::Read => wit::Impact::Read,
            Impact::Write => wit::Impact::Write,
            Impact::High => wit::Impact::High,
        },
    }
}

/// What tool `T` returns: its output's JSON Schema.
pub fn describe_output<T: Tool>() -> wit::ToolOutput {
    let schema = schemars::schema_for!(T::Output);
    wit::ToolOutput {
        name: T::NAME.to_owned(),
        output_schema: serde_json::to_string(&schema).unwrap_or_else(|_| "{}".to_owned()),
    }
}

/// Decode the input, run tool `T`, encode its output.
///
/// # Errors
///
/// `invalid-input` when the JSON does not match `T::Input`, else whatever the
/// tool returns.
pub fn dispatch<T: Tool>(input: &str) -> Result<String, CallError> {
    let input: T::Input = serde_json::from_str(input)
        .map_err(|e| CallError::InvalidInput(format!("input for `{}`: {e}", T::NAME)))?;
    let output = T::call(input).map_err(CallError::from)?;
    serde_json::to_string(&output)
        .map_err(|e| CallError::Failed(format!("output of `{}` is not JSON: {e}", T::NAME)))
}
