//! Governors for fixtures that run on signed releases of the rules: real
//! Ed25519 key pairs made per fixture (`governors/<name>-gov.key`), their
//! `[governance]` table, and helpers that sign and apply the release the
//! fixture's files make.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use warrant::governance::ReleaseRef;
use warrant::keys::{Algorithm, generate, write_key_files};
use warrant::operator::rules::{RulesDesk, RulesError};

use crate::{Fixture, FixtureBuilder};

/// The governors of a fixture: names, threshold, narrowing threshold.
#[derive(Debug, Clone)]
pub struct Governors {
    names: Vec<String>,
    threshold: u32,
    narrowing: u32,
}

/// Create the governors' keys under `root/governors` and return their
/// `[governance]` table.
pub(crate) fn write_governors(root: &Path, g: &Governors) -> String {
    let dir = root.join("governors");
    let mut entries = String::new();
    for name in &g.names {
        let key = generate(&format!("{name}-gov"), Algorithm::Ed25519).expect("governor key");
        write_key_files(&key, &dir).expect("governor key files");
        let _ = writeln!(
            entries,
            "  {{ id = \"{name}-gov\", name = {name:?}, public-key-file = \"governors/{name}-gov.pub\" }},"
        );
    }
    format!(
        "[governance]\nthreshold = {}\nnarrowing-threshold = {}\ngovernors = [\n{entries}]\n\n",
        g.threshold, g.narrowing
    )
}

impl FixtureBuilder {
    /// Run on signed releases: these governors, `threshold` signatures per
    /// release, `narrowing` for one that only narrows authority. Nothing is
    /// in force until the test applies a release ([`Fixture::release`]).
    #[must_use]
    pub fn governors(mut self, names: &[&str], threshold: u32, narrowing: u32) -> Self {
        self.governors = Some(Governors {
            names: names.iter().map(|s| (*s).to_owned()).collect(),
            threshold,
            narrowing,
        });
        self
    }
}

impl Fixture {
    /// The private key file of governor `name`.
    pub fn governor_key(&self, name: &str) -> PathBuf {
        self.path(&format!("governors/{name}-gov.key"))
    }

    /// Sign the release the fixture's files make as each of `signers` and
    /// apply it.
    ///
    /// # Errors
    ///
    /// When it is refused.
    ///
    /// # Panics
    ///
    /// When the state cannot be opened.
    pub async fn release(&self, signers: &[&str]) -> Result<ReleaseRef, RulesError> {
        let desk = RulesDesk::open(&self.config_path()).expect("the rules desk opens");
        let keys: Vec<PathBuf> = signers.iter().map(|s| self.governor_key(s)).collect();
        desk.sign_and_apply(&keys).await
    }

    /// Rewrite the config file with `edit`.
    ///
    /// # Panics
    ///
    /// On I/O errors.
    pub fn edit_config(&self, edit: impl FnOnce(String) -> String) {
        let text = std::fs::read_to_string(self.config_path()).expect("config");
        std::fs::write(self.config_path(), edit(text)).expect("config");
    }
}
