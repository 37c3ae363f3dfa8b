//! `http`, `https` and `ftp` URLs in free text.

use std::net::Ipv6Addr;

use crate::domain::is_hostname;
use crate::network::parse_ipv4;

/// Schemes that start a URL, lowercase, with their separator.
const SCHEMES: &[&str] = &["https://", "http://", "ftp://"];

/// One URL found in the text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoundUrl {
    /// The URL with its scheme and host lowercased.
    pub url: String,
    /// Byte offset in the text of the `@` that ends the URL's user info, if
    /// any, so that `user@host` is not also reported as an e-mail address.
    pub user_info_at: Option<usize>,
}

/// Every URL in `text`, in order of appearance.
///
/// A URL starts at a scheme that no letter or digit precedes and runs to
/// white space, a non-ASCII character or one of ``< > " ' ` { } | \ ^``;
/// trailing `. , ; : ! ? *` and unbalanced `)` `]` are dropped. Its host
/// must be an IPv4 address, a bracketed IPv6 address or a host name of two
/// or more labels, with an optional numeric port.
pub fn urls(text: &str) -> Vec<FoundUrl> {
    let bytes = text.as_bytes();
    let mut found = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let at_word_start = i == 0 || !bytes[i - 1].is_ascii_alphanumeric();
        let scheme = SCHEMES.iter().find(|s| {
            bytes[i..].len() >= s.len() && bytes[i..i + s.len()].eq_ignore_ascii_case(s.as_bytes())
        });
        let Some(scheme) = scheme.filter(|_| at_word_start) else {
            i += 1;
            continue;
        };
        let mut end = i + scheme.len();
        while end < bytes.len() && is_url_byte(bytes[end]) {
            end += 1;
        }
        let candidate = trim_trailing(&text[i..end]);
        match parse(candidate, scheme) {
            Some((url, user_info_at)) => {
                found.push(FoundUrl {
                    url,
                    user_info_at: user_info_at.map(|at| i + at),
                });
                i += candidate.len();
            }
            None => i += scheme.len(),
        }
    }
    found
}

/// Drop punctuation that ends a sentence rather than the URL.
fn trim_trailing(url: &str) -> &str {
    let count = |c: u8| url.bytes().filter(|&b| b == c).count();
    // Closing minus opening brackets still in `url[..end]`.
    let mut parens = count(b')') as isize - count(b'(') as isize;
    let mut squares = count(b']') as isize - count(b'[') as isize;
    let mut end = url.len();
    loop {
        match url.as_bytes()[end - 1] {
            b'.' | b',' | b';' | b':' | b'!' | b'?' | b'*' => {}
            b')' if parens > 0 => parens -= 1,
            b']' if squares > 0 => squares -= 1,
            _ => return &url[..end],
        }
        end -= 1;
    }
}

/// Check the authority of `url` (which starts with `scheme`) and normalize
/// it. Returns the URL and the offset of its user-info `@`, if any.
fn parse(url: &str, scheme: &str) -> Option<(String, Option<usize>)> {
    let rest = &url[scheme.len()..];
    let authority_len = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_len);
    let (user_info, host_port) = match authority.rfind('@') {
        Some(at) => (Some(&authority[..at]), &authority[at + 1..]),
        None => (None, authority),
    };
    let (host, port) = split_host_port(host_port)?;
    let host_ok = if let Some(v6) = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
        v6.parse::<Ipv6Addr>().is_ok()
    } else if host.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        parse_ipv4(host).is_some()
    } else {
        is_hostname(host)
    };
    if !host_ok {
        return None;
    }
    let mut normal = String::with_capacity(url.len());
    normal.push_str(scheme);
    if let Some(user_info) = user_info {
        normal.push_str(user_info);
        normal.push('@');
    }
    normal.push_str(&host.to_ascii_lowercase());
    if let Some(port) = port {
        normal.push(':');
        normal.push_str(port);
    }
    normal.push_str(tail);
    let user_info_at = user_info.map(|u| scheme.len() + u.len());
    Some((normal, user_info_at))
}

/// Split `host[:port]` (host possibly `[v6]`); the port must be 1–65535.
fn split_host_port(host_port: &str) -> Option<(&str, Option<&str>)> {
    let host_end = if host_port.starts_with('[') {
        host_port.find(']')? + 1
    } else {
        host_port.find(':').unwrap_or(host_port.len())
    };
    let (host, port) = host_port.split_at(host_end);
    match port.strip_prefix(':') {
        None if port.is_empty() => Some((host, None)),
        None => None,
        Some(port) => {
            let valid = port.bytes().all(|b| b.is_ascii_digit())
                && port.parse::<u16>().is_ok_and(|p| p > 0);
            valid.then_some((host, Some(port)))
        }
    }
}

/// Bytes that can continue a URL in running text.
fn is_url_byte(b: u8) -> bool {
    b.is_ascii_graphic()
        && !matches!(
            b,
            b'<' | b'>' | b'"' | b'\'' | b'`' | b'{' | b'}' | b'|' | b'\\' | b'^'
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn just_urls(text: &str) -> Vec<String> {
        urls(text).into_iter().map(|u| u.url).collect()
    }

    #[test]
    fn finds_urls_with_paths_and_ports() {
        assert_eq!(
            just_urls(
                "get http://evil.com/a/b.php?x=1&y=2#frag now; ftp://files.evil.ru:2121/drop.bin"
            ),
            [
                "http://evil.com/a/b.php?x=1&y=2#frag",
                "ftp://files.evil.ru:2121/drop.bin"
            ]
        );
        assert_eq!(just_urls("https://evil.com"), ["https://evil.com"]);
        assert_eq!(
            just_urls("http://203.0.113.45:8080/x"),
            ["http://203.0.113.45:8080/x"]
        );
        assert_eq!(
            just_urls("http://[2001:db8::1]/"),
            ["http://[2001:db8::1]/"]
        );
    }

    #[test]
    fn lowercases_scheme_and_host_only() {
        assert_eq!(
            just_urls("HTTPS://Login.Evil.COM/Reset/Token=AbC"),
            ["https://login.evil.com/Reset/Token=AbC"]
        );
    }

    #[test]
    fn trims_trailing_punctuation() {
        assert_eq!(
            just_urls("See https://evil.com/x. Also (https://evil.com/y), and https://evil.com/z!"),
            [
                "https://evil.com/x",
                "https://evil.com/y",
                "https://evil.com/z"
            ]
        );
        // Balanced parentheses belong to the URL.
        assert_eq!(
            just_urls("https://en.wikipedia.org/wiki/Emotet_(malware)."),
            ["https://en.wikipedia.org/wiki/Emotet_(malware)"]
        );
        assert_eq!(just_urls("<http://evil.com/q>"), ["http://evil.com/q"]);
    }

    #[test]
    fn rejects_bad_hosts_and_ports() {
        assert!(just_urls("http:// http://localhost/ http://999.1.1.1/ http://a..b/").is_empty());
        assert!(
            just_urls("http://evil.com:99999/ http://evil.com:abc/ http://[zz::1]/").is_empty()
        );
        assert!(just_urls("xhttp://evil.com/ mailto:x@evil.com").is_empty());
    }

    #[test]
    fn reports_user_info_offset() {
        let text = "see ftp://anon@files.evil.ru/pub";
        let found = urls(text);
        assert_eq!(found[0].url, "ftp://anon@files.evil.ru/pub");
        assert_eq!(found[0].user_info_at, text.find('@'));
    }
}
