//! Forking a fixture: a copy of its whole directory — config, plugins,
//! state, keys and chain — as a second host that shares its history.

use std::path::Path;

use crate::Fixture;

impl Fixture {
    /// A copy of this fixture's whole directory — config, plugins, state,
    /// keys and chain — in a new temporary directory: a fork of its host.
    ///
    /// # Panics
    ///
    /// On I/O errors.
    pub fn fork(&self) -> Fixture {
        let dir = tempfile::tempdir().expect("tempdir");
        copy_dir(&self.root, dir.path());
        Fixture {
            root: dir.path().to_path_buf(),
            dir: Some(dir),
            key: self.key.clone(),
            audience: std::sync::OnceLock::new(),
        }
    }
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let target = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), &target).unwrap();
        }
    }
}
