//! Sizes and durations in the units manifests and host configs are written
//! in (`"32MiB"`, `"2s"`).

use std::fmt;
use std::time::Duration;

/// A kibibyte.
pub const KIB: u64 = 1024;
/// A mebibyte.
pub const MIB: u64 = 1024 * KIB;
/// A gibibyte.
pub const GIB: u64 = 1024 * MIB;

/// A size or a duration that could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{value:?} is not a {kind}: {hint}")]
pub struct UnitError {
    value: String,
    kind: &'static str,
    hint: &'static str,
}

/// Parse a byte size: a whole number with an optional unit `B`, `KiB`,
/// `MiB`, `GiB` (also `KB`/`MB`/`GB`, read as powers of 1024).
///
/// # Errors
///
/// [`UnitError`] naming the value when it is not such a size or overflows.
pub fn parse_size(text: &str) -> Result<u64, UnitError> {
    let err = || UnitError {
        value: text.to_owned(),
        kind: "size",
        hint: "write a whole number with a unit, e.g. \"512KiB\", \"32MiB\", \"1GiB\"",
    };
    let t = text.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let n: u64 = num.parse().map_err(|_| err())?;
    let mult = match unit.trim() {
        "" | "B" => 1,
        "KiB" | "KB" | "K" => KIB,
        "MiB" | "MB" | "M" => MIB,
        "GiB" | "GB" | "G" => GIB,
        _ => return Err(err()),
    };
    n.checked_mul(mult).ok_or_else(err)
}

/// Parse a duration: a whole number with a unit `ms`, `s`, `m`, `h` or `d`.
///
/// # Errors
///
/// [`UnitError`] naming the value when it is not such a duration.
pub fn parse_duration(text: &str) -> Result<Duration, UnitError> {
    let err = || UnitError {
        value: text.to_owned(),
        kind: "duration",
        hint: "write a whole number with a unit, e.g. \"250ms\", \"2s\", \"15m\", \"1h\", \"90d\"",
    };
    let t = text.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let n: u64 = num.parse().map_err(|_| err())?;
    let d = match unit.trim() {
        "ms" => Duration::from_millis(n),
        "s" => Duration::from_secs(n),
        "m" | "min" => Duration::from_secs(n.checked_mul(60).ok_or_else(err)?),
        "h" => Duration::from_secs(n.checked_mul(3600).ok_or_else(err)?),
        "d" => Duration::from_secs(n.checked_mul(86_400).ok_or_else(err)?),
        _ => return Err(err()),
    };
    Ok(d)
}

/// Display bytes the way they are written in manifests.
#[derive(Debug, Clone, Copy)]
pub struct Bytes(pub u64);

impl fmt::Display for Bytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.0;
        if n >= GIB && n.is_multiple_of(GIB) {
            write!(f, "{}GiB", n / GIB)
        } else if n >= MIB && n.is_multiple_of(MIB) {
            write!(f, "{}MiB", n / MIB)
        } else if n >= KIB && n.is_multiple_of(KIB) {
            write!(f, "{}KiB", n / KIB)
        } else {
            write!(f, "{n}B")
        }
    }
}

/// Display a duration the way it is written in manifests.
#[derive(Debug, Clone, Copy)]
pub struct Span(pub Duration);

impl fmt::Display for Span {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ms = self.0.as_millis();
        if ms.is_multiple_of(1000) {
            write!(f, "{}s", ms / 1000)
        } else {
            write!(f, "{ms}ms")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(parse_size("32MiB"), Ok(32 * MIB));
        assert_eq!(parse_size("512KiB"), Ok(512 * KIB));
        assert_eq!(parse_size("100"), Ok(100));
        assert_eq!(parse_size("1 GiB"), Ok(GIB));
        assert!(parse_size("-1MiB").is_err());
        assert!(parse_size("1.5MiB").is_err());
        assert!(parse_size("10 parsecs").is_err());
        assert!(parse_size("99999999999999GiB").is_err());
        assert_eq!(Bytes(32 * MIB).to_string(), "32MiB");
        assert_eq!(Bytes(1000).to_string(), "1000B");
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("2s"), Ok(Duration::from_secs(2)));
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse_duration("15m"), Ok(Duration::from_secs(900)));
        assert!(parse_duration("2").is_err());
        assert!(parse_duration("soon").is_err());
        assert_eq!(Span(Duration::from_millis(2500)).to_string(), "2500ms");
    }
}
