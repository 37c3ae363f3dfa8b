//! Rates: calls per period, as written in manifests and host configs
//! (`"60/min"`).

use std::fmt;
use std::time::Duration;

use super::Invalid;

/// A rate limit: at most `calls` per `per`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rate {
    /// Calls allowed per period.
    pub calls: u32,
    /// The period.
    pub per: Duration,
    /// The rate as written, for messages.
    pub text: String,
}

impl fmt::Display for Rate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// Parse a rate such as `60/min`, `10/s`, `500/h`, `1000/day`.
///
/// # Errors
///
/// A message when it is not in that form or allows no call at all.
pub fn parse_rate(r: &str) -> Result<Rate, Invalid> {
    let err = || {
        Invalid(format!(
            "{r:?} must be calls per period, e.g. \"60/min\", \"10/s\", \"500/h\""
        ))
    };
    let (n, per) = r.split_once('/').ok_or_else(err)?;
    let n: u32 = n.trim().parse().map_err(|_| err())?;
    let secs = match per.trim() {
        "s" | "sec" => 1,
        "min" | "m" => 60,
        "h" | "hour" => 3600,
        "d" | "day" => 86_400,
        _ => return Err(err()),
    };
    if n == 0 {
        return Err(err());
    }
    Ok(Rate {
        calls: n,
        per: Duration::from_secs(secs),
        text: r.to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates() {
        let r = parse_rate("60/min").unwrap();
        assert_eq!((r.calls, r.per), (60, Duration::from_secs(60)));
        assert!(parse_rate("0/min").is_err());
        assert!(parse_rate("5/fortnight").is_err());
        assert!(parse_rate("lots").is_err());
    }
}
