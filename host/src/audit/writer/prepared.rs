//! A record made ready outside the writer's lock: its data serialised in
//! canonical form straight from the typed event (`vocab::canon`, no
//! `serde_json::Value`), and its hash begun over that data (`data` sorts
//! first in the hashed form). Under the lock the writer only adds the
//! record's place in the chain — seq, time, previous hash — to the hash,
//! MACs it and writes the line, so that concurrent callers wait for each
//! other only that long.

use crate::audit::event::{Data, Event};
use crate::audit::record::{REDACTABLE, committed, data_hasher};
use crate::keys::sha256_hex;
use crate::vocab::canon::{canonical_entries, write_canonical_of, write_entries};

/// A record's kind, canonical data and half-computed hash.
pub(crate) struct Prepared {
    pub(crate) kind: &'static str,
    pub(crate) data: Vec<u8>,
    pub(crate) hasher: sha2::Sha256,
}

impl Prepared {
    /// Serialise `event` and begin its hash. From format 8 the hash
    /// commits to the redactable fields by digest (`record::committed`),
    /// built here from the same sorted entries.
    ///
    /// # Errors
    ///
    /// When the event cannot be serialised (it always can: plain data).
    pub(crate) fn of(event: &Event) -> Result<Self, String> {
        let mut data = Vec::with_capacity(2048);
        let kind = event.kind();
        let Some(mut entries) = canonical_entries(&Data(event)).map_err(|e| e.to_string())? else {
            write_canonical_of(&Data(event), &mut data).map_err(|e| e.to_string())?;
            let hasher = data_hasher(&data);
            return Ok(Self { kind, data, hasher });
        };
        write_entries(&entries, &mut data);
        let redactable = |k: &str| REDACTABLE.iter().any(|(f, _)| *f == k);
        if !entries
            .iter()
            .any(|(k, _)| redactable(k) || k == "redacted")
        {
            let hasher = data_hasher(&data);
            return Ok(Self { kind, data, hasher });
        }
        let mut committed_data = Vec::with_capacity(data.len());
        if entries.iter().any(|(k, _)| k == "redacted") {
            // Never written by a host; kept exact by the definition.
            let value: serde_json::Value =
                serde_json::from_slice(&data).map_err(|e| e.to_string())?;
            if let Some(c) = committed(&value) {
                crate::vocab::write_canonical(&c, &mut committed_data);
            }
        } else {
            for (k, v) in &mut entries {
                if redactable(k) {
                    *v = format!("\"sha256:{}\"", sha256_hex(v)).into_bytes();
                }
            }
            write_entries(&entries, &mut committed_data);
        }
        let hasher = data_hasher(&committed_data);
        Ok(Self { kind, data, hasher })
    }
}
