//! Domain names and e-mail addresses in free text.

use std::collections::BTreeSet;

/// Top-level domains that count for a bare domain: common generic TLDs, the
/// ones abused most in phishing, and the larger country codes.
///
/// Left out on purpose because they are also file extensions or code
/// idioms: `app`, `id`, `is`, `md`, `mov`, `ms`, `name`, `pl`, `ps`, `py`,
/// `rs`, `sh`, `so`, `to`, `zip`.
pub const KNOWN_TLDS: &[&str] = &[
    // Generic
    "com", "net", "org", "info", "biz", "io", "co", "me", "tv", "cc", "gov", "edu", "mil", "xyz",
    "top", "online", "site", "club", "shop", "store", "live", "life", "dev", "tech", "cloud",
    "space", "website", "fun", "icu", "vip", "work", "link", "click", "buzz", "email", "support",
    "services", "digital", "network", "host", "press", "win", "bid", "loan", "stream", "download",
    "review", "party", "cyou", "rest", "bond", "sbs", "lol", "cfd", "monster", "mobi", "pro",
    "asia", "onion", "ai", // Country codes
    "ru", "su", "cn", "de", "uk", "us", "ca", "au", "jp", "kr", "in", "br", "fr", "it", "es", "nl",
    "be", "ch", "at", "se", "no", "dk", "fi", "ie", "pt", "gr", "cz", "ro", "bg", "ua", "by", "kz",
    "ir", "tr", "il", "ae", "sa", "za", "ng", "mx", "ar", "cl", "tw", "hk", "sg", "my", "th", "vn",
    "ph", "pk", "nz", "eu", "ws", "pw", "tk", "ml", "ga", "cf", "gq", "ly", "la", "st", "cx", "gg",
];

/// Whether `tld` (any case) is in [`KNOWN_TLDS`].
pub fn is_known_tld(tld: &str) -> bool {
    KNOWN_TLDS
        .iter()
        .any(|known| known.eq_ignore_ascii_case(tld))
}

/// Whether `name` is a syntactically valid host name of at least two labels:
/// each label 1–63 letters, digits or inner hyphens, 253 bytes at most, and
/// an alphabetic last label.
pub fn is_hostname(name: &str) -> bool {
    if name.len() > 253 {
        return false;
    }
    let labels: Vec<&str> = name.split('.').collect();
    let valid_label = |label: &&str| {
        (1..=63).contains(&label.len())
            && label
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-')
            && !label.starts_with('-')
            && !label.ends_with('-')
    };
    labels.len() >= 2
        && labels.iter().all(valid_label)
        && labels
            .last()
            .is_some_and(|tld| tld.bytes().all(|b| b.is_ascii_alphabetic()))
}

/// `name` lowercased if it is a host name ([`is_hostname`]) with a known TLD.
pub fn normalize_domain(name: &str) -> Option<String> {
    let tld = name.rsplit('.').next()?;
    (is_hostname(name) && is_known_tld(tld)).then(|| name.to_ascii_lowercase())
}

/// Every domain name in `text`, lowercased, in order of appearance.
///
/// A candidate is a maximal run of letters, digits, `-`, `_` and `.` with
/// outer dots and hyphens dropped. It is a domain when it passes
/// [`normalize_domain`] and is not the local part of an e-mail address
/// (followed by `@`) or a method call (followed by `(`): `report.pdf` and
/// `logger.info(` are not domains, `mail.evil.co.uk` is.
pub fn domains(text: &str) -> Vec<String> {
    let bytes = text.as_bytes();
    let mut found = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if !is_domain_run_byte(bytes[i]) {
            i += 1;
            continue;
        }
        let start = i;
        while i < bytes.len() && is_domain_run_byte(bytes[i]) {
            i += 1;
        }
        if matches!(bytes.get(i), Some(b'@' | b'(')) {
            continue;
        }
        let run = text[start..i].trim_matches(|c| c == '.' || c == '-');
        if let Some(domain) = normalize_domain(run) {
            found.push(domain);
        }
    }
    found
}

/// Every e-mail address `local@domain` in `text`, in order of appearance,
/// with the domain lowercased (the local part keeps its case).
///
/// The domain must pass [`normalize_domain`]; the local part is 1–64 of
/// `A-Z a-z 0-9 . _ % + -` without leading, trailing or doubled dots. An `@`
/// at a byte offset in `skip_at` (a URL's user-info separator) is ignored.
pub fn emails(text: &str, skip_at: &BTreeSet<usize>) -> Vec<String> {
    let bytes = text.as_bytes();
    let mut found = Vec::new();
    for (at, _) in text.match_indices('@') {
        if skip_at.contains(&at) {
            continue;
        }
        let mut start = at;
        while start > 0 && is_local_byte(bytes[start - 1]) {
            start -= 1;
        }
        let mut end = at + 1;
        while end < bytes.len() && is_domain_run_byte(bytes[end]) {
            end += 1;
        }
        let local = text[start..at].trim_start_matches('.');
        let domain = text[at + 1..end].trim_end_matches(['.', '-']);
        let local_ok =
            (1..=64).contains(&local.len()) && !local.ends_with('.') && !local.contains("..");
        if let Some(domain) = normalize_domain(domain).filter(|_| local_ok) {
            found.push(format!("{local}@{domain}"));
        }
    }
    found
}

fn is_domain_run_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_')
}

fn is_local_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'%' | b'+' | b'-')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn no_skip() -> BTreeSet<usize> {
        BTreeSet::new()
    }

    #[test]
    fn tld_list_is_lowercase_and_unique() {
        let unique: BTreeSet<_> = KNOWN_TLDS.iter().collect();
        assert_eq!(unique.len(), KNOWN_TLDS.len());
        assert!(
            KNOWN_TLDS
                .iter()
                .all(|t| t.bytes().all(|b| b.is_ascii_lowercase()))
        );
    }

    #[test]
    fn finds_domains_and_lowercases_them() {
        assert_eq!(
            domains("Beacon to Update-Check.NET, then cdn.evil-host.co.uk and x.onion."),
            ["update-check.net", "cdn.evil-host.co.uk", "x.onion"]
        );
    }

    #[test]
    fn file_names_are_not_domains() {
        assert!(domains("report.pdf invoice.exe auth.log setup.py archive.zip a.b").is_empty());
        assert!(domains("run payload.ps1 from C:\\Users\\x\\AppData\\update.dll").is_empty());
    }

    #[test]
    fn method_calls_and_local_parts_are_not_domains() {
        assert!(domains("logger.info(\"x\") and window.top(").is_empty());
        assert_eq!(domains("first.last@corp.example.com"), ["corp.example.com"]);
    }

    #[test]
    fn labels_must_be_valid() {
        assert_eq!(
            domains("bad_label.com -lead.com- two..dots.com"),
            ["lead.com"]
        );
        assert!(domains("a-.com x.-b.com").is_empty());
        let long = format!("{}.com", "a".repeat(64));
        assert!(domains(&long).is_empty());
    }

    #[test]
    fn domains_inside_urls() {
        assert_eq!(
            domains("https://login.micros0ft-support.com:8443/auth?next=portal.example.org"),
            ["login.micros0ft-support.com", "portal.example.org"]
        );
    }

    #[test]
    fn hostname_rules() {
        assert!(is_hostname("intranet.corp"));
        assert!(!is_hostname("localhost"));
        assert!(!is_hostname("1.2.3.4"));
        assert!(!is_hostname("a..b"));
    }

    #[test]
    fn finds_emails() {
        assert_eq!(
            emails(
                "From: Billing <Billing.Dept+inv@Secure-Pay.RU>; cc it@corp.example.com.",
                &no_skip()
            ),
            ["Billing.Dept+inv@secure-pay.ru", "it@corp.example.com"]
        );
    }

    #[test]
    fn rejects_bad_emails() {
        let text = "a@b @evil.com x@report.pdf .@x.com a..b@x.com user@localhost";
        assert!(emails(text, &no_skip()).is_empty());
        assert_eq!(emails(".lead@x.com", &no_skip()), ["lead@x.com"]);
    }

    #[test]
    fn skips_url_user_info() {
        let text = "ftp://anonymous@files.evil.ru/";
        let at = text.find('@').unwrap();
        assert!(emails(text, &BTreeSet::from([at])).is_empty());
    }
}
