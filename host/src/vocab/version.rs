//! Plugin versions, `MAJOR.MINOR.PATCH`, bounded so that no manifest can
//! fast-forward a plugin out of reach of every later release.

use std::fmt;

use super::Invalid;

/// The largest number any part of a version may have.
pub const MAX_VERSION_PART: u64 = 999_999;

/// A plugin version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Version {
    /// Major.
    pub major: u64,
    /// Minor.
    pub minor: u64,
    /// Patch.
    pub patch: u64,
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)
    }
}

impl std::str::FromStr for Version {
    type Err = Invalid;

    /// Three dot-separated whole numbers, each at most [`MAX_VERSION_PART`],
    /// without leading zeros or signs.
    fn from_str(v: &str) -> Result<Self, Invalid> {
        let form = || Invalid(format!("{v:?} must be MAJOR.MINOR.PATCH, e.g. \"1.4.0\""));
        let parts: Vec<&str> = v.split('.').collect();
        let [a, b, c] = parts.as_slice() else {
            return Err(form());
        };
        let num = |p: &str| -> Result<u64, Invalid> {
            if p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()) {
                return Err(form());
            }
            if p.len() > 1 && p.starts_with('0') {
                return Err(Invalid(format!(
                    "{v:?}: version parts have no leading zeros"
                )));
            }
            match p.parse::<u64>() {
                Ok(n) if n <= MAX_VERSION_PART => Ok(n),
                _ => Err(Invalid(format!(
                    "{v:?}: each part of a version is at most {MAX_VERSION_PART}, so that no release can put later ones out of reach"
                ))),
            }
        };
        Ok(Self {
            major: num(a)?,
            minor: num(b)?,
            patch: num(c)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions() {
        let v: Version = "1.10.0".parse().unwrap();
        assert_eq!((v.major, v.minor, v.patch), (1, 10, 0));
        assert!(v > "1.9.9".parse().unwrap());
        assert_eq!(v.to_string(), "1.10.0");
        for bad in [
            "1.0",
            "1.0.0.0",
            "1.-1.0",
            "a.b.c",
            "01.0.0",
            "18446744073709551615.0.0",
            "1000000.0.0",
        ] {
            assert!(bad.parse::<Version>().is_err(), "{bad}");
        }
        assert!("999999.999999.999999".parse::<Version>().is_ok());
    }
}
