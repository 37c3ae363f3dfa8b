//! One change a release makes, and all of them.

/// One change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// In plain words.
    pub text: String,
    /// Whether it only takes authority away.
    pub narrows: bool,
}

/// What a release changes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReleaseDiff {
    /// Each change.
    pub changes: Vec<Change>,
    /// The governors or thresholds change.
    pub governance: bool,
}

impl ReleaseDiff {
    /// Whether the release changes something and every change only narrows
    /// authority (a governance change never does).
    pub fn narrows_only(&self) -> bool {
        !self.changes.is_empty() && !self.governance && self.changes.iter().all(|c| c.narrows)
    }

    /// The changes, one per line.
    pub fn lines(&self) -> Vec<String> {
        self.changes.iter().map(|c| c.text.clone()).collect()
    }
}
