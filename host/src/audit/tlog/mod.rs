//! The chain as a transparency log: a Merkle tree over the records'
//! hashes ([`tree`], RFC 6962 / RFC 9162), checkpoints as C2SP signed notes
//! signed by the host's checkpoint key and cosigned by witnesses
//! ([`note`]), the witness itself ([`witness`], `c2sp.org/tlog-witness`)
//! and the host's side of asking witnesses ([`submit`]). Inclusion proofs
//! put one record under a witnessed checkpoint; consistency proofs show a
//! later checkpoint extends an earlier one, so a fork cannot be hidden.

pub(crate) mod check;
pub mod note;
pub(crate) mod submit;
pub mod tree;
pub mod witness;

pub use note::{
    OpenedCheckpoint, WitnessKey, open_checkpoint, origin, origin_of_key, sign_checkpoint,
};
pub use submit::WitnessEndpoint;
pub use tree::{Frontier, TreeFile, leaf};
pub use witness::{Witness, WitnessError, WitnessedLog};

#[cfg(test)]
mod tests;
