//! Finding the line of a policy error in its file.

/// The line of the first label of a diagnostic, in `text`.
pub(super) fn first_line(d: &dyn miette::Diagnostic, text: &str) -> usize {
    let offset = d.labels().and_then(|mut l| l.next()).map(|l| l.offset());
    let offset = offset.or_else(|| {
        d.related()
            .and_then(|mut r| r.next())
            .and_then(|r| r.labels())
            .and_then(|mut l| l.next())
            .map(|l| l.offset())
    });
    offset.map_or(0, |o| text[..o.min(text.len())].matches('\n').count() + 1)
}

pub(super) fn first_message(e: &cedar_policy::ParseErrors) -> String {
    e.iter()
        .next()
        .map_or_else(|| e.to_string(), ToString::to_string)
}

/// The line where the `n`th policy of a file starts (1-based), found by
/// counting statement ends outside strings and comments.
pub(super) fn policy_start_line(text: &str, n: usize) -> usize {
    let mut count = 0;
    let mut line = 1;
    let mut start_line = None;
    let mut in_str = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\n' {
            line += 1;
            continue;
        }
        if in_str {
            if c == '\\' {
                chars.next();
            } else if c == '"' {
                in_str = false;
            }
            continue;
        }
        if c == '/' && chars.peek() == Some(&'/') {
            for c2 in chars.by_ref() {
                if c2 == '\n' {
                    line += 1;
                    break;
                }
            }
            continue;
        }
        if c.is_whitespace() {
            continue;
        }
        if start_line.is_none() {
            start_line = Some(line);
        }
        if c == '"' {
            in_str = true;
        } else if c == ';' {
            if count == n {
                return start_line.unwrap_or(line);
            }
            count += 1;
            start_line = None;
        }
    }
    start_line.unwrap_or(line)
}
