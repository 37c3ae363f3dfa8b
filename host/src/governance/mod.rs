//! Releases of the rules. Everything that grants or limits authority —
//! operators, trust, agents and grants, issuers, approvals, limits,
//! policies, the plugin list — is read into one canonical [`Release`]: a
//! strictly increasing version, the digest of the release it follows, the
//! rules ([`Rules`]) and the digest of every file they name. Governors
//! sign its digest ([`ReleaseSignature`]); a release takes effect only with
//! a [`quorum`] of the governors in force. [`diff`] says what a release
//! changes, in plain words, and whether it only narrows authority.
//!
//! This module is pure: storing releases (the shared state), archiving
//! them (beside the audit chain) and applying them (the host) happen
//! above it.

mod change;
mod changes;
mod diff;
mod entries;
mod release;
mod rules;
mod signatures;

pub use diff::{Change, ReleaseDiff, diff};
pub use release::{RELEASE_FORMAT, Release, ReleaseError, ReleaseRef};
pub use rules::{ApiRules, EgressRules, HostRules, PolicyRules, Rules, SandboxRules};
pub use signatures::{Quorum, ReleaseSignature, quorum};
