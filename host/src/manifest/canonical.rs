//! The canonical bytes of a manifest: what is signed is exactly what is
//! interpreted.
//!
//! The parsed manifest (every field the host acts on, and nothing else,
//! since unknown fields are refused) is written as JSON with keys sorted and
//! no whitespace; the signature's value is left out, its key id and
//! algorithm are kept. Reformatting or reordering the TOML does not change
//! these bytes; changing any value does.

use serde_json::Value;

use crate::manifest::Manifest;

/// The bytes a manifest's signature covers.
pub fn canonical_bytes(manifest: &Manifest) -> Vec<u8> {
    let mut m = manifest.clone();
    if let Some(sig) = &mut m.signature {
        sig.value.clear();
    }
    // A manifest is plain data (strings, numbers, booleans, lists, tables),
    // so serialising it to a JSON value cannot fail.
    let value = serde_json::to_value(&m).unwrap_or(Value::Null);
    let mut out = Vec::new();
    write_canonical(&value, &mut out);
    out
}

fn write_canonical(v: &Value, out: &mut Vec<u8>) {
    match v {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            out.push(b'{');
            for (i, k) in keys.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_canonical(&Value::String((*k).clone()), out);
                out.push(b':');
                write_canonical(&map[*k], out);
            }
            out.push(b'}');
        }
        Value::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_canonical(item, out);
            }
            out.push(b']');
        }
        other => out.extend_from_slice(other.to_string().as_bytes()),
    }
}
