//! What every backend's transaction offers the algorithms above it: a lock
//! on a key for the rest of the transaction, and the commit. A transaction
//! dropped without its commit is rolled back.

use super::StateError;

/// What a lock is for. Keys of different spaces never wait for each other
/// (PostgreSQL: each space its own advisory lock keys).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Lock {
    /// A rate window, by its key.
    Rate,
    /// A budget's scope (`task:…`, `agent:…`, `tool:…`).
    Use,
    /// An in-flight cap, by its key.
    Slot,
    /// The releases: one writer at a time (the key is ignored).
    Release,
    /// A proposal, by its digest.
    Proposal,
    /// A plugin's version mark, by plugin name.
    Version,
}

/// A transaction on a backend.
pub(crate) trait Tx {
    /// Hold `key` of `space` until the transaction ends; takers of the same
    /// key take turns. (SQLite: nothing to do — its transactions that
    /// write begin `IMMEDIATE`, holding the database's write lock.)
    async fn lock(&mut self, space: Lock, key: &str) -> Result<(), StateError>;

    /// Make every change of the transaction durable (as the backend's
    /// durability for it says) and visible.
    async fn commit(self) -> Result<(), StateError>;

    /// An error of this backend (naming its database) saying `why`.
    fn error(&self, why: &str) -> StateError;
}

/// Lock every key of `keys` in `space`, in one order (sorted, each once),
/// so that transactions taking several never deadlock.
pub(crate) async fn lock_all<'k, T: Tx>(
    tx: &mut T,
    space: Lock,
    keys: impl IntoIterator<Item = &'k str>,
) -> Result<(), StateError> {
    let mut keys: Vec<&str> = keys.into_iter().collect();
    keys.sort_unstable();
    keys.dedup();
    for k in keys {
        tx.lock(space, k).await?;
    }
    Ok(())
}
