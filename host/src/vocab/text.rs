//! Text that came from outside — a plugin, a manifest, an agent, a prompt —
//! made safe to keep and to show.
//!
//! [`cap`] bounds what is kept; [`safe`] and [`safe_json`] make what is
//! shown on an operator's terminal unable to move the cursor, recolour,
//! hide or reorder lines: control characters, escape sequences, bidi
//! overrides and other invisible format characters are shown escaped.

/// Longest free-text string kept in a record; the rest is cut and counted.
pub const MAX_TEXT: usize = 4096;

/// Cap a string from an agent or plugin at [`MAX_TEXT`] bytes, the cut
/// counted.
pub fn cap(s: &str) -> String {
    cap_at(s, MAX_TEXT)
}

/// Cap a string at `max` bytes (on a character boundary).
pub fn cap_at(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_owned();
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…[cut {} bytes]", &s[..end], s.len() - end)
}

/// Whether a character could change how a terminal shows other text:
/// C0/C1 controls (ESC included), bidi embeddings, overrides and isolates,
/// zero-width and other format characters, line and paragraph separators,
/// tag characters.
fn is_hazard(c: char) -> bool {
    c.is_control()
        || matches!(c,
            '\u{00AD}'
            | '\u{061C}'
            | '\u{180E}'
            | '\u{200B}'..='\u{200F}'
            | '\u{2028}'..='\u{202E}'
            | '\u{2060}'..='\u{206F}'
            | '\u{FEFF}'
            | '\u{FFF9}'..='\u{FFFB}'
            | '\u{E0000}'..='\u{E007F}')
}

/// `s` with every hazardous character shown as an escape (`\u{202e}`,
/// `\n`, `\u{1b}`), for printing on a terminal.
pub fn safe(s: &str) -> String {
    if !s.chars().any(is_hazard) {
        return s.to_owned();
    }
    let mut out = String::with_capacity(s.len() + 16);
    for c in s.chars() {
        if is_hazard(c) {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

/// JSON text with every hazardous character inside strings written as a
/// `\uXXXX` escape: the same JSON value, safe on a terminal.
pub fn safe_json(json: &str) -> String {
    if !json.chars().any(is_hazard) {
        return json.to_owned();
    }
    let mut out = String::with_capacity(json.len() + 16);
    let mut units = [0u16; 2];
    for c in json.chars() {
        // Outside strings JSON allows only ASCII whitespace, which is left
        // as it is; anything else hazardous can only be inside a string.
        if is_hazard(c) && !matches!(c, '\n' | '\r' | '\t') {
            for u in c.encode_utf16(&mut units) {
                out.push_str(&format!("\\u{u:04x}"));
            }
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn caps() {
        assert_eq!(cap_at("héllo", 2), "h…[cut 5 bytes]");
        assert_eq!(cap("short"), "short");
    }

    #[test]
    fn hazards_are_escaped() {
        assert_eq!(safe("plain text, ünïcode"), "plain text, ünïcode");
        assert_eq!(safe("a\u{1b}[31mred"), "a\\u{1b}[31mred");
        assert_eq!(safe("evil\u{202e}txt.exe"), "evil\\u{202e}txt.exe");
        assert_eq!(safe("x\u{2066}y\u{200b}z"), "x\\u{2066}y\\u{200b}z");
        assert_eq!(safe("two\nlines"), "two\\nlines");
        let j = serde_json::to_string(&serde_json::json!({"k": "a\u{202e}b\u{e0041}"})).unwrap();
        let s = safe_json(&j);
        assert!(!s.chars().any(is_hazard), "{s}");
        let back: serde_json::Value = serde_json::from_str(&s).unwrap();
        assert_eq!(back["k"], "a\u{202e}b\u{e0041}");
    }
}
