//! Reading lines from a log file, bounded in length, and cutting them for
//! output.

use std::io::{self, BufRead};

/// Only this much of a longer line is read and matched; the rest is skipped.
pub const MAX_LINE_BYTES: usize = 1024 * 1024;

/// Read one line into `buf` without its `\n` or `\r\n`, keeping at most
/// [`MAX_LINE_BYTES`] of it. Returns `false` at the end of input.
pub fn read_line(reader: &mut impl BufRead, buf: &mut Vec<u8>) -> io::Result<bool> {
    buf.clear();
    let mut read_any = false;
    loop {
        let chunk = reader.fill_buf()?;
        if chunk.is_empty() {
            break;
        }
        read_any = true;
        let (take, done) = match chunk.iter().position(|&b| b == b'\n') {
            Some(i) => (i, true),
            None => (chunk.len(), false),
        };
        let room = MAX_LINE_BYTES.saturating_sub(buf.len());
        buf.extend_from_slice(&chunk[..take.min(room)]);
        reader.consume(if done { take + 1 } else { take });
        if done {
            break;
        }
    }
    if buf.last() == Some(&b'\r') {
        buf.pop();
    }
    Ok(read_any)
}

/// The longest prefix of `s` of at most `max` bytes that ends on a
/// character boundary.
pub fn cut(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn read_line_caps_and_strips_endings() {
        let data = format!("one\r\n{}\nthree", "z".repeat(MAX_LINE_BYTES + 10));
        let mut reader = std::io::BufReader::with_capacity(64, data.as_bytes());
        let mut buf = Vec::new();
        let mut lines = Vec::new();
        while read_line(&mut reader, &mut buf).unwrap() {
            lines.push(buf.len());
        }
        assert_eq!(lines, [3, MAX_LINE_BYTES, 5]);
    }

    #[test]
    fn cut_respects_char_boundaries() {
        assert_eq!(cut("abc", 10), "abc");
        assert_eq!(cut("aé", 2), "a");
        assert_eq!(cut("aé", 3), "aé");
    }
}
