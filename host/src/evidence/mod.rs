//! Evidence an outsider can verify: one task's records from every host
//! that holds them, each with its inclusion proof in a witnessed
//! checkpoint, the releases of the rules and the files they pin — one file
//! ([`Bundle`]) that [`verify_bundle`] checks on a machine that never ran
//! warrant, with public keys only ([`EvidenceKeys`]).

mod bundle;
mod export;
mod keys;
mod plugins;
mod verify;

pub use bundle::{Bundle, ChainEvidence, EVIDENCE_FORMAT, ProvenRecord};
pub use export::export;
pub use keys::write_keys;
pub use verify::{EvidenceKeys, Report, verify_bundle};
