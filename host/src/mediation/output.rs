//! A tool's output held to its signed output schema before it leaves: a
//! mismatch is withheld and answered as a tool error.

use crate::mediation::request::CallError;
use crate::sandbox::CallFailure;

/// An output held to the tool's signed output schema.
pub(crate) fn check_output(
    schema: &jsonschema::Validator,
    out: String,
) -> Result<String, CallError> {
    let invalid = |why: String| Err(CallError::Failed(CallFailure::InvalidOutput(why)));
    let value = match serde_json::from_str::<serde_json::Value>(&out) {
        Ok(v) => v,
        Err(e) => return invalid(format!("it is not JSON: {e}")),
    };
    match schema.iter_errors(&value).next() {
        None => Ok(out),
        Some(e) => invalid(format!("{e} (at {})", e.instance_path())),
    }
}
