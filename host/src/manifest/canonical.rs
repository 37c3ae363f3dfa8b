//! The canonical bytes of a manifest: what is signed is exactly what is
//! interpreted.
//!
//! The parsed manifest (every field the host acts on, and nothing else,
//! since unknown fields are refused) is written as JSON with keys sorted and
//! no whitespace; the signature's value is left out, its key id and
//! algorithm are kept. Reformatting or reordering the TOML does not change
//! these bytes; changing any value does.

use crate::canonical::to_canonical;
use crate::manifest::Manifest;

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
