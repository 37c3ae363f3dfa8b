//! The canonical bytes of a manifest: what is signed is exactly what is
//! interpreted.
//!
//! The parsed manifest (every field the host acts on, and nothing else,
//! since unknown fields are refused) is written as JSON with keys sorted and
//! no whitespace; the signature's value is left out, its key id and
//! algorithm are kept. Reformatting or reordering the TOML does not change
//! these bytes; changing any value does.

use crate::keys::sha256_hex;
use crate::manifest::{Manifest, ManifestTool};
use crate::vocab::to_canonical;

/// The bytes a manifest's signature covers.
pub fn canonical_bytes(manifest: &Manifest) -> Vec<u8> {
    let mut m = manifest.clone();
    if let Some(sig) = &mut m.signature {
        sig.value.clear();
    }
    // A manifest is plain data (strings, numbers, booleans, lists, tables),
    // so serialising it to a JSON value cannot fail.
    to_canonical(&serde_json::to_value(&m).unwrap_or_default())
}

/// `sha256:` of a manifest's canonical bytes: the identity of exactly the
/// grants and tools that were signed.
pub fn manifest_digest(manifest: &Manifest) -> String {
    format!("sha256:{}", sha256_hex(&canonical_bytes(manifest)))
}

/// SHA-256 (hex) of one signed tool definition — name, description,
/// impact, action owner and input schema — to which approvals are bound.
pub fn tool_digest(tool: &ManifestTool) -> String {
    // Plain data: serialising it cannot fail.
    sha256_hex(&to_canonical(
        &serde_json::to_value(tool).unwrap_or_default(),
    ))
}
