//! Running a granted call in its sandbox, and its output held to the
//! tool's signed output schema before it leaves: a mismatch is withheld
//! and answered as a tool error.

use crate::authz::Grant;
use crate::capability::CapabilityUse;
use crate::mediation::request::CallError;
use crate::sandbox::CallFailure;
use crate::vocab::CancelToken;

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

impl crate::mediation::Host {
    /// Run the granted call in a fresh sandbox, on the canonical input.
    pub(crate) async fn run(
        &self,
        grant: &Grant<'_>,
        cancel: &CancelToken,
    ) -> (Result<String, CallError>, Vec<CapabilityUse>) {
        let report = grant
            .plugin
            .plugin
            .call(&grant.tool.name, grant.input.canonical(), cancel)
            .await;
        let outcome = report.outcome.map_err(CallError::Failed).and_then(|out| {
            match grant.plugin.outputs.get(&grant.tool.name) {
                Some(schema) => check_output(schema, out),
                None => Ok(out),
            }
        });
        (outcome, report.uses)
    }
}
