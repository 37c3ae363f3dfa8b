//! The plugins that ran, proven: each call's manifest digest must be the
//! digest of a manifest its release pins, signed under that release's
//! publisher keys at the time of the call, pinning the component digest
//! the call recorded.

use std::collections::BTreeMap;
use std::path::Path;

use chrono::{DateTime, Utc};

use crate::audit::{Record, ReleaseArchive};
use crate::config::{ConfigFile, RuleFiles, trust_of};
use crate::governance::Release;
use crate::keys::Purpose;
use crate::manifest::{Manifest, canonical_bytes, manifest_digest};

/// Check every call's plugin; one line per plugin version that ran.
///
/// # Errors
///
/// A sentence naming the call whose plugin cannot be proven.
pub(crate) fn check_plugins(
    all: &[&Record],
    releases: &BTreeMap<String, Release>,
    archive: &ReleaseArchive,
) -> Result<Vec<String>, String> {
    let mut ran: BTreeMap<String, (String, Vec<u64>)> = BTreeMap::new();
    for r in all
        .iter()
        .filter(|r| crate::audit::event::is_decision_kind(&r.kind))
    {
        let Some(manifest) = r.str("manifest_digest") else {
            continue;
        };
        // A call refused before a plugin was chosen names none.
        if manifest.is_empty() {
            continue;
        }
        let at = format!(
            "call at seq {} on {}",
            r.seq,
            r.host.as_deref().unwrap_or("?")
        );
        let digest = r.data["release"]["digest"]
            .as_str()
            .ok_or_else(|| format!("{at} names no release of the rules"))?;
        let release = releases.get(digest).ok_or_else(|| {
            format!("{at} names release {digest}, which the evidence does not hold")
        })?;
        let key = format!(
            "{} {} ({manifest})",
            r.str("plugin").unwrap_or("?"),
            r.str("plugin_version").unwrap_or("?")
        );
        if let Some((_, seqs)) = ran.get_mut(&key) {
            seqs.push(r.seq);
            continue;
        }
        let (m, signer) = pinned(release, manifest, archive, &r.time)
            .map_err(|why| format!("{at} ran plugin manifest {manifest}: {why}"))?;
        let component = r.str("component_digest").unwrap_or_default();
        if m.plugin.digest.as_deref() != Some(component) {
            return Err(format!(
                "{at} ran component {component}, but its signed manifest pins {}",
                m.plugin.digest.as_deref().unwrap_or("none")
            ));
        }
        ran.insert(
            key,
            (
                format!(
                    "signed by publisher key {signer} (trusted by release {}), component {component}",
                    release.version
                ),
                vec![r.seq],
            ),
        );
    }
    Ok(ran
        .into_iter()
        .map(|(k, (how, seqs))| {
            format!(
                "plugin {k}: {how}; ran for the call(s) at seq {}",
                seqs.iter()
                    .map(u64::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        })
        .collect())
}

/// The manifest of digest `want` among those `release` pins, with the id
/// of the publisher key its signature verifies under at `time`.
fn pinned(
    release: &Release,
    want: &str,
    archive: &ReleaseArchive,
    time: &str,
) -> Result<(Manifest, String), String> {
    let files = RuleFiles::Pinned {
        pins: release.files.clone(),
        archive: archive.files_dir(),
    };
    let trust = trust_of(
        &release.rules.apply_to(ConfigFile::default()),
        Path::new("release.toml"),
        &files,
    )
    .map_err(|e| format!("the release's publisher keys cannot be read: {e}"))?;
    let now: DateTime<Utc> = DateTime::parse_from_rfc3339(time)
        .map_err(|e| e.to_string())?
        .with_timezone(&Utc);
    for p in &release.rules.plugins {
        let Some(pin) = release.files.get(&p.manifest) else {
            continue;
        };
        let Ok(bytes) = archive.file(pin) else {
            continue;
        };
        let Ok((m, _)) = Manifest::parse(&String::from_utf8_lossy(&bytes)) else {
            continue;
        };
        if manifest_digest(&m) != want {
            continue;
        }
        let sig = m
            .signature
            .as_ref()
            .ok_or_else(|| "the manifest is not signed".to_owned())?;
        let key = trust
            .verify(
                Purpose::Manifest,
                &sig.key,
                Some(sig.algorithm),
                &canonical_bytes(&m),
                &sig.value,
                now,
            )
            .map_err(|e| {
                format!("its signature does not verify under the release's publisher keys: {e}")
            })?;
        let id = key.id.clone();
        return Ok((m, id));
    }
    Err(format!(
        "release {} pins no manifest of that digest (the files the evidence holds)",
        release.version
    ))
}
