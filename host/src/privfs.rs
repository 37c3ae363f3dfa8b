//! Private files and directories: created readable only by this user, and
//! reached through `cap_std` handles.

use std::io::Write as _;
use std::path::Path;

use cap_std::fs::{Dir, DirBuilder, DirBuilderExt as _, OpenOptions, OpenOptionsExt as _};

/// Create `path` (and its parents) readable only by this user (0700) and
/// open it.
///
/// # Ambient Authority
///
/// Creates and opens `path` with the process's own authority: a directory
/// the operator's config names.
///
/// # Errors
///
/// The I/O error.
pub fn create_private_dir(path: &Path) -> std::io::Result<Dir> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::{DirBuilderExt as _, PermissionsExt as _};
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(path)?;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o700))?;
    }
    #[cfg(not(unix))]
    std::fs::create_dir_all(path)?;
    Dir::open_ambient_dir(path, cap_std::ambient_authority())
}

/// A subdirectory of `dir` readable only by this user, created if needed.
///
/// # Errors
///
/// The I/O error.
pub fn private_subdir(dir: &Dir, name: &str) -> std::io::Result<Dir> {
    let mut b = DirBuilder::new();
    b.recursive(true).mode(0o700);
    dir.create_dir_with(name, &b)?;
    dir.open_dir(name)
}

/// Write a new file `name` in `dir` with `mode`, refusing to overwrite.
///
/// # Errors
///
/// The I/O error (`AlreadyExists` when it exists).
pub fn write_new(dir: &Dir, name: &str, bytes: &[u8], mode: u32) -> std::io::Result<()> {
    let mut opts = OpenOptions::new();
    opts.write(true).create_new(true).mode(mode);
    let mut f = dir.open_with(name, &opts)?;
    f.write_all(bytes)?;
    f.sync_all()
}
