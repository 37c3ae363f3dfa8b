//! IPv4 and IPv6 addresses in free text.

use std::net::{Ipv4Addr, Ipv6Addr};

/// Every IPv4 address in `text`, in order of appearance, dotted-quad form.
///
/// A candidate is a maximal run of digits and dots that no letter, digit or
/// `_` touches, with leading and trailing dots dropped. It must have exactly
/// four parts, each `0`–`255` without leading zeros: `1.2.3.4.5` (a version
/// string), `v1.2.3.4` and `010.0.0.1` (octal to some parsers, decimal to
/// others) are not addresses.
pub fn ipv4s(text: &str) -> Vec<Ipv4Addr> {
    let bytes = text.as_bytes();
    let mut found = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if !is_ipv4_byte(bytes[i]) {
            i += 1;
            continue;
        }
        let start = i;
        while i < bytes.len() && is_ipv4_byte(bytes[i]) {
            i += 1;
        }
        let touches_word = (start > 0 && is_word_byte(bytes[start - 1]))
            || (i < bytes.len() && is_word_byte(bytes[i]));
        if !touches_word && let Some(ip) = parse_ipv4(text[start..i].trim_matches('.')) {
            found.push(ip);
        }
    }
    found
}

/// Parse a strict dotted quad: four decimal octets, no leading zeros.
pub fn parse_ipv4(s: &str) -> Option<Ipv4Addr> {
    let mut octets = [0u8; 4];
    let mut parts = s.split('.');
    for octet in &mut octets {
        let part = parts.next()?;
        let canonical = !part.is_empty()
            && part.len() <= 3
            && part.bytes().all(|b| b.is_ascii_digit())
            && (part == "0" || !part.starts_with('0'));
        if !canonical {
            return None;
        }
        *octet = part.parse().ok()?;
    }
    parts.next().is_none().then(|| Ipv4Addr::from(octets))
}

/// Whether `ip` is private, loopback, link-local or otherwise not a remote
/// host: 0/8, 10/8, 127/8, 169.254/16, 172.16/12, 192.168/16 and the
/// broadcast address. Documentation ranges (192.0.2/24, 198.51.100/24,
/// 203.0.113/24) are *not* private: analysts use them in write-ups.
pub fn is_private_ipv4(ip: Ipv4Addr) -> bool {
    let [a, ..] = ip.octets();
    a == 0 || ip.is_private() || ip.is_loopback() || ip.is_link_local() || ip.is_broadcast()
}

/// Every IPv6 address in `text`, in order of appearance, as parsed addresses
/// (their display form is the canonical compressed RFC 5952 form).
///
/// A candidate is a maximal run of letters, digits, `_`, `:` and `.` that
/// consists only of hex digits, `:` and `.`, has at least two colons and a
/// hex digit, and parses with [`Ipv6Addr`]. Times (`07:50:38`) and MAC
/// addresses do not parse; eight two-digit groups without `::` (an EUI-64
/// or a long MAC) are refused as well.
pub fn ipv6s(text: &str) -> Vec<Ipv6Addr> {
    let bytes = text.as_bytes();
    let mut found = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if !is_ipv6_run_byte(bytes[i]) {
            i += 1;
            continue;
        }
        let start = i;
        while i < bytes.len() && is_ipv6_run_byte(bytes[i]) {
            i += 1;
        }
        if let Some(ip) = ipv6_candidate(&text[start..i]) {
            found.push(ip);
        }
    }
    found
}

/// Check one run for [`ipv6s`].
fn ipv6_candidate(run: &str) -> Option<Ipv6Addr> {
    let plausible = run.bytes().filter(|&b| b == b':').count() >= 2
        && run.bytes().any(|b| b.is_ascii_hexdigit())
        && run
            .bytes()
            .all(|b| b.is_ascii_hexdigit() || b == b':' || b == b'.');
    if !plausible {
        return None;
    }
    // A sentence may end right after the address: "... from fe80::1."
    let mut candidate = run.trim_end_matches('.');
    if candidate.ends_with(':') && !candidate.ends_with("::") {
        candidate = &candidate[..candidate.len() - 1];
    }
    let looks_like_mac =
        !candidate.contains("::") && candidate.split(':').all(|group| group.len() == 2);
    if looks_like_mac {
        return None;
    }
    candidate.parse().ok()
}

/// Whether `ip` is unspecified, loopback, link-local (fe80::/10), unique
/// local (fc00::/7), or an IPv4-mapped private address.
pub fn is_private_ipv6(ip: Ipv6Addr) -> bool {
    let first = ip.segments()[0];
    ip.is_unspecified()
        || ip.is_loopback()
        || (first & 0xffc0) == 0xfe80
        || (first & 0xfe00) == 0xfc00
        || ip.to_ipv4_mapped().is_some_and(is_private_ipv4)
}

fn is_ipv4_byte(b: u8) -> bool {
    b.is_ascii_digit() || b == b'.'
}

fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

fn is_ipv6_run_byte(b: u8) -> bool {
    is_word_byte(b) || b == b':' || b == b'.'
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v4(text: &str) -> Vec<String> {
        ipv4s(text).iter().map(ToString::to_string).collect()
    }

    fn v6(text: &str) -> Vec<String> {
        ipv6s(text).iter().map(ToString::to_string).collect()
    }

    #[test]
    fn ipv4_in_context() {
        assert_eq!(
            v4("from 203.0.113.45 port 22, then 198.51.100.7:443 and (192.0.2.1)."),
            ["203.0.113.45", "198.51.100.7", "192.0.2.1"]
        );
        assert_eq!(v4("range 10.0.0.1-10.0.0.9"), ["10.0.0.1", "10.0.0.9"]);
        assert_eq!(v4("net 192.0.2.0/24"), ["192.0.2.0"]);
        assert_eq!(v4("ip=8.8.8.8"), ["8.8.8.8"]);
    }

    #[test]
    fn ipv4_octets_must_be_bytes() {
        assert!(v4("256.1.1.1 1.2.3.999 1.2.3").is_empty());
        assert_eq!(v4("255.255.255.254"), ["255.255.255.254"]);
    }

    #[test]
    fn ipv4_refuses_leading_zeros() {
        assert!(v4("010.0.0.1 192.168.001.001").is_empty());
        assert_eq!(v4("0.0.0.0 10.0.0.10"), ["0.0.0.0", "10.0.0.10"]);
    }

    #[test]
    fn ipv4_not_part_of_longer_dotted_numbers_or_words() {
        assert!(v4("version 1.2.3.4.5 and 10.0.0.1.2").is_empty());
        assert!(v4("v1.2.3.4 build1.2.3.4 1.2.3.4a 1.2.3.4_x").is_empty());
        // A reverse-DNS name is a hostname, not an address.
        assert!(v4("4.3.2.1.in-addr.arpa").is_empty());
    }

    #[test]
    fn ipv4_private_ranges() {
        for private in [
            "10.1.2.3",
            "172.16.0.1",
            "172.31.255.255",
            "192.168.1.1",
            "127.0.0.1",
            "169.254.169.254",
            "0.0.0.0",
            "255.255.255.255",
        ] {
            assert!(is_private_ipv4(private.parse().unwrap()), "{private}");
        }
        for public in [
            "172.32.0.1",
            "8.8.8.8",
            "203.0.113.45",
            "198.51.100.23",
            "192.0.2.10",
        ] {
            assert!(!is_private_ipv4(public.parse().unwrap()), "{public}");
        }
    }

    #[test]
    fn ipv6_full_and_compressed() {
        assert_eq!(
            v6("a 2001:0db8:0000:0000:0000:0000:0000:0001 b 2001:db8::1"),
            ["2001:db8::1", "2001:db8::1"]
        );
        assert_eq!(v6("loopback ::1, any ::"), ["::1"]);
        assert_eq!(
            v6("[2001:db8:85a3::8a2e:370:7334]:443"),
            ["2001:db8:85a3::8a2e:370:7334"]
        );
        assert_eq!(v6("from fe80::1."), ["fe80::1"]);
        assert_eq!(v6("from fe80::1: done"), ["fe80::1"]);
        assert_eq!(v6("fe80::1%eth0"), ["fe80::1"]);
        assert_eq!(v6("mapped ::ffff:203.0.113.9"), ["::ffff:203.0.113.9"]);
        assert_eq!(v6("DEAD:BEEF::CAFE"), ["dead:beef::cafe"]);
    }

    #[test]
    fn ipv6_no_false_positives() {
        assert!(v6("at 07:50:38 and 2026-11-27T08:14:02.123+00:00").is_empty());
        assert!(v6("mac 00:1a:2b:3c:4d:5e or 00:1A:2B:FF:FE:3C:4D:5E").is_empty());
        assert!(v6("Ipv6Addr::from and std::net and a::b::c").is_empty());
        assert!(v6("ratio 3:4:5 or 12:30").is_empty());
    }

    #[test]
    fn ipv6_private_ranges() {
        for private in ["::", "::1", "fe80::1", "fd12:3456::1", "::ffff:10.0.0.1"] {
            assert!(is_private_ipv6(private.parse().unwrap()), "{private}");
        }
        for public in ["2001:db8::1", "2606:4700::1111", "::ffff:203.0.113.9"] {
            assert!(!is_private_ipv6(public.parse().unwrap()), "{public}");
        }
    }
}
