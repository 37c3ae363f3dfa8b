//! `POST /v1/admin/config/apply`: hand the release of the rules this host's
//! files make to the host, with every signature gathered for it in the
//! shared state and those in the body — what `warrant config apply` does,
//! for an operator without a shell on the host. The signatures are the
//! proof: nothing else is believed.
//!
//! ```text
//! POST /v1/admin/config/apply   {"signatures": [{"key": "erin-2026", "sig": "…"}]}
//! 200 {"version": 8, "digest": "sha256:…"}      409 {"error": {"layer": "rules", "message": "…"}}
//! ```

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use crate::api::app::AppState;
use crate::api::security::ApiFault;
use crate::governance::ReleaseSignature;

/// The body.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ApplyBody {
    #[serde(default)]
    signatures: Vec<ReleaseSignature>,
}

pub(crate) async fn apply(
    State(s): State<AppState>,
    axum::Json(body): axum::Json<ApplyBody>,
) -> Response {
    let refused = |why: String| ApiFault::new(StatusCode::CONFLICT, "rules", &why).into_response();
    let files = match crate::HostConfig::load(&s.host.config().path) {
        Ok(f) => f,
        Err(e) => return refused(e.to_string()),
    };
    let keeper = match crate::operator::rules::Keeper::new(
        s.host.state().as_ref(),
        s.host.audit(),
        &files.audit.dir,
    ) {
        Ok(k) => k,
        Err(e) => return refused(e.to_string()),
    };
    match keeper.apply(&files, &body.signatures, "apply").await {
        Ok(r) => axum::Json(serde_json::json!({"version": r.version, "digest": r.digest}))
            .into_response(),
        Err(e) => refused(e.to_string()),
    }
}
