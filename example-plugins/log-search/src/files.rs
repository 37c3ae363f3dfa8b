//! Which files a search reads: one named file, or every regular file under
//! a directory, recursively, in sorted order.

use std::fs;
use std::path::{Component, Path, PathBuf};

use warrant_sdk::ToolError;

/// A file to search.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogFile {
    /// The path relative to the search root, `/`-separated, as reported.
    pub name: String,
    /// The path to open.
    pub path: PathBuf,
}

/// The files to search under `root`: the one `file` names (or every file
/// under it, if it is a directory), or every regular file under `root`.
/// Sorted by name; symbolic links found while walking are not followed.
///
/// # Errors
///
/// [`ToolError::InvalidInput`] when `file` is empty, absolute, has a `..`
/// component, or does not exist; [`ToolError::Failed`] when a directory
/// cannot be read.
pub fn select(root: &Path, file: Option<&str>) -> Result<Vec<LogFile>, ToolError> {
    let Some(file) = file else {
        return walk_sorted(root, "");
    };
    let relative = check_relative(file)?;
    let path = root.join(&relative);
    let Ok(meta) = fs::metadata(&path) else {
        return Err(ToolError::invalid_input(format!(
            "`file` {file:?} does not exist under {}",
            root.display()
        )));
    };
    if meta.is_dir() {
        walk_sorted(&path, &format!("{relative}/"))
    } else if meta.is_file() {
        Ok(vec![LogFile {
            name: relative,
            path,
        }])
    } else {
        Err(ToolError::invalid_input(format!(
            "`file` {file:?} is not a regular file or directory"
        )))
    }
}

/// Check that `file` stays under the root, and normalize it to
/// `a/b/c` form (dropping `.` components and repeated slashes).
fn check_relative(file: &str) -> Result<String, ToolError> {
    let reject = |why: &str| Err(ToolError::invalid_input(format!("`file` {file:?} {why}")));
    if file.is_empty() {
        return reject("is empty");
    }
    let mut parts = Vec::new();
    for component in Path::new(file).components() {
        match component {
            Component::Normal(part) => parts.push(part.to_string_lossy().into_owned()),
            Component::CurDir => {}
            Component::RootDir | Component::Prefix(_) => {
                return reject("is absolute; give a path relative to the log directory");
            }
            Component::ParentDir => return reject("contains `..`"),
        }
    }
    if parts.is_empty() {
        return reject("names the log directory itself; omit `file` to search all of it");
    }
    Ok(parts.join("/"))
}

/// Every regular file under `dir`, named `prefix` + its relative path.
fn walk_sorted(dir: &Path, prefix: &str) -> Result<Vec<LogFile>, ToolError> {
    let mut found = Vec::new();
    walk(dir, prefix, &mut found)?;
    found.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(found)
}

fn walk(dir: &Path, prefix: &str, found: &mut Vec<LogFile>) -> Result<(), ToolError> {
    let failed =
        |e: std::io::Error| ToolError::failed(format!("cannot read {}: {e}", dir.display()));
    for entry in fs::read_dir(dir).map_err(failed)? {
        let entry = entry.map_err(failed)?;
        let kind = entry.file_type().map_err(failed)?;
        let name = format!("{prefix}{}", entry.file_name().to_string_lossy());
        if kind.is_dir() {
            walk(&entry.path(), &format!("{name}/"), found)?;
        } else if kind.is_file() {
            found.push(LogFile {
                name,
                path: entry.path(),
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn root() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-logs")
    }

    fn names(files: &[LogFile]) -> Vec<&str> {
        files.iter().map(|f| f.name.as_str()).collect()
    }

    fn invalid(result: Result<Vec<LogFile>, ToolError>) -> String {
        match result {
            Err(ToolError::InvalidInput(message)) => message,
            other => panic!("expected invalid input, got {other:?}"),
        }
    }

    #[test]
    fn all_files_sorted_recursively() {
        let files = select(&root(), None).unwrap();
        assert_eq!(names(&files), ["archive/auth.log.1", "auth.log"]);
        assert_eq!(files[1].path, root().join("auth.log"));
    }

    #[test]
    fn one_file_or_one_directory() {
        assert_eq!(
            names(&select(&root(), Some("auth.log")).unwrap()),
            ["auth.log"]
        );
        let nested = select(&root(), Some("./archive//auth.log.1")).unwrap();
        assert_eq!(names(&nested), ["archive/auth.log.1"]);
        assert_eq!(
            names(&select(&root(), Some("archive")).unwrap()),
            ["archive/auth.log.1"]
        );
    }

    #[test]
    fn rejects_paths_outside_the_root() {
        assert!(invalid(select(&root(), Some("/etc/passwd"))).contains("absolute"));
        assert!(invalid(select(&root(), Some("../Cargo.toml"))).contains("`..`"));
        assert!(invalid(select(&root(), Some("archive/../../src"))).contains("`..`"));
        assert!(invalid(select(&root(), Some(""))).contains("empty"));
        assert!(invalid(select(&root(), Some("."))).contains("itself"));
    }

    #[test]
    fn missing_file_is_named() {
        let message = invalid(select(&root(), Some("secure.log")));
        assert!(
            message.contains("\"secure.log\" does not exist"),
            "{message}"
        );
    }

    #[test]
    fn unreadable_root_fails() {
        let result = select(&root().join("no-such-dir"), None);
        assert!(matches!(result, Err(ToolError::Failed(_))));
    }
}
