//! Undo the "defanging" analysts apply to indicators so that nobody clicks
//! them by accident: `hxxps://evil[.]com` becomes `https://evil.com`.

/// Defanged forms and what they stand for, matched case-insensitively.
const DEFANGED: &[(&str, &str)] = &[
    ("[://]", "://"),
    ("[:]", ":"),
    ("[.]", "."),
    ("(.)", "."),
    ("{.}", "."),
    ("[dot]", "."),
    ("(dot)", "."),
    ("{dot}", "."),
];

/// Undo common defanging: a leading `hxxp`/`hxxps` becomes `http`/`https`,
/// and `[.]`, `(.)`, `{.}`, `[dot]`, `[:]` and `[://]` their plain forms.
pub fn refang(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    if starts_with_ignore_case(rest, "hxxp") {
        out.extend(rest[..4].chars().map(|c| match c {
            'x' => 't',
            'X' => 'T',
            other => other,
        }));
        rest = &rest[4..];
    }
    while let Some(c) = rest.chars().next() {
        // Every pattern is ASCII, so the slices below fall on char boundaries.
        if let Some((from, to)) = DEFANGED
            .iter()
            .find(|(from, _)| starts_with_ignore_case(rest, from))
        {
            out.push_str(to);
            rest = &rest[from.len()..];
        } else {
            out.push(c);
            rest = &rest[c.len_utf8()..];
        }
    }
    out
}

/// ASCII case-insensitive prefix test.
pub fn starts_with_ignore_case(text: &str, prefix: &str) -> bool {
    text.len() >= prefix.len()
        && text.as_bytes()[..prefix.len()].eq_ignore_ascii_case(prefix.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refangs_common_forms() {
        assert_eq!(
            refang("hxxps://cdn-update[.]top/payload.bin"),
            "https://cdn-update.top/payload.bin"
        );
        assert_eq!(refang("HXXP[://]evil(.)com"), "HTTP://evil.com");
        assert_eq!(refang("203.0.113[.]45"), "203.0.113.45");
        assert_eq!(refang("evil[DOT]top{.}com"), "evil.top.com");
        assert_eq!(refang("1.2.3.4[:]80"), "1.2.3.4:80");
        assert_eq!(refang("café[.]fr"), "café.fr");
        assert_eq!(refang("example.com"), "example.com");
    }

    #[test]
    fn prefix_test_ignores_ascii_case() {
        assert!(starts_with_ignore_case("HtTp://x", "http://"));
        assert!(!starts_with_ignore_case("htt", "http"));
    }
}
