//! Reading what was appended to the chain since an offset, whole lines
//! only (a line still being written is left for the next read): the one
//! loop behind the incremental readers ([`CallIndex`](super::CallIndex),
//! [`Tally`](super::Tally)).

use std::io::{BufRead, BufReader, Read, Seek, SeekFrom};

/// Hand each complete line of `file` from offset `from` to `each`, with
/// its offset; the offset after the last complete line.
///
/// # Errors
///
/// When the file cannot be read.
pub(crate) fn appended<F: Read + Seek>(
    mut file: F,
    from: u64,
    mut each: impl FnMut(u64, &[u8]),
) -> std::io::Result<u64> {
    file.seek(SeekFrom::Start(from))?;
    let mut reader = BufReader::new(file);
    let mut line = Vec::new();
    let mut at = from;
    loop {
        line.clear();
        let n = reader.read_until(b'\n', &mut line)?;
        if n == 0 || line.last() != Some(&b'\n') {
            return Ok(at);
        }
        each(at, &line);
        at += n as u64;
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn only_whole_lines_from_the_offset() {
        let text = b"one\ntwo\nthr";
        let mut seen = Vec::new();
        let end = super::appended(std::io::Cursor::new(text), 4, |at, l| {
            seen.push((at, l.to_vec()));
        })
        .unwrap();
        assert_eq!(seen, vec![(4, b"two\n".to_vec())]);
        assert_eq!(end, 8);
    }
}
