//! `[[audit.witnesses]]`: the witnesses a host asks to cosign its
//! checkpoints (`c2sp.org/tlog-witness`) — a serving setting: whom the log
//! asks. Whose cosignatures an auditor trusts is the auditor's choice
//! (`audit verify --witness-key`, `evidence verify --keys`).

use std::path::Path;

use serde::{Deserialize, Serialize};

/// A witness the host asks, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Witness {
    /// Its key name.
    pub name: String,
    /// Its submission prefix.
    pub url: String,
    /// Its Ed25519 public key.
    pub key: ed25519_dalek::VerifyingKey,
}

/// One witness as written.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct WitnessEntry {
    /// Its name, a schema-less URL such as `witness.example/w1` (the key
    /// name of its cosignatures).
    pub name: String,
    /// Its submission prefix: `http(s)://…` (`/add-checkpoint` is
    /// appended).
    pub url: String,
    /// Its Ed25519 public key, base64.
    pub public_key: Option<String>,
    /// Or a file holding it (`warrant keygen --witness` writes `ID.pub`).
    pub public_key_file: Option<String>,
}

/// Check the witnesses; the error names the field.
pub(super) fn witnesses(
    entries: &[WitnessEntry],
    dir: &Path,
) -> Result<Vec<Witness>, (String, String)> {
    entries
        .iter()
        .enumerate()
        .map(|(i, w)| {
            let field = |f: &str| format!("audit.witnesses[{i}].{f}");
            if w.name.is_empty() || w.name.contains(char::is_whitespace) || w.name.contains('+') {
                return Err((
                    field("name"),
                    format!("{:?}: a witness name has no spaces or `+`", w.name),
                ));
            }
            if !(w.url.starts_with("https://")
                || w.url.starts_with("http://127.")
                || w.url.starts_with("http://localhost")
                || w.url.starts_with("http://[::1]"))
            {
                return Err((
                    field("url"),
                    format!("{}: https://, or http:// on loopback only", w.url),
                ));
            }
            let text = match (&w.public_key, &w.public_key_file) {
                (Some(k), None) => k.clone(),
                // A file the operator's config names: ambient authority.
                (None, Some(f)) => std::fs::read_to_string(dir.join(f))
                    .map_err(|e| (field("public-key-file"), format!("{f}: {e}")))?,
                _ => {
                    return Err((
                        field("public-key"),
                        "give exactly one of public-key or public-key-file".into(),
                    ));
                }
            };
            let key =
                crate::keys::parse_ed25519_public(&text).map_err(|e| (field("public-key"), e.0))?;
            Ok(Witness {
                name: w.name.clone(),
                url: w.url.clone(),
                key,
            })
        })
        .collect()
}
