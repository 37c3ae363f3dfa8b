//! Copies of the repository's example setup for tests: as shipped (signed
//! rules, nothing in force yet: `warrant demo` signs them), with the
//! example rules signed by the example governors, or in development mode
//! (no `[governance]`: the files are the rules — for tests that change a
//! manifest on disk and want it read).

use std::path::{Path, PathBuf};

/// A copy of the repository's example setup (manifests, components,
/// policies, config, sample logs) in a temporary directory, with the
/// example operators' keys (as `warrant demo` creates them).
pub(crate) fn example_copy() -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let root = warrant_tests::workspace_root();
    copy_dir(&root.join("manifests"), &tmp.path().join("manifests"));
    copy_dir(
        &root.join("example-plugins/log-search/sample-logs"),
        &tmp.path().join("example-plugins/log-search/sample-logs"),
    );
    let config = tmp.path().join("manifests/warrant.toml");
    let keys = warrant::config::create_state_dir_operator_keys(&config).unwrap();
    assert_eq!(keys.len(), 2, "{keys:?}");
    // The example intel API's key, the credential the host adds to
    // http-lookup's requests (`warrant demo` makes it on first run).
    std::fs::write(
        tmp.path().join(".warrant/intel-api.key"),
        "example-intel-key-for-tests",
    )
    .unwrap();
    (tmp, config)
}

/// [`example_copy`] with the example rules in force: signed by both
/// example governors (whose keys are made as the demo makes them).
pub(crate) fn example_signed() -> (tempfile::TempDir, PathBuf) {
    let (tmp, config) = example_copy();
    let governors = warrant::config::create_state_dir_governor_keys(&config).unwrap();
    assert_eq!(governors.len(), 2, "{governors:?}");
    let keys: Vec<PathBuf> = governors.into_iter().map(|(_, k)| k).collect();
    let path = config.clone();
    std::thread::spawn(move || {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(async {
                let desk = warrant::operator::rules::RulesDesk::open(&path).unwrap();
                desk.sign_and_apply(&keys).await.unwrap();
            });
    })
    .join()
    .unwrap();
    (tmp, config)
}

/// [`example_copy`] in development mode: its `[governance]` table taken out,
/// so that the files on disk are the rules (each change an unsigned
/// release).
pub(crate) fn example_unsigned() -> (tempfile::TempDir, PathBuf) {
    let (tmp, config) = example_copy();
    let text = std::fs::read_to_string(&config).unwrap();
    let start = text.find("[governance]").unwrap();
    let end = start + text[start..].find("\n]\n").unwrap() + 3;
    std::fs::write(&config, format!("{}{}", &text[..start], &text[end..])).unwrap();
    (tmp, config)
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let target = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), target).unwrap();
        }
    }
}
