//! The public keys an auditor verifies evidence with, as a directory they
//! keep on their own record:
//!
//! ```text
//! DIR/hosts/<host-id>.pub   each host's checkpoint public key
//! DIR/witnesses.toml        [[witnesses]] name = "…", public-key = "…"
//! DIR/governors.toml        [governance] — the governors the first release
//!                           of the rules must be signed by
//! ```
//!
//! `warrant evidence keys --out DIR` writes them from a host; an auditor
//! should compare them with what they received through their own channel.

use std::path::Path;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use serde::{Deserialize, Serialize};

use crate::audit::parse_public_key;
use crate::audit::tlog::WitnessKey;
use crate::config::{ConfigFile, GovernanceSection, RuleFiles, parse_governance};
use crate::evidence::verify::EvidenceKeys;

#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct WitnessesFile {
    #[serde(default)]
    witnesses: Vec<WitnessEntry>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct WitnessEntry {
    name: String,
    public_key: String,
}

impl EvidenceKeys {
    /// Read the keys in `dir`.
    ///
    /// # Ambient Authority
    ///
    /// Reads the directory the auditor names.
    ///
    /// # Errors
    ///
    /// A sentence naming the file that cannot be read.
    pub fn load(dir: &Path) -> Result<Self, String> {
        let mut keys = Self::default();
        let hosts = dir.join("hosts");
        let entries = std::fs::read_dir(&hosts)
            .map_err(|e| format!("{}: {e} (the hosts' checkpoint keys)", hosts.display()))?;
        for e in entries {
            let p = e.map_err(|e| e.to_string())?.path();
            if p.extension().is_some_and(|x| x == "pub") {
                keys.hosts.push(
                    parse_public_key(&p.display().to_string())
                        .map_err(|e| format!("{}: {e}", p.display()))?,
                );
            }
        }
        let w = dir.join("witnesses.toml");
        if let Ok(text) = std::fs::read_to_string(&w) {
            let f: WitnessesFile =
                toml::from_str(&text).map_err(|e| format!("{}: {e}", w.display()))?;
            for e in f.witnesses {
                keys.witnesses.push(WitnessKey {
                    key: crate::keys::parse_ed25519_public(&e.public_key)
                        .map_err(|x| format!("{}: witness {}: {}", w.display(), e.name, x.0))?,
                    name: e.name,
                });
            }
        }
        let g = dir.join("governors.toml");
        if let Ok(text) = std::fs::read_to_string(&g) {
            let f: ConfigFile =
                toml::from_str(&text).map_err(|e| format!("{}: {e}", g.display()))?;
            keys.governors = Some(
                parse_governance(&f.governance, dir, &RuleFiles::Disk)
                    .map_err(|why| format!("{}: {why}", g.display()))?,
            );
        }
        Ok(keys)
    }
}

/// Write `hosts` (host id, checkpoint public key), `witnesses` and the
/// governors of `governance` (their keys inlined) into `dir`.
///
/// # Ambient Authority
///
/// Writes the directory the operator names.
///
/// # Errors
///
/// I/O errors, as sentences.
pub fn write_keys(
    dir: &Path,
    hosts: &[(String, ed25519_dalek::VerifyingKey)],
    witnesses: &[WitnessKey],
    governance: Option<(&GovernanceSection, &Path)>,
) -> Result<(), String> {
    let io = |p: &Path, e: std::io::Error| format!("{}: {e}", p.display());
    let hosts_dir = dir.join("hosts");
    std::fs::create_dir_all(&hosts_dir).map_err(|e| io(&hosts_dir, e))?;
    for (id, k) in hosts {
        let p = hosts_dir.join(format!("{id}.pub"));
        std::fs::write(&p, format!("{}\n", B64.encode(k.to_bytes()))).map_err(|e| io(&p, e))?;
    }
    let w = WitnessesFile {
        witnesses: witnesses
            .iter()
            .map(|k| WitnessEntry {
                name: k.name.clone(),
                public_key: B64.encode(k.key.to_bytes()),
            })
            .collect(),
    };
    let p = dir.join("witnesses.toml");
    std::fs::write(&p, toml::to_string(&w).map_err(|e| e.to_string())?).map_err(|e| io(&p, e))?;
    if let Some((g, config_dir)) = governance.filter(|(g, _)| !g.governors.is_empty()) {
        let mut g = g.clone();
        for gov in &mut g.governors {
            if let Some(f) = gov.public_key_file.take() {
                let text = std::fs::read_to_string(config_dir.join(&f))
                    .map_err(|e| io(&config_dir.join(&f), e))?;
                let k = crate::keys::parse_ed25519_public(&text)
                    .map_err(|e| format!("{f}: {}", e.0))?;
                gov.public_key = Some(B64.encode(k.to_bytes()));
            }
        }
        #[derive(Serialize)]
        struct G {
            governance: GovernanceSection,
        }
        let p = dir.join("governors.toml");
        std::fs::write(
            &p,
            toml::to_string(&G { governance: g }).map_err(|e| e.to_string())?,
        )
        .map_err(|e| io(&p, e))?;
    }
    Ok(())
}
