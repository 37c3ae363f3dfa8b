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
use crate::vocab::canon::{Entries, canonical_entries, write_canonical_of, write_entries};

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
        let kind = event.kind();
        match canonical_entries(&Data(event)).map_err(|e| e.to_string())? {
            Some(entries) => Self::from_entries(kind, entries),
            None => {
                let mut data = Vec::with_capacity(2048);
                write_canonical_of(&Data(event), &mut data).map_err(|e| e.to_string())?;
                let hasher = data_hasher(&data);
                Ok(Self { kind, data, hasher })
            }
        }
    }

    /// A record of `kind` whose data is the object of `entries`, each a
    /// key and its value's canonical JSON, sorted by key (as
    /// `vocab::canon` makes them).
    ///
    /// # Errors
    ///
    /// When withheld fields (`redacted`) cannot be read back.
    pub(crate) fn from_entries(kind: &'static str, mut entries: Entries) -> Result<Self, String> {
        let mut data = Vec::with_capacity(2048);
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
