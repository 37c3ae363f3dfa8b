//! Debian packages' binaries for the tests: the real components the tests
//! run (HAProxy, Prometheus, Chromium, …) come from Debian's archive, the
//! one registry the machines and CI reach, installed with apt-get the
//! first time a test needs them rather than baked into an image.
//!
//! [`binary`] returns a package's binary, installing the package when it
//! is missing. Test binaries run their tests in parallel and `cargo test`
//! may run several test binaries at once, while dpkg takes one install at
//! a time: installs are serialised through a file lock, and whoever gets
//! the lock looks again before installing, so a package is installed once.
//! Memoising the answer (a `OnceLock`) is the caller's.

use std::path::PathBuf;
use std::process::Command;

/// The first of `candidates` that exists; when none does, installs the
/// Debian package `package` (`apt-get update`, then a non-interactive
/// `apt-get install`) under the file lock
/// `$TMPDIR/warrant-apt.lock`, and returns the first candidate that
/// exists then.
///
/// The install runs apt-get as it is, so it needs root, as the
/// developers' machines and CI have. Installing a package may start
/// its service on a machine with an init system; the helpers that use
/// the binary run their own instance on their own port and directory.
///
/// # Panics
///
/// When `package` is not a Debian package name, when the lock cannot be
/// taken, when apt-get fails, or when none of
/// `candidates` exists after installing `package`.
pub fn binary(package: &str, candidates: &[&str]) -> PathBuf {
    let found = || candidates.iter().map(PathBuf::from).find(|p| p.exists());
    if let Some(path) = found() {
        return path;
    }
    // Debian's package names: the name goes into a shell command.
    assert!(
        !package.is_empty()
            && package
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "+-.".contains(c)),
        "{package:?} is not a Debian package name"
    );
    let lock_path = std::env::temp_dir().join("warrant-apt.lock");
    let lock = std::fs::File::create(&lock_path)
        .unwrap_or_else(|e| panic!("cannot create {}: {e}", lock_path.display()));
    lock.lock()
        .unwrap_or_else(|e| panic!("cannot lock {}: {e}", lock_path.display()));
    // Another test may have installed it while this one waited.
    if let Some(path) = found() {
        return path;
    }
    let status = Command::new("sh")
        .arg("-c")
        .arg(format!(
            "apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq {package}"
        ))
        .status()
        .unwrap_or_else(|e| panic!("cannot run apt-get to install {package}: {e}"));
    assert!(
        status.success(),
        "apt-get install {package} failed ({status}); the tests need Debian's {package} \
         (one of {candidates:?})"
    );
    found().unwrap_or_else(|| {
        panic!("Debian's {package} is installed but none of {candidates:?} exists")
    })
    // The lock is released when `lock` is dropped.
}
