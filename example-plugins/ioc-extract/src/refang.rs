//! Undo the "defanging" that analysts apply to indicators so that nobody
//! clicks them by accident: `hxxps://evil[.]com` becomes `https://evil.com`.

/// Bracketed forms and what they stand for. Matched case-insensitively.
const BRACKETED: &[(&str, &str)] = &[
    ("[://]", "://"),
    ("[:]", ":"),
    ("[.]", "."),
    ("(.)", "."),
    ("{.}", "."),
    ("[dot]", "."),
    ("(dot)", "."),
    ("{dot}", "."),
    ("[@]", "@"),
    ("[at]", "@"),
    ("(at)", "@"),
    ("{at}", "@"),
];

/// Rewrite every defanged form in `text` to its plain form.
///
/// Returns the rewritten text and whether anything was rewritten. Handled:
/// `hxxp`/`hxxps`/`fxp` schemes, `[.]` `(.)` `{.}` `[dot]` `(dot)` `{dot}`,
/// a spaced ` . ` between two alphanumerics, `[:]`, `[://]`, and `[@]`
/// `[at]` `(at)` `{at}`.
pub fn refang(text: &str) -> (String, bool) {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut changed = false;
    let mut i = 0;
    // Copy unchanged stretches in one go; `i` only ever stops on ASCII bytes
    // or at the end, so every slice below falls on a character boundary.
    let mut copied_to = 0;
    while i < bytes.len() {
        if let Some((len, plain)) = defanged_at(text, &out, i, copied_to) {
            out.push_str(&text[copied_to..i]);
            out.push_str(&plain);
            i += len;
            copied_to = i;
            changed = true;
        } else {
            i += 1;
            while i < bytes.len() && !bytes[i].is_ascii() {
                i += 1;
            }
        }
    }
    out.push_str(&text[copied_to..]);
    (out, changed)
}

/// If a defanged form starts at byte `i`, its length and replacement.
fn defanged_at(text: &str, out: &str, i: usize, copied_to: usize) -> Option<(usize, String)> {
    let bytes = text.as_bytes();
    if !matches!(
        bytes[i],
        b'[' | b'(' | b'{' | b'h' | b'H' | b'f' | b'F' | b' '
    ) {
        return None;
    }
    let rest = &bytes[i..];
    for (from, to) in BRACKETED {
        if starts_with_ignore_case(rest, from.as_bytes()) {
            return Some((from.len(), (*to).to_owned()));
        }
    }
    // The byte before `i` in the rewritten text so far.
    let prev = if i > copied_to {
        Some(bytes[i - 1])
    } else {
        out.as_bytes().last().copied()
    };
    let at_word_start = prev.is_none_or(|b| !b.is_ascii_alphanumeric());
    // hxxp / hxxps -> http / https, and fxp -> ftp only as a scheme, keeping
    // the case of each letter.
    if at_word_start && starts_with_ignore_case(rest, b"hxxp") {
        return Some((4, x_to_t(&text[i..i + 4])));
    }
    let fxp_scheme = [b"://".as_slice(), b"[:", b":/"]
        .iter()
        .any(|sep| rest.get(3..).is_some_and(|after| after.starts_with(sep)));
    if at_word_start && starts_with_ignore_case(rest, b"fxp") && fxp_scheme {
        return Some((3, x_to_t(&text[i..i + 3])));
    }
    // "evil . com" -> "evil.com", only between two alphanumerics.
    if rest.starts_with(b" . ")
        && prev.is_some_and(|b| b.is_ascii_alphanumeric())
        && rest.get(3).is_some_and(u8::is_ascii_alphanumeric)
    {
        return Some((3, ".".to_owned()));
    }
    None
}

/// `s` with each `x` turned into `t`, keeping case.
fn x_to_t(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            'x' => 't',
            'X' => 'T',
            other => other,
        })
        .collect()
}

/// ASCII case-insensitive prefix test.
fn starts_with_ignore_case(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.len() >= needle.len() && haystack[..needle.len()].eq_ignore_ascii_case(needle)
}

#[cfg(test)]
mod tests {
    use super::refang;

    #[test]
    fn plain_text_is_unchanged() {
        let text = "Nothing to see at https://example.com, café ünïcode.";
        assert_eq!(refang(text), (text.to_owned(), false));
    }

    #[test]
    fn schemes() {
        assert_eq!(refang("hxxp://a.com").0, "http://a.com");
        assert_eq!(refang("hxxps://a.com").0, "https://a.com");
        assert_eq!(refang("HXXPS://a.com").0, "HTTPS://a.com");
        assert_eq!(refang("fxp://files.a.com").0, "ftp://files.a.com");
        assert_eq!(refang("fxp[:]//files.a.com").0, "ftp://files.a.com");
        assert_eq!(refang("FXP://files.a.com").0, "FTP://files.a.com");
        assert_eq!(refang("hxxps[://]a[.]com").0, "https://a.com");
    }

    #[test]
    fn schemes_only_at_word_start() {
        // Not a scheme: inside a word.
        assert_eq!(refang("abchxxpdef"), ("abchxxpdef".to_owned(), false));
        assert_eq!(refang("the fxp tool"), ("the fxp tool".to_owned(), false));
    }

    #[test]
    fn dots_colons_and_ats() {
        assert_eq!(refang("evil[.]com").0, "evil.com");
        assert_eq!(refang("evil(.)com").0, "evil.com");
        assert_eq!(refang("evil{.}com").0, "evil.com");
        assert_eq!(refang("evil[DOT]com").0, "evil.com");
        assert_eq!(refang("evil(dot)com").0, "evil.com");
        assert_eq!(refang("evil . com").0, "evil.com");
        assert_eq!(refang("1.2.3[.]4[:]8080").0, "1.2.3.4:8080");
        assert_eq!(refang("bob[@]evil[.]ru").0, "bob@evil.ru");
        assert_eq!(refang("bob[at]evil.ru").0, "bob@evil.ru");
        assert_eq!(refang("bob(AT)evil.ru").0, "bob@evil.ru");
        assert!(refang("evil[.]com").1);
    }

    #[test]
    fn spaced_dot_needs_alphanumerics_on_both_sides() {
        assert_eq!(refang("end . ").0, "end . ");
        assert_eq!(refang("( . )").0, "( . )");
        assert!(!refang("a sentence . ").1);
    }

    #[test]
    fn keeps_multibyte_text_around_replacements() {
        assert_eq!(refang("« évil[.]com »").0, "« évil.com »");
    }
}
