//! `GET /v1/admin/audit/verify`, and the verification the console's task
//! pages show: the chain verified from the host's signed mark of what it
//! verified before (only what was appended since is read), which each
//! verification moves on.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::api::app::AppState;
use crate::api::security::ApiFault;
use crate::audit::{
    AuditPaths, MarkOptions, Start, Verification, VerifyKeys, VerifyOptions, verify_incremental,
};

#[derive(Debug, Serialize)]
struct Verified {
    ok: bool,
    records: u64,
    /// Records read by this verification (the others are under the mark).
    verified_now: u64,
    /// When the records under the mark were verified.
    #[serde(skip_serializing_if = "Option::is_none")]
    mark_time: Option<String>,
    macs_checked: u64,
    checkpoints: u64,
    last_checkpoint: u64,
    uncovered: u64,
    operator_signatures: u64,
}

#[derive(Debug, Serialize)]
struct Tampered {
    ok: bool,
    fault: String,
}

/// Verify the chain with the host's keys (and witness) and the operators'
/// public keys, from the host's verified mark, holding a shared lock on
/// the log so that no half-written record is read.
pub(crate) async fn verify_now(
    host: &crate::Host,
) -> Result<Result<Verification, crate::audit::ChainFault>, ApiFault> {
    let fault = |e: String| ApiFault::new(StatusCode::INTERNAL_SERVER_ERROR, "audit", e);
    let mut keys =
        VerifyKeys::from_state_dir(host.state_dir(), true).map_err(|e| fault(e.to_string()))?;
    let how = MarkOptions {
        full: false,
        signer: crate::audit::checkpoint_signer(host.state_dir())
            .map_err(|e| fault(e.to_string()))?,
    };
    let config = host.config();
    keys.operators = Some(config.operators.clone());
    keys.agents = Some(config.agents.clone());
    keys.witnesses = crate::audit::tlog::WitnessKey::of(&config.audit.witnesses);
    let paths = AuditPaths::in_dir(&config.audit.dir);
    let opts = VerifyOptions {
        witness: config.audit.witness.clone(),
        // One core: the others go on serving calls.
        threads: 1,
        ..VerifyOptions::default()
    };
    tokio::task::spawn_blocking(move || {
        let lock = std::fs::File::open(&paths.log).and_then(|f| f.lock_shared().map(|()| f));
        let out = verify_incremental(
            &paths.log,
            &paths.checkpoints,
            &keys,
            &opts,
            &how,
            &mut |_, _| {},
        );
        drop(lock);
        out
    })
    .await
    .map_err(|e| fault(format!("verification did not finish: {e}")))
}

pub(crate) async fn verify(State(s): State<AppState>) -> Result<Response, ApiFault> {
    let result = verify_now(&s.host).await?;
    Ok(match result {
        Ok(v) => {
            let sum = &v.summary;
            axum::Json(Verified {
                ok: true,
                records: sum.records,
                verified_now: v.verified_now(),
                mark_time: match &v.start {
                    Start::Mark { time, .. } => Some(time.clone()),
                    Start::First { .. } => None,
                },
                macs_checked: sum.macs_checked,
                checkpoints: sum.checkpoints + sum.witness_checkpoints,
                last_checkpoint: sum.last_checkpoint,
                uncovered: sum.uncovered,
                operator_signatures: v.signatures(),
            })
            .into_response()
        }
        Err(fault) => (
            StatusCode::CONFLICT,
            axum::Json(Tampered {
                ok: false,
                fault: fault.to_string(),
            }),
        )
            .into_response(),
    })
}
