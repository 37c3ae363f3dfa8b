//! Releases of the rules: the release in force (the highest version), the
//! content of the files releases name, proposals with the governors'
//! signatures gathered for them, and reload requests (every host on the
//! state reloads its config and trust). Durable.
//!
//! The algorithms are here, once, over [`ReleasesTx`].

use super::tx::{Lock, Tx};
use super::{Proposal, StateError, StoredRelease, now_ms};

/// Releases, proposals and reload requests.
#[async_trait::async_trait]
pub trait Releases: Send + Sync {
    /// Ask every host on this state to reload its config and trust.
    async fn request_reload(&self, by: &str) -> Result<u64, StateError>;

    /// The reload generation (it grows with every reload request) and who
    /// asked for the last one.
    async fn reload_request(&self) -> Result<(u64, Option<String>), StateError>;

    /// The release of the rules in force: the highest version stored.
    async fn release_in_force(&self) -> Result<Option<StoredRelease>, StateError>;

    /// The release of one version.
    async fn release(&self, version: u64) -> Result<Option<StoredRelease>, StateError>;

    /// Store `r` as the release in force, with the content of its files
    /// (by digest) — only if its version is one more than the release in
    /// force (or 1 when there is none): false when another release took
    /// that place first. Every host on the state reloads.
    async fn put_release(
        &self,
        r: &StoredRelease,
        files: &[(String, Vec<u8>)],
    ) -> Result<bool, StateError>;

    /// The content of a file a release names, by digest.
    async fn release_file(&self, digest: &str) -> Result<Option<Vec<u8>>, StateError>;

    /// Add a governor's signature (JSON) to the proposal `digest` (storing
    /// `doc` when it is new); every signature gathered so far.
    async fn propose(
        &self,
        digest: &str,
        doc: &[u8],
        signature: &str,
    ) -> Result<Vec<String>, StateError>;

    /// The proposals and their signatures, newest first.
    async fn proposals(&self) -> Result<Vec<Proposal>, StateError>;
}

/// The statements of releases (`releases`, `release_files`), proposals
/// (`release_proposals`) and reload requests (`reloads`).
pub(crate) trait ReleasesTx {
    /// The highest version stored (0: none).
    async fn highest_release(&mut self) -> Result<u64, StateError>;
    /// Store a file's content unless it is there.
    async fn insert_file(&mut self, digest: &str, content: &[u8]) -> Result<(), StateError>;
    /// Store a release.
    async fn insert_release(&mut self, r: &StoredRelease) -> Result<(), StateError>;
    /// Store a reload request; its generation.
    async fn insert_reload(&mut self, by: &str, now: i64) -> Result<i64, StateError>;
    /// The signatures (a JSON list) of proposal `digest`, if stored.
    async fn proposal_signatures(&mut self, digest: &str) -> Result<Option<String>, StateError>;
    /// Store proposal `digest` with `signatures` (keeping its `doc` and
    /// time when it is stored already).
    async fn put_proposal(
        &mut self,
        digest: &str,
        doc: &[u8],
        signatures: &str,
        now: i64,
    ) -> Result<(), StateError>;
    /// Tell every listening process, at commit, that `what` changed
    /// (nothing to do where the backend has no notifications).
    async fn notify(&mut self, what: &str) -> Result<(), StateError>;
}

/// [`Releases::request_reload`] in `tx`; the generation.
pub(crate) async fn request_reload<T: ReleasesTx + Tx>(
    mut tx: T,
    by: &str,
) -> Result<u64, StateError> {
    let id = tx.insert_reload(by, now_ms()).await?;
    tx.notify("reload").await?;
    tx.commit().await?;
    Ok(u64::try_from(id).unwrap_or(0))
}

/// [`Releases::put_release`] in `tx`, one writer of releases at a time:
/// stored only as the next version after the highest; every host reloads.
pub(crate) async fn put_release<T: ReleasesTx + Tx>(
    mut tx: T,
    r: &StoredRelease,
    files: &[(String, Vec<u8>)],
) -> Result<bool, StateError> {
    tx.lock(Lock::Release, "").await?;
    if tx.highest_release().await? + 1 != r.version {
        return Ok(false);
    }
    for (digest, content) in files {
        tx.insert_file(digest, content).await?;
    }
    tx.insert_release(r).await?;
    tx.insert_reload(&format!("release {}", r.version), now_ms())
        .await?;
    tx.notify("release").await?;
    tx.commit().await?;
    Ok(true)
}

/// [`Releases::propose`] in `tx`, the proposal locked: the signature is
/// added unless it is there already.
pub(crate) async fn propose<T: ReleasesTx + Tx>(
    mut tx: T,
    digest: &str,
    doc: &[u8],
    signature: &str,
) -> Result<Vec<String>, StateError> {
    tx.lock(Lock::Proposal, digest).await?;
    let mut all: Vec<String> = tx
        .proposal_signatures(digest)
        .await?
        .and_then(|s| serde_json::from_str(&s).ok())
        .unwrap_or_default();
    if !all.iter().any(|s| s == signature) {
        all.push(signature.to_owned());
    }
    let text = serde_json::to_string(&all).unwrap_or_default();
    tx.put_proposal(digest, doc, &text, now_ms()).await?;
    tx.commit().await?;
    Ok(all)
}

/// A proposal as read: its signatures from their JSON list (none when it
/// is not one).
pub(crate) fn proposal(digest: String, doc: Vec<u8>, signatures: &str) -> Proposal {
    Proposal {
        digest,
        doc,
        signatures: serde_json::from_str(signatures).unwrap_or_default(),
    }
}
