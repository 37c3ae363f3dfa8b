//! Governors' signatures over a release, and the quorum a release needs:
//! at least the threshold of distinct governors *of the release in force*
//! (a release that changes the governors needs the current ones — root
//! rotation as in TUF; the first release, its own), or the lower
//! narrowing threshold when the host computes that the release only
//! narrows authority. One algorithm (Ed25519), one signature per governor.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use ed25519_dalek::Signer as _;
use serde::{Deserialize, Serialize};

use crate::config::{Governance, GovernanceMode, Governor};
use crate::keys::{Purpose, signed_bytes};

/// One governor's signature over a release's digest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReleaseSignature {
    /// The governor's key id.
    pub key: String,
    /// Ed25519 over `warrant/v1 rules-release\n` followed by the
    /// release's digest (`sha256:…`), base64.
    pub sig: String,
}

impl ReleaseSignature {
    /// Sign `digest` with `key` (whose id is `key_id`).
    pub fn sign(digest: &str, key_id: &str, key: &ed25519_dalek::SigningKey) -> Self {
        let sig = key.sign(&signed_bytes(Purpose::Release, digest.as_bytes()));
        Self {
            key: key_id.to_owned(),
            sig: B64.encode(sig.to_bytes()),
        }
    }

    /// Whether it is `g`'s signature over `digest`.
    pub fn verifies(&self, digest: &str, g: &Governor) -> bool {
        let Some(sig) = B64
            .decode(self.sig.trim())
            .ok()
            .and_then(|b| <[u8; 64]>::try_from(b.as_slice()).ok())
        else {
            return false;
        };
        self.key == g.id
            && g.key
                .verify_strict(
                    &signed_bytes(Purpose::Release, digest.as_bytes()),
                    &ed25519_dalek::Signature::from_bytes(&sig),
                )
                .is_ok()
    }
}

/// What the signatures of a release came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Quorum {
    /// The governors whose signatures verified (their names), in order.
    pub signers: Vec<String>,
    /// The signatures that verified.
    pub valid: Vec<ReleaseSignature>,
    /// How many it needs.
    pub needed: u32,
    /// Whether the lower narrowing threshold applied.
    pub narrowing: bool,
    /// Signatures that did not count, and why.
    pub rejected: Vec<String>,
}

impl Quorum {
    /// Whether it is met.
    pub fn met(&self) -> bool {
        u32::try_from(self.signers.len()).unwrap_or(u32::MAX) >= self.needed
    }
}

/// Count the signatures over `digest` that `governance` (the governors in
/// force) accepts: distinct governors, each once. `narrowing`: the release
/// only narrows authority (computed by the caller from the change).
pub fn quorum(
    governance: &Governance,
    digest: &str,
    signatures: &[ReleaseSignature],
    narrowing: bool,
) -> Quorum {
    let narrow = narrowing && governance.narrowing_threshold < governance.threshold;
    let mut q = Quorum {
        signers: Vec::new(),
        valid: Vec::new(),
        needed: if narrow {
            governance.narrowing_threshold
        } else {
            governance.threshold
        },
        narrowing: narrow,
        rejected: Vec::new(),
    };
    if governance.mode == GovernanceMode::Unsigned {
        q.needed = 0;
    }
    for s in signatures {
        let Some(g) = governance.governor(&s.key) else {
            q.rejected.push(format!("{} is no governor's key", s.key));
            continue;
        };
        if q.signers.contains(&g.name) {
            continue;
        }
        if s.verifies(digest, g) {
            q.signers.push(g.name.clone());
            q.valid.push(s.clone());
        } else {
            q.rejected.push(format!(
                "{}'s signature ({}) does not verify over this release",
                g.name, s.key
            ));
        }
    }
    q
}
