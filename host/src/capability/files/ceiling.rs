//! Where a directory grant may be placed: under a directory the ceiling
//! allows, never the root, never the host's own state.

use std::path::{Component, Path, PathBuf};

use crate::vocab::Invalid;

/// Whether a directory grant placed at `host` is within the ceiling
/// (`allowed`: directories it may be under, `None` for any), away from
/// the host's state directory and what it keeps there (`protected`).
///
/// # Errors
///
/// Why not, in words.
pub fn check_dir(
    host: &Path,
    allowed: Option<&[PathBuf]>,
    state_dir: &Path,
    protected: &[PathBuf],
) -> Result<(), Invalid> {
    let dir = normal(host);
    if dir.parent().is_none() {
        return Err(Invalid(format!(
            "{} is the root directory: no plugin may be granted the whole file system",
            host.display()
        )));
    }
    let state = normal(state_dir);
    let reaches = |p: &Path| {
        let p = normal(p);
        dir.starts_with(&p) || p.starts_with(&dir)
    };
    if state.starts_with(&dir) || protected.iter().any(|p| reaches(p)) {
        return Err(Invalid(format!(
            "{} would expose the host's own state directory {} (its keys, audit chain and state)",
            host.display(),
            state_dir.display()
        )));
    }
    if let Some(allowed) = allowed
        && !allowed.iter().any(|a| dir.starts_with(normal(a)))
    {
        return Err(Invalid(format!(
            "{} is not under a directory the ceiling allows ({})",
            host.display(),
            allowed
                .iter()
                .map(|a| a.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        )));
    }
    Ok(())
}

/// A path made absolute (against the current directory) and with `.` and
/// `..` resolved lexically, so that `a/../..` cannot slip past a prefix.
///
/// # Ambient Authority
///
/// Reads the current directory, and resolves symlinks where the path
/// exists.
pub fn normal(p: &Path) -> PathBuf {
    let abs = if p.is_absolute() {
        p.to_path_buf()
    } else {
        std::env::current_dir().unwrap_or_default().join(p)
    };
    // Resolve symlinks where the path exists, so a link cannot point a
    // grant around the ceiling.
    let abs = std::fs::canonicalize(&abs).unwrap_or(abs);
    let mut out = PathBuf::new();
    for c in abs.components() {
        match c {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn directories() {
        let state = Path::new("/var/lib/warrant");
        let allowed = [PathBuf::from("/srv/data")];
        let keys = [PathBuf::from("/var/lib/warrant/keys")];
        let c = |p: &str| check_dir(Path::new(p), Some(&allowed), state, &keys);
        assert!(c("/srv/data/logs").is_ok());
        assert!(c("/srv/data/../etc").is_err());
        assert!(c("/").unwrap_err().0.contains("root"));
        assert!(c("/var/lib").unwrap_err().0.contains("state directory"));
        assert!(
            c("/var/lib/warrant/keys")
                .unwrap_err()
                .0
                .contains("state directory")
        );
        let protected = [
            PathBuf::from("/var/lib/warrant/keys"),
            PathBuf::from("/var/lib/warrant/audit"),
        ];
        let open = |p: &str| check_dir(Path::new(p), None, state, &protected);
        assert!(open("/srv/anything").is_ok());
        assert!(
            open("/var/lib/warrant/cases").is_ok(),
            "a directory of its own beside the state"
        );
        assert!(open("/var/lib/warrant").is_err());
        assert!(open("/var/lib/warrant/audit/x").is_err());
        assert!(open("/").is_err());
    }
}
