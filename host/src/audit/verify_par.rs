//! `audit verify` on every core. The chain — its sealed segments and the
//! open one, as [`ChainFile`] reads them — is cut into chunks of whole
//! lines. Worker threads read the chunks: each line parsed, its stored
//! bytes hashed and its MAC checked (all that one record needs no other
//! record for, and most of a verification's work). The calling thread
//! walks the lines in order and checks all that links records: seq and
//! `prev`, checkpoints, the Merkle tree and its notes, the rules in force,
//! open calls. Its walk is the single-threaded one ([`Walk::step_read`]
//! is [`Walk::step`] with the line read elsewhere), so a fault is named as
//! it would be there, at the same line.

use std::io::{BufReader, Seek as _, SeekFrom};
use std::num::NonZero;
use std::sync::mpsc::sync_channel;

use crate::audit::ChainFile;
use crate::audit::fault::ChainFault;
use crate::audit::verify_line::{Fields, LineReader};
use crate::audit::verify_walk::{Walk, reordered};

/// The bytes of a chunk (about: a chunk ends with its last line).
#[cfg(not(test))]
const CHUNK: u64 = 4 << 20;
/// Small in unit tests, so that their chains are walked in many chunks,
/// with lines across chunks.
#[cfg(test)]
const CHUNK: u64 = 2 << 10;
/// Below this many bytes to walk, one thread walks alone.
const PARALLEL_FROM: u64 = 4 * CHUNK;
/// Bytes read at a time past a chunk's end, to its last line's end.
const MORE: usize = 64 << 10;

/// The threads to read `bytes` of chain with, `threads` asked for (0:
/// one per core), or `None` when one thread should walk them alone.
pub(crate) fn workers(bytes: u64, threads: usize) -> Option<usize> {
    let n = match threads {
        0 => std::thread::available_parallelism().map_or(1, NonZero::get),
        n => n,
    };
    (bytes >= PARALLEL_FROM && n > 1).then_some(n)
}

/// The lines of one chunk as a worker read them.
struct Chunk {
    /// The lines, each with its newline (the chain's last may have none).
    text: String,
    /// Where each line ends in `text`, with its fields when the fast path
    /// read it (`None`: the walk judges it by the definition).
    lines: Vec<(usize, Option<Fields>)>,
}

/// Walk the chain in `file` from `walk.offset` (a line's start) to its
/// end, `workers` threads reading the lines. `Ok(Some(whole))` when the
/// walk reached the end — `whole` when the last line ended with a
/// newline; `Ok(None)` when a chunk could not be read as text: the caller
/// walks on alone from `walk.offset` and names what it finds there.
///
/// # Errors
///
/// The first [`ChainFault`] of the walk.
pub(crate) fn walk_chunks(
    walk: &mut Walk<'_>,
    file: &ChainFile,
    workers: usize,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<Option<bool>, ChainFault> {
    let io = |e: std::io::Error| ChainFault::Io(e.to_string());
    let (from, total) = (walk.offset, file.len());
    let chunks = usize::try_from((total - from).div_ceil(CHUNK)).unwrap_or(usize::MAX);
    let mac = walk.keys.mac.as_deref();
    let workers = workers.min(chunks);
    std::thread::scope(|s| {
        let mut queues = Vec::with_capacity(workers);
        for first in 0..workers {
            // Each worker reads every `workers`-th chunk, at most one
            // ahead of the walk.
            let (tx, rx) = sync_channel(1);
            let mut f = file.try_clone().map_err(io)?;
            let mut reader = LineReader::new(true, mac);
            s.spawn(move || {
                for k in (first..chunks).step_by(workers) {
                    let lo = from + k as u64 * CHUNK;
                    let hi = (lo + CHUNK).min(total);
                    let chunk = read_chunk(&mut f, &mut reader, lo, hi, from, k + 1 == chunks);
                    if tx.send(chunk).is_err() {
                        return;
                    }
                }
            });
            queues.push(rx);
        }
        let mut whole = true;
        for k in 0..chunks {
            let Ok(Ok(chunk)) = queues[k % workers].recv() else {
                return Ok(None);
            };
            let mut start = 0;
            for &(end, fields) in &chunk.lines {
                let line = &chunk.text[start..end];
                start = end;
                if let Err(fault) = walk.step_read(line, fields) {
                    let mut rest = file.try_clone().map_err(io)?;
                    rest.seek(SeekFrom::Start(walk.offset)).map_err(io)?;
                    return Err(reordered(fault, &mut BufReader::new(rest)));
                }
                whole = line.ends_with('\n');
                if walk.line_no.is_multiple_of(5000) {
                    progress(walk.offset, total);
                }
            }
        }
        Ok(Some(whole))
    })
}

/// Read the lines that start in `lo..hi` (the chain's first line starts
/// at `from`) and their fields; the last chunk reads on to the file's end,
/// as far as it has grown. `Err` when they are not text or not there.
fn read_chunk(
    f: &mut ChainFile,
    reader: &mut LineReader,
    lo: u64,
    hi: u64,
    from: u64,
    last: bool,
) -> Result<Chunk, String> {
    // From the byte before `lo`, to tell whether a line starts at `lo`.
    let at = if lo == from { lo } else { lo - 1 };
    let mut buf = vec![0; usize::try_from(hi - at).map_err(|e| e.to_string())?];
    f.read_exact_at(&mut buf, at).map_err(|e| e.to_string())?;
    // The newline ending the line that holds byte `hi - 1`, looked for
    // from there on.
    let mut searched = buf.len() - 1;
    loop {
        if !last && let Some(i) = buf[searched..].iter().position(|&b| b == b'\n') {
            buf.truncate(searched + i + 1);
            break;
        }
        searched = buf.len();
        let had = buf.len();
        buf.resize(had + MORE, 0);
        let n = f
            .read_at(&mut buf[had..], at + had as u64)
            .map_err(|e| e.to_string())?;
        buf.truncate(had + n);
        if n == 0 {
            break;
        }
    }
    let skip = if lo == from {
        0
    } else {
        // Lines that started before `lo` are the previous chunk's.
        buf.iter()
            .position(|&b| b == b'\n')
            .map_or(buf.len(), |i| i + 1)
    };
    buf.drain(..skip);
    let text = String::from_utf8(buf).map_err(|e| e.to_string())?;
    let mut lines = Vec::with_capacity(text.len() / 512 + 1);
    let mut end = 0;
    for line in text.split_inclusive('\n') {
        end += line.len();
        lines.push((end, reader.fields(line.trim_end_matches('\n'))));
    }
    Ok(Chunk { text, lines })
}
