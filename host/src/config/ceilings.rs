//! Operator ceilings: the most any plugin may be granted on this host,
//! whatever its signed manifest asks for — one ceiling per capability that
//! has one ([`CeilingSet`]), plus what is never grantable: the host's own
//! state. A plugin whose grants exceed them is refused at load, naming the
//! grant.

use std::path::PathBuf;

use crate::capability::CeilingSet;

/// The ceilings of one host.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Ceilings {
    /// `[ceilings]`, typed: one per capability.
    pub set: CeilingSet,
    /// Never grantable, ceiling or not: the host's own state directory
    /// (no grant may contain it) ...
    pub state_dir: PathBuf,
    /// ... and what the host keeps in it or beside it — keys, the audit
    /// chain, the compiled cache — which no grant may contain or reach into.
    pub protected: Vec<PathBuf>,
}
