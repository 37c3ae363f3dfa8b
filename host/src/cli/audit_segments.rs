//! What `audit verify` says of the segments it read: each run of them in
//! one folder, with the records it holds — sealed ones beside the log,
//! those retention moved in their archive, then the open one.

use std::io::{BufRead as _, BufReader, Seek as _, SeekFrom};
use std::path::{Path, PathBuf};

use crate::audit::{ChainFile, Segment};

/// Print which segments the chain in `log` (of `records` records) was
/// read from, and where; nothing for a chain of one segment.
pub(crate) fn print(log: &Path, records: u64) -> anyhow::Result<()> {
    let Ok(chain) = ChainFile::open(log) else {
        return Ok(());
    };
    if chain.segments().len() < 2 {
        return Ok(());
    }
    let open_first = open_first_seq(&chain);
    out!("read from {} segments:", chain.segments().len());
    for line in lines(chain.segments(), open_first, records) {
        out!("  {line}");
    }
    Ok(())
}

/// The seq of the open segment's first record (`None` while it has none).
fn open_first_seq(chain: &ChainFile) -> Option<u64> {
    #[derive(serde::Deserialize)]
    struct Seq {
        seq: u64,
    }
    let open = chain.segments().last()?;
    let mut f = chain.try_clone().ok()?;
    f.seek(SeekFrom::Start(open.start)).ok()?;
    let mut line = String::new();
    BufReader::new(f).read_line(&mut line).ok()?;
    serde_json::from_str::<Seq>(&line).ok().map(|s| s.seq)
}

/// A line for each run of `parts` in one folder, with the records it
/// holds; the open segment (the last part) starts at `open_first`.
fn lines(parts: &[Segment], open_first: Option<u64>, records: u64) -> Vec<String> {
    let folder = |p: &Segment| p.path.parent().map(Path::to_path_buf);
    let first_of = |i: usize| {
        let p = parts.get(i)?;
        p.first_seq.or(if i + 1 == parts.len() {
            open_first
        } else {
            None
        })
    };
    let mut out = Vec::new();
    let (mut at, mut next) = (0, 1);
    while at < parts.len() {
        let here = folder(&parts[at]);
        let n = parts[at..]
            .iter()
            .take_while(|p| folder(p) == here && p.first_seq.is_some())
            .count()
            .max(1);
        let first = parts[at].first_seq.unwrap_or(next);
        let last = first_of(at + n).map_or(records, |f| f.saturating_sub(1));
        let what = match (parts[at].first_seq, parts[at].archived) {
            (None, _) => "the open segment".to_owned(),
            (Some(_), true) => format!("{n} segment(s) moved by retention"),
            (Some(_), false) => format!("{n} sealed segment(s)"),
        };
        let held = if last < first {
            "no records yet".to_owned()
        } else {
            format!("records {first}..{last}")
        };
        let dir = here.unwrap_or_else(PathBuf::new);
        out.push(format!("{what} in {}: {held}", dir.display()));
        (at, next) = (at + n, last + 1);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn part(path: &str, first_seq: Option<u64>, archived: bool) -> Segment {
        Segment {
            path: PathBuf::from(path),
            first_seq,
            start: 0,
            len: 0,
            archived,
        }
    }

    #[test]
    fn each_folder_of_segments_is_named_with_the_records_it_holds() {
        let parts = [
            part("/archive/00000000000000000001.jsonl", Some(1), true),
            part("/archive/00000000000000000101.jsonl", Some(101), true),
            part("/a/segments/00000000000000000201.jsonl", Some(201), false),
            part("/a/segments/00000000000000000231.jsonl", Some(231), false),
            part("/a/audit.jsonl", None, false),
        ];
        assert_eq!(
            lines(&parts, Some(261), 300),
            [
                "2 segment(s) moved by retention in /archive: records 1..200",
                "2 sealed segment(s) in /a/segments: records 201..260",
                "the open segment in /a: records 261..300",
            ]
        );
        // Right after a seal, the open segment is empty.
        assert_eq!(
            lines(&parts[2..], None, 260),
            [
                "2 sealed segment(s) in /a/segments: records 201..260",
                "the open segment in /a: no records yet",
            ]
        );
    }
}
