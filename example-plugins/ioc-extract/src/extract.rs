//! Put the scanners together: refang the text, run the scanners that were
//! asked for, filter private addresses, deduplicate in first-seen order.
//!
//! Sets are `BTreeSet`s rather than `HashSet`s: std's hasher seeds itself
//! from the host's randomness, and this component needs none.

use std::collections::BTreeSet;

use warrant_sdk::ToolError;

use crate::hash::{HashKind, hashes};
use crate::model::{Counts, IocType, Iocs, Options};
use crate::network::{ipv4s, ipv6s, is_private_ipv4, is_private_ipv6};
use crate::{domain, refang, url};

/// The largest text the tool accepts, in bytes (1 MiB).
pub const MAX_TEXT_BYTES: usize = 1024 * 1024;

/// Extract the indicators in `text`.
///
/// # Errors
///
/// [`ToolError::InvalidInput`] when `text` is over [`MAX_TEXT_BYTES`] or
/// `options.types` is empty.
pub fn extract(text: &str, options: &Options) -> Result<Iocs, ToolError> {
    if text.len() > MAX_TEXT_BYTES {
        return Err(ToolError::invalid_input(format!(
            "`text` is {} bytes; the limit is {MAX_TEXT_BYTES} (1 MiB)",
            text.len()
        )));
    }
    if options.types.is_empty() {
        return Err(ToolError::invalid_input(
            "`types` is empty; omit it to extract every kind",
        ));
    }
    let (text, defanged) = refang::refang(text);
    let wants = |kind| options.types.contains(&kind);
    let keep_all = options.include_private;
    let mut iocs = Iocs {
        defanged,
        ..Iocs::default()
    };
    if wants(IocType::Ipv4) {
        let found = ipv4s(&text).into_iter();
        iocs.ipv4 = unique(
            found
                .filter(|ip| keep_all || !is_private_ipv4(*ip))
                .map(|ip| ip.to_string()),
        );
    }
    if wants(IocType::Ipv6) {
        let found = ipv6s(&text).into_iter();
        iocs.ipv6 = unique(
            found
                .filter(|ip| keep_all || !is_private_ipv6(*ip))
                .map(|ip| ip.to_string()),
        );
    }
    if wants(IocType::Domain) {
        iocs.domains = unique(domain::domains(&text));
    }
    // URLs are scanned for e-mails too: their `user@` is not an address.
    let found_urls = if wants(IocType::Url) || wants(IocType::Email) {
        url::urls(&text)
    } else {
        Vec::new()
    };
    if wants(IocType::Email) {
        let skip: BTreeSet<usize> = found_urls.iter().filter_map(|u| u.user_info_at).collect();
        iocs.emails = unique(domain::emails(&text, &skip));
    }
    if wants(IocType::Url) {
        iocs.urls = unique(found_urls.into_iter().map(|u| u.url));
    }
    let found_hashes = hashes(&text);
    let of_kind = |kind: HashKind, wanted: IocType| {
        if wants(wanted) {
            unique(
                found_hashes
                    .iter()
                    .filter(|(k, _)| *k == kind)
                    .map(|(_, h)| h.clone()),
            )
        } else {
            Vec::new()
        }
    };
    iocs.md5 = of_kind(HashKind::Md5, IocType::Md5);
    iocs.sha1 = of_kind(HashKind::Sha1, IocType::Sha1);
    iocs.sha256 = of_kind(HashKind::Sha256, IocType::Sha256);
    iocs.counts = Counts {
        ipv4: iocs.ipv4.len(),
        ipv6: iocs.ipv6.len(),
        domains: iocs.domains.len(),
        urls: iocs.urls.len(),
        emails: iocs.emails.len(),
        md5: iocs.md5.len(),
        sha1: iocs.sha1.len(),
        sha256: iocs.sha256.len(),
    };
    Ok(iocs)
}

/// Drop repeats, keeping the first of each in order.
fn unique(items: impl IntoIterator<Item = String>) -> Vec<String> {
    let mut seen = BTreeSet::new();
    items
        .into_iter()
        .filter(|item| seen.insert(item.clone()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const REPORT: &str = include_str!("../testdata/threat-report.txt");

    fn only(types: &[IocType], include_private: bool) -> Options {
        Options {
            types: types.iter().copied().collect(),
            include_private,
        }
    }

    #[test]
    fn threat_report_fixture() {
        let iocs = extract(REPORT, &Options::default()).unwrap();
        assert_eq!(
            iocs.ipv4,
            ["203.0.113.45", "198.51.100.77", "185.220.101.47"]
        );
        assert_eq!(iocs.ipv6, ["2001:db8:dead:beef::47"]);
        assert_eq!(
            iocs.domains,
            [
                "secure-invoice-portal.com",
                "mailer.bulk-sender.xyz",
                "mx.bulk-sender.xyz",
                "mx1.example-corp.com",
                "cdn-update.top",
                "files.darkdrop.ru",
                "paste.example-drop.net",
                "protonmail.com",
                "www.secure-invoice-portal.com",
                "attack.mitre.org",
                "example-corp.com",
            ]
        );
        assert_eq!(
            iocs.urls,
            [
                "https://secure-invoice-portal.com/view/inv?id=88231&ref=mail",
                "http://cdn-update.top/api/v2/checkin",
                "https://185.220.101.47:8443/gate.php",
                "ftp://files.darkdrop.ru/pub/stage2.bin",
                "https://paste.example-drop.net/raw/Xk92LmQa",
                "https://attack.mitre.org/techniques/T1566/001/",
            ]
        );
        assert_eq!(
            iocs.emails,
            [
                "billing@secure-invoice-portal.com",
                "bounce-7731@mailer.bulk-sender.xyz",
                "ap.team@secure-invoice-portal.com",
                "exfil.box@protonmail.com",
                "soc@example-corp.com",
            ]
        );
        assert_eq!(
            iocs.md5,
            [
                "05f7dbf1451dc650387264a70b3f021c",
                "c7dead981eb3a9d47bd3314081d7930a"
            ]
        );
        assert_eq!(iocs.sha1, ["068feeab54c0eef59ff94017fb6e3e52fc519295"]);
        assert_eq!(
            iocs.sha256,
            [
                "a9f8be9e65a06a001ea6b843c2f3b9c8795968936fba9442f20c2b7d3f578ee2",
                "3e6617fdd62ab238c1bd8e4953d3860c2ed4344ecf3fe54f5e214efb3d03c58f",
            ]
        );
        let expected_counts = Counts {
            ipv4: 3,
            ipv6: 1,
            domains: 11,
            urls: 6,
            emails: 5,
            md5: 2,
            sha1: 1,
            sha256: 2,
        };
        assert_eq!(iocs.counts, expected_counts);
        assert!(iocs.defanged);
    }

    #[test]
    fn threat_report_with_private_addresses() {
        let iocs = extract(REPORT, &only(&[IocType::Ipv4, IocType::Ipv6], true)).unwrap();
        assert_eq!(
            iocs.ipv4,
            [
                "203.0.113.45",
                "198.51.100.77",
                "185.220.101.47",
                "192.168.14.7",
                "10.20.30.40",
                "127.0.0.1",
                "172.16.4.10",
            ]
        );
        assert_eq!(iocs.ipv6, ["2001:db8:dead:beef::47", "fe80::1"]);
        assert!(iocs.domains.is_empty() && iocs.urls.is_empty() && iocs.md5.is_empty());
        assert_eq!(iocs.counts.domains, 0);
    }

    #[test]
    fn types_select_lists() {
        let iocs = extract(REPORT, &only(&[IocType::Email, IocType::Sha1], false)).unwrap();
        assert_eq!(iocs.counts.emails, 5);
        assert_eq!(iocs.counts.sha1, 1);
        assert!(iocs.ipv4.is_empty() && iocs.urls.is_empty() && iocs.sha256.is_empty());
    }

    #[test]
    fn email_only_still_skips_url_user_info() {
        let iocs = extract(
            "ftp://anon@files.evil.ru/x",
            &only(&[IocType::Email], false),
        )
        .unwrap();
        assert!(iocs.emails.is_empty());
    }

    #[test]
    fn plain_text_is_not_defanged() {
        let iocs = extract("nothing here but 8.8.8.8", &Options::default()).unwrap();
        assert_eq!(iocs.ipv4, ["8.8.8.8"]);
        assert!(!iocs.defanged);
    }

    #[test]
    fn rejects_oversized_text_and_empty_types() {
        let big = "a".repeat(MAX_TEXT_BYTES + 1);
        let err = extract(&big, &Options::default()).unwrap_err();
        assert!(matches!(err, ToolError::InvalidInput(m) if m.contains("1 MiB")));
        assert!(extract(&big[1..], &Options::default()).is_ok());
        let err = extract("x", &only(&[], false)).unwrap_err();
        assert!(matches!(err, ToolError::InvalidInput(_)));
    }

    #[test]
    fn output_json_shape() {
        let iocs = extract("hxxp://evil[.]com/x", &Options::default()).unwrap();
        let json = serde_json::to_value(&iocs).unwrap();
        assert_eq!(json["urls"], serde_json::json!(["http://evil.com/x"]));
        assert_eq!(json["domains"], serde_json::json!(["evil.com"]));
        assert_eq!(json["counts"]["urls"], 1);
        assert_eq!(json["defanged"], true);
        assert_eq!(json.as_object().unwrap().len(), 10);
    }

    #[test]
    fn type_names_in_json() {
        let types: Vec<IocType> =
            serde_json::from_str(r#"["ipv4","ipv6","domain","url","email","md5","sha1","sha256"]"#)
                .unwrap();
        assert_eq!(types, IocType::ALL);
    }
}
