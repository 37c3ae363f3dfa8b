//! A small real file system for tests that need a volume to fill up: a
//! tmpfs mounted in the test's own directory (the tests run as root, as
//! CI does), unmounted when dropped.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

/// A mounted tmpfs.
#[derive(Debug)]
pub struct SmallVolume {
    path: PathBuf,
}

impl SmallVolume {
    /// Mount a tmpfs of `bytes` at `path` (created if needed).
    ///
    /// # Panics
    ///
    /// When it cannot be mounted: the test needs root and `mount`.
    pub fn mount(path: &Path, bytes: u64) -> Self {
        std::fs::create_dir_all(path).expect("mount point");
        let out = Command::new("mount")
            .args([
                "-t",
                "tmpfs",
                "-o",
                &format!("size={bytes},mode=0700"),
                "tmpfs",
            ])
            .arg(path)
            .output()
            .expect("mount runs");
        assert!(
            out.status.success(),
            "this test mounts a small tmpfs and needs root: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        Self {
            path: path.to_owned(),
        }
    }

    /// Fill the volume with `filler` until the next write fails, then give
    /// back `leave` bytes (rounded to whole pages by the file system).
    ///
    /// # Panics
    ///
    /// On I/O errors other than a full volume.
    pub fn fill(&self, leave: u64) {
        let filler = self.path.join("filler");
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&filler)
            .expect("filler");
        let chunk = vec![0x42u8; 4096];
        loop {
            match f.write_all(&chunk) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::StorageFull => break,
                Err(e) => panic!("filling the volume: {e}"),
            }
        }
        let len = f.metadata().expect("filler size").len();
        f.set_len(len.saturating_sub(leave) / 4096 * 4096)
            .expect("shrink filler");
    }

    /// Make room again.
    pub fn empty(&self) {
        let _ = std::fs::remove_file(self.path.join("filler"));
    }
}

impl Drop for SmallVolume {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.path).status();
    }
}
