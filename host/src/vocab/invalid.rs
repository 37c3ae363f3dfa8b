//! The error of a value that could not be read: what is wrong with it, in
//! words an operator can act on.

/// A value that is not acceptable, and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Invalid(pub String);

impl From<String> for Invalid {
    fn from(s: String) -> Self {
        Self(s)
    }
}

impl From<&str> for Invalid {
    fn from(s: &str) -> Self {
        Self(s.to_owned())
    }
}

impl From<Invalid> for String {
    fn from(e: Invalid) -> Self {
        e.0
    }
}
