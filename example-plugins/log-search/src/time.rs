//! Timestamps in log lines: RFC 3339 (`2026-11-27T08:14:02.123456+00:00`)
//! and classic syslog (`Nov 27 08:14:02`), converted to UTC.

use std::fmt;

use crate::calendar::{civil_from_days, days_from_civil, days_in_month};

/// A point in time, UTC, to the nanosecond. Orders chronologically.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Timestamp {
    /// Seconds since 1970-01-01T00:00:00Z.
    secs: i64,
    /// Nanoseconds into that second.
    nanos: u32,
}

impl Timestamp {
    /// Seconds since 1970-01-01T00:00:00Z.
    pub fn unix_seconds(self) -> i64 {
        self.secs
    }
}

/// `YYYY-MM-DDTHH:MM:SSZ`; sub-second digits are dropped.
impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let days = self.secs.div_euclid(86_400);
        let rem = self.secs.rem_euclid(86_400);
        let (y, m, d) = civil_from_days(days);
        let (hh, mm, ss) = (rem / 3600, rem % 3600 / 60, rem % 60);
        write!(f, "{y:04}-{m:02}-{d:02}T{hh:02}:{mm:02}:{ss:02}Z")
    }
}

/// A calendar date and wall-clock time, before conversion to UTC.
struct Civil {
    year: i64,
    month: u32,
    day: u32,
    hour: u32,
    minute: u32,
    second: u32,
    nanos: u32,
}

impl Civil {
    /// Validate the fields and convert, subtracting `offset` seconds (the
    /// local time's offset east of UTC). Second 60 (a leap second) is
    /// accepted and lands on the next minute's second 0.
    fn to_utc(&self, offset: i64) -> Option<Timestamp> {
        let valid = (1..=12).contains(&self.month)
            && (1..=days_in_month(self.year, self.month)).contains(&self.day)
            && self.hour <= 23
            && self.minute <= 59
            && self.second <= 60;
        valid.then(|| Timestamp {
            secs: days_from_civil(self.year, self.month, self.day) * 86_400
                + i64::from(self.hour * 3600 + self.minute * 60 + self.second)
                - offset,
            nanos: self.nanos,
        })
    }
}

/// A cursor over ASCII bytes.
struct Cursor<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl Cursor<'_> {
    /// Exactly `n` decimal digits as a number.
    fn digits(&mut self, n: usize) -> Option<u32> {
        let digits = self.bytes.get(self.pos..self.pos + n)?;
        if !digits.iter().all(u8::is_ascii_digit) {
            return None;
        }
        self.pos += n;
        Some(
            digits
                .iter()
                .fold(0, |acc, d| acc * 10 + u32::from(d - b'0')),
        )
    }

    /// Consume one byte if it is one of `options`; return it.
    fn byte(&mut self, options: &[u8]) -> Option<u8> {
        let b = *self.bytes.get(self.pos).filter(|b| options.contains(b))?;
        self.pos += 1;
        Some(b)
    }

    /// Whether the cursor is at the end or at white space.
    fn at_boundary(&self) -> bool {
        self.bytes.get(self.pos).is_none_or(u8::is_ascii_whitespace)
    }
}

/// Parse an RFC 3339 timestamp that makes up all of `s`, e.g. an input's
/// `since`: `2026-11-27T08:00:00Z`, `2026-11-27T09:00:00.5+01:00`.
pub fn parse_rfc3339(s: &str) -> Option<Timestamp> {
    let mut cursor = Cursor {
        bytes: s.as_bytes(),
        pos: 0,
    };
    let ts = rfc3339(&mut cursor)?;
    (cursor.pos == s.len()).then_some(ts)
}

/// Parse `YYYY-MM-DD(T|t| )HH:MM:SS[.frac](Z|z|±HH:MM)` at the cursor.
fn rfc3339(c: &mut Cursor<'_>) -> Option<Timestamp> {
    let year = c.digits(4)?;
    c.byte(b"-")?;
    let month = c.digits(2)?;
    c.byte(b"-")?;
    let day = c.digits(2)?;
    c.byte(b"Tt ")?;
    let hour = c.digits(2)?;
    c.byte(b":")?;
    let minute = c.digits(2)?;
    c.byte(b":")?;
    let second = c.digits(2)?;
    let mut nanos = 0;
    if c.byte(b".").is_some() {
        let start = c.pos;
        while c.bytes.get(c.pos).is_some_and(u8::is_ascii_digit) {
            // Digits past nanoseconds are dropped.
            if c.pos - start < 9 {
                nanos = nanos * 10 + u32::from(c.bytes[c.pos] - b'0');
            }
            c.pos += 1;
        }
        let n = c.pos - start;
        if n == 0 {
            return None;
        }
        nanos *= 10u32.pow(9usize.saturating_sub(n) as u32);
    }
    let offset = match c.byte(b"Zz+-")? {
        b'Z' | b'z' => 0,
        sign => {
            let hours = c.digits(2)?;
            c.byte(b":")?;
            let minutes = c.digits(2)?;
            if hours > 23 || minutes > 59 {
                return None;
            }
            let offset = i64::from(hours * 3600 + minutes * 60);
            if sign == b'-' { -offset } else { offset }
        }
    };
    let civil = Civil {
        year: i64::from(year),
        month,
        day,
        hour,
        minute,
        second,
        nanos,
    };
    civil.to_utc(offset)
}

/// English month abbreviations as syslog writes them.
const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// Parse a classic syslog (RFC 3164) timestamp, `Mmm dd HH:MM:SS`, at the
/// cursor. The day may be space-padded (`Nov  7`). The format has no year
/// and no zone: `year` supplies the one, and the time is taken as UTC.
fn syslog(c: &mut Cursor<'_>, year: i64) -> Option<Timestamp> {
    let name = c.bytes.get(c.pos..c.pos + 3)?;
    let month = MONTHS
        .iter()
        .position(|m| m.as_bytes().eq_ignore_ascii_case(name))?;
    c.pos += 3;
    c.byte(b" ")?;
    let day = if c.byte(b" ").is_some() {
        c.digits(1)?
    } else {
        c.digits(2)?
    };
    c.byte(b" ")?;
    let hour = c.digits(2)?;
    c.byte(b":")?;
    let minute = c.digits(2)?;
    c.byte(b":")?;
    let second = c.digits(2)?;
    let civil = Civil {
        year,
        month: month as u32 + 1,
        day,
        hour,
        minute,
        second,
        nanos: 0,
    };
    civil.to_utc(0)
}

/// The timestamp at the start of a log line, RFC 3339 or syslog (with
/// `year` for the latter), followed by white space or the end of the line.
pub fn line_time(line: &str, year: i64) -> Option<Timestamp> {
    let try_format = |parse: &dyn Fn(&mut Cursor<'_>) -> Option<Timestamp>| {
        let mut cursor = Cursor {
            bytes: line.as_bytes(),
            pos: 0,
        };
        parse(&mut cursor).filter(|_| cursor.at_boundary())
    };
    try_format(&rfc3339).or_else(|| try_format(&|c| syslog(c, year)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> String {
        parse_rfc3339(s).map(|t| t.to_string()).unwrap_or_default()
    }

    #[test]
    fn rfc3339_whole_strings() {
        assert_eq!(utc("2026-11-27T08:00:00Z"), "2026-11-27T08:00:00Z");
        assert_eq!(utc("2026-11-27t08:00:00z"), "2026-11-27T08:00:00Z");
        assert_eq!(utc("2026-11-27 08:00:00Z"), "2026-11-27T08:00:00Z");
        assert_eq!(utc("2026-11-27T09:30:00+01:30"), "2026-11-27T08:00:00Z");
        assert_eq!(utc("2026-11-26T23:00:00-09:00"), "2026-11-27T08:00:00Z");
        assert_eq!(utc("2026-12-31T23:59:60Z"), "2027-01-01T00:00:00Z");
        assert_eq!(
            parse_rfc3339("1970-01-01T00:00:00Z")
                .unwrap()
                .unix_seconds(),
            0
        );
    }

    #[test]
    fn rfc3339_fractions_order_within_a_second() {
        let a = parse_rfc3339("2026-11-27T08:14:02.123456+00:00").unwrap();
        let b = parse_rfc3339("2026-11-27T08:14:02.5Z").unwrap();
        let c = parse_rfc3339("2026-11-27T08:14:02.1234567891Z").unwrap();
        assert!(a < c && c < b);
        // Digits past the nanosecond are dropped, not rounded.
        assert_eq!(c, parse_rfc3339("2026-11-27T08:14:02.123456789Z").unwrap());
        assert_eq!(a.to_string(), "2026-11-27T08:14:02Z");
    }

    #[test]
    fn rfc3339_rejects_malformed() {
        for bad in [
            "",
            "2026-11-27",
            "2026-11-27T08:00:00",
            "2026-11-27T08:00Z",
            "2026-11-27T08:00:00.Z",
            "2026-11-27T08:00:00+0100",
            "2026-11-27T08:00:00+24:00",
            "2026-02-29T08:00:00Z",
            "2026-11-31T08:00:00Z",
            "2026-13-01T08:00:00Z",
            "2026-11-27T24:00:00Z",
            "2026-11-27T08:60:00Z",
            "2026-11-27T08:00:00Z trailing",
            "26-11-27T08:00:00Z",
        ] {
            assert!(parse_rfc3339(bad).is_none(), "{bad:?}");
        }
    }

    #[test]
    fn line_start_rfc3339() {
        let line = "2026-11-27T08:14:02.123456+00:00 bastion-01 sshd[1042]: Failed password";
        assert_eq!(
            line_time(line, 2026).unwrap().to_string(),
            "2026-11-27T08:14:02Z"
        );
        let shifted = "2026-11-27T10:14:02+02:00 bastion-01 sshd[1042]: x";
        assert_eq!(
            line_time(shifted, 2026).unwrap().to_string(),
            "2026-11-27T08:14:02Z"
        );
        assert!(line_time("2026-11-27T08:14:02Zbastion", 2026).is_none());
        assert!(line_time("[2026-11-27T08:14:02Z] x", 2026).is_none());
    }

    #[test]
    fn line_start_syslog() {
        let line = "Nov 26 06:25:01 bastion-01 CRON[811]: pam_unix(cron:session): opened";
        assert_eq!(
            line_time(line, 2026).unwrap().to_string(),
            "2026-11-26T06:25:01Z"
        );
        assert_eq!(
            line_time(line, 2025).unwrap().to_string(),
            "2025-11-26T06:25:01Z"
        );
        let padded = "Nov  7 23:59:59 host kernel: x";
        assert_eq!(
            line_time(padded, 2026).unwrap().to_string(),
            "2026-11-07T23:59:59Z"
        );
        assert_eq!(
            line_time("Feb 29 00:00:00", 2024).unwrap().to_string(),
            "2024-02-29T00:00:00Z"
        );
    }

    #[test]
    fn line_start_syslog_rejects_malformed() {
        for bad in [
            "Feb 29 00:00:00 x",
            "Nov 31 00:00:00 x",
            "Foo 26 06:25:01 x",
            "Nov 6 06:25:01 x",
            "Nov 26 6:25:01 x",
            "Nov 26 06:25 x",
            "Nov 26 06:25:01.5 x",
            "  Nov 26 06:25:01 x",
            "pam_unix(sshd:session): session opened",
        ] {
            assert!(line_time(bad, 2026).is_none(), "{bad:?}");
        }
    }
}
