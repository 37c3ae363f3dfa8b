//! First-run help for the demo: create the key pairs of operators,
//! governors and the example publisher whose public key the config expects
//! inside the host's own state directory. A real deployment never does
//! this: each person makes their own key (`warrant keygen`) and hands over
//! only the public half.

use std::path::{Path, PathBuf};

use crate::config::{ConfigError, ConfigFile};
use crate::keys::{Algorithm, generate, write_key_files};

/// For every `[[operators]]` key in the config at `path` whose
/// `public-key-file` is `STATE_DIR/operators/ID.pub` and does not exist,
/// create `ID.key` (mode 0600) and `ID.pub` there. Returns each operator
/// with the private key file they sign with (created now or before).
///
/// # Ambient Authority
///
/// Reads `path` and writes under the state directory it names.
///
/// # Errors
///
/// When the config cannot be read or a key cannot be written.
pub fn create_state_dir_operator_keys(path: &Path) -> Result<Vec<(String, PathBuf)>, ConfigError> {
    let (file, dir) = read(path)?;
    let wanted: Vec<(String, String, Option<String>)> = file
        .operators
        .iter()
        .flat_map(|o| {
            o.keys
                .iter()
                .map(|k| (o.name.clone(), k.id.clone(), k.public_key_file.clone()))
        })
        .collect();
    create(path, &file, &dir, "operators", &wanted)
}

/// [`create_state_dir_operator_keys`] for the governors of `[governance]`
/// whose `public-key-file` is `STATE_DIR/governors/ID.pub`.
///
/// # Ambient Authority
///
/// Reads `path` and writes under the state directory it names.
///
/// # Errors
///
/// When the config cannot be read or a key cannot be written.
pub fn create_state_dir_governor_keys(path: &Path) -> Result<Vec<(String, PathBuf)>, ConfigError> {
    let (file, dir) = read(path)?;
    let wanted: Vec<(String, String, Option<String>)> = file
        .governance
        .governors
        .iter()
        .map(|g| {
            (
                g.name.clone().unwrap_or_else(|| g.id.clone()),
                g.id.clone(),
                g.public_key_file.clone(),
            )
        })
        .collect();
    create(path, &file, &dir, "governors", &wanted)
}

fn read(path: &Path) -> Result<(ConfigFile, PathBuf), ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|e| ConfigError::Read {
        path: path.to_owned(),
        why: e.to_string(),
    })?;
    let file: ConfigFile = toml::from_str(&text).map_err(|e| ConfigError::Syntax {
        path: path.to_owned(),
        message: e.to_string().trim_end().to_owned(),
    })?;
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or_else(|| Path::new("."))
        .to_path_buf();
    Ok((file, dir))
}

/// Create the keys `wanted` (name, key id, public-key-file) whose public
/// file is `STATE_DIR/<folder>/ID.pub` and is missing.
fn create(
    path: &Path,
    file: &ConfigFile,
    dir: &Path,
    folder: &str,
    wanted: &[(String, String, Option<String>)],
) -> Result<Vec<(String, PathBuf)>, ConfigError> {
    let keys_dir = dir
        .join(file.host.state_dir.as_deref().unwrap_or(".warrant"))
        .join(folder);
    let mut out = Vec::new();
    for (name, id, pub_file) in wanted {
        let Some(pub_file) = pub_file else {
            continue;
        };
        let public = dir.join(pub_file);
        if public != keys_dir.join(format!("{id}.pub")) {
            continue;
        }
        let private = keys_dir.join(format!("{id}.key"));
        if !public.exists() {
            let write_err = |why: String| ConfigError::Invalid {
                path: path.to_owned(),
                field: format!("{folder}.keys"),
                why,
            };
            let key = generate(id, Algorithm::Ed25519).map_err(|e| write_err(e.to_string()))?;
            write_key_files(&key, &keys_dir).map_err(|e| write_err(e.to_string()))?;
        }
        out.push((name.clone(), private));
    }
    Ok(out)
}

/// For every `[[trust.keys]]` ed25519 key in the config at `path` whose
/// `public-key-file` is `STATE_DIR/publishers/ID.pub` and does not exist,
/// create `ID.key` (mode 0600) and `ID.pub` there. Returns each key id with
/// its private key file (created now or before).
///
/// # Ambient Authority
///
/// Reads `path` and writes under the state directory it names.
///
/// # Errors
///
/// When the config cannot be read or a key cannot be written.
pub fn create_state_dir_publisher_keys(path: &Path) -> Result<Vec<(String, PathBuf)>, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|e| ConfigError::Read {
        path: path.to_owned(),
        why: e.to_string(),
    })?;
    let file: ConfigFile = toml::from_str(&text).map_err(|e| ConfigError::Syntax {
        path: path.to_owned(),
        message: e.to_string().trim_end().to_owned(),
    })?;
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or_else(|| Path::new("."));
    let keys_dir = dir
        .join(file.host.state_dir.as_deref().unwrap_or(".warrant"))
        .join("publishers");
    let mut out = Vec::new();
    for k in &file.trust.keys {
        let Some(pub_file) = &k.public_key_file else {
            continue;
        };
        if dir.join(pub_file) != keys_dir.join(format!("{}.pub", k.id)) {
            continue;
        }
        if !dir.join(pub_file).exists() {
            let write_err = |why: String| ConfigError::Invalid {
                path: path.to_owned(),
                field: "trust.keys".into(),
                why,
            };
            let key = generate(&k.id, Algorithm::Ed25519).map_err(|e| write_err(e.to_string()))?;
            write_key_files(&key, &keys_dir).map_err(|e| write_err(e.to_string()))?;
        }
        out.push((k.id.clone(), keys_dir.join(format!("{}.key", k.id))));
    }
    Ok(out)
}
