//! The stop buttons — halt, quarantined agents, disabled plugins, retired
//! and revoked keys (`stops`) and revoked tokens (`revoked_tokens`) — and
//! how a process learns that they changed. Pressed durably, each with a
//! change notification where the backend has them.
//!
//! The algorithms are here, once, over [`StopsTx`].

use super::tx::Tx;
use super::{StateError, StopState, StopTarget, Stopped, now_ms};

/// The stop buttons, and the signals of change.
#[async_trait::async_trait]
pub trait Stops: Send + Sync {
    /// A number that changes whenever the shared state may have changed
    /// (by this process or another); equal numbers mean nothing changed.
    async fn change_marker(&self) -> Result<u64, StateError>;

    /// How many stop buttons and revocations this process has pressed
    /// through this handle: an in-memory counter (no query), so that a
    /// process sees its own stops at once while other processes' changes
    /// reach it through the watcher.
    fn local_changes(&self) -> u64;

    /// What is stopped now.
    async fn stop_state(&self) -> Result<StopState, StateError>;

    /// Press (`on`) or release a stop button; whether anything changed.
    async fn set_stop(
        &self,
        target: &StopTarget,
        on: bool,
        by: &str,
        reason: &str,
    ) -> Result<bool, StateError>;

    /// Revoke a task token by id; false if it was revoked already.
    async fn revoke_token(
        &self,
        token_id: &str,
        by: &str,
        reason: &str,
    ) -> Result<bool, StateError>;

    /// How long the shared state has been silent — its connections open
    /// but no heartbeat answered — when it is: then nothing it would say
    /// about stops can be heard, and the host treats it as unreachable.
    fn silence(&self) -> Option<std::time::Duration> {
        None
    }
}

/// The statements of the stop buttons.
pub(crate) trait StopsTx {
    /// Every stop button pressed: `(kind, target, who and why)`.
    async fn stops(&mut self) -> Result<Vec<(String, String, Stopped)>, StateError>;
    /// Every revoked token: `(token id, who and why)`.
    async fn revocations(&mut self) -> Result<Vec<(String, Stopped)>, StateError>;
    /// Press a button unless it is pressed; whether it was not.
    async fn insert_stop(
        &mut self,
        kind: &str,
        target: &str,
        s: &Stopped,
    ) -> Result<bool, StateError>;
    /// Release a button; whether it was pressed.
    async fn delete_stop(&mut self, kind: &str, target: &str) -> Result<bool, StateError>;
    /// Revoke a token unless it is revoked; whether it was not.
    async fn insert_revocation(&mut self, token_id: &str, s: &Stopped) -> Result<bool, StateError>;
    /// Tell every listening process, at commit, that `what` changed
    /// (nothing to do where the backend has no notifications).
    async fn notify(&mut self, what: &str) -> Result<(), StateError>;
}

/// [`Stops::stop_state`], read on `r`; buttons of a kind this version does
/// not know are left out.
pub(crate) async fn stop_state<R: StopsTx>(mut r: R) -> Result<StopState, StateError> {
    let mut state = StopState::default();
    for (kind, target, stopped) in r.stops().await? {
        match kind.as_str() {
            "halt" => state.halted = Some(stopped),
            "agent" => {
                state.agents.insert(target, stopped);
            }
            "plugin" => {
                state.plugins.insert(target, stopped);
            }
            "key-retired" => {
                state.retired_keys.insert(target, stopped);
            }
            "key-revoked" => {
                state.revoked_keys.insert(target, stopped);
            }
            _ => {}
        }
    }
    for (id, stopped) in r.revocations().await? {
        state.tokens.insert(id, stopped);
    }
    Ok(state)
}

/// [`Stops::set_stop`] in `tx`.
pub(crate) async fn set_stop<T: StopsTx + Tx>(
    mut tx: T,
    target: &StopTarget,
    on: bool,
    by: &str,
    reason: &str,
) -> Result<bool, StateError> {
    let (kind, target) = target.columns();
    let changed = if on {
        tx.insert_stop(kind, target, &stopped(by, reason)).await?
    } else {
        tx.delete_stop(kind, target).await?
    };
    tx.notify("stop").await?;
    tx.commit().await?;
    Ok(changed)
}

/// [`Stops::revoke_token`] in `tx`.
pub(crate) async fn revoke_token<T: StopsTx + Tx>(
    mut tx: T,
    token_id: &str,
    by: &str,
    reason: &str,
) -> Result<bool, StateError> {
    let changed = tx.insert_revocation(token_id, &stopped(by, reason)).await?;
    tx.notify("revoke").await?;
    tx.commit().await?;
    Ok(changed)
}

fn stopped(by: &str, reason: &str) -> Stopped {
    Stopped {
        by: by.to_owned(),
        reason: reason.to_owned(),
        at: now_ms(),
    }
}
