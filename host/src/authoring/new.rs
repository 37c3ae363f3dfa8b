//! `warrant new`: a tool project that builds and passes its own tests on
//! the first try.

use std::path::{Path, PathBuf};

use crate::authoring::templates::project_files;
use crate::authoring::{AuthoringError, Lang};
use crate::vocab::valid_plugin_id;

/// Write a new `lang` project for plugin `id` into `dir` (which must not
/// exist, or be empty). Returns the files written, relative to `dir`.
///
/// # Ambient Authority
///
/// Creates `dir` and writes files under it: a path the author names.
///
/// # Errors
///
/// [`AuthoringError::Project`] for an unusable id or directory, or a file
/// that cannot be written.
pub fn new_project(
    dir: &Path,
    id: &str,
    lang: Lang,
    publisher: &str,
) -> Result<Vec<PathBuf>, AuthoringError> {
    if !valid_plugin_id(id) {
        return Err(AuthoringError::project(
            dir,
            format!(
                "{id:?} cannot be a plugin id: use 1-32 of a-z, 0-9 and '-', starting with a letter"
            ),
        ));
    }
    if dir.exists() {
        let empty = std::fs::read_dir(dir)
            .map_err(|e| AuthoringError::project(dir, e))?
            .next()
            .is_none();
        if !empty {
            return Err(AuthoringError::project(
                dir,
                "exists and is not empty; choose a new directory",
            ));
        }
    }
    let mut written = Vec::new();
    for (rel, text) in project_files(lang, id, publisher) {
        let path = dir.join(&rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| AuthoringError::project(parent, e))?;
        }
        std::fs::write(&path, text).map_err(|e| AuthoringError::project(&path, e))?;
        if rel.ends_with(".sh") {
            make_executable(&path)?;
        }
        written.push(PathBuf::from(rel));
    }
    Ok(written)
}

#[cfg(unix)]
fn make_executable(path: &Path) -> Result<(), AuthoringError> {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755))
        .map_err(|e| AuthoringError::project(path, e))
}

#[cfg(not(unix))]
fn make_executable(_: &Path) -> Result<(), AuthoringError> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_a_bad_id_and_a_full_directory() {
        let dir = tempfile::tempdir().unwrap();
        let err = new_project(&dir.path().join("x"), "Bad_Id", Lang::Python, "me").unwrap_err();
        assert!(err.to_string().contains("cannot be a plugin id"), "{err}");
        std::fs::write(dir.path().join("file"), "x").unwrap();
        let err = new_project(dir.path(), "good", Lang::Python, "me").unwrap_err();
        assert!(err.to_string().contains("not empty"), "{err}");
    }

    #[test]
    fn writes_a_project_per_language() {
        for (lang, entry) in [
            (Lang::Rust, "src/lib.rs"),
            (Lang::Python, "app.py"),
            (Lang::Ts, "index.ts"),
        ] {
            let dir = tempfile::tempdir().unwrap();
            let files = new_project(dir.path(), "my-tool", lang, "me").unwrap();
            assert!(files.iter().any(|f| f == Path::new(entry)), "{lang:?}");
            let manifest = std::fs::read_to_string(dir.path().join("manifest.toml")).unwrap();
            assert!(manifest.contains("id = \"my-tool\""));
        }
    }
}
