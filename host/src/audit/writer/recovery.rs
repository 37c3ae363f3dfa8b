//! Finding where the chain ends: the last complete record, and cutting a
//! torn final line that a crash during a write left behind.

use std::io::{Read, Seek, SeekFrom};

use super::file::Writer;
use crate::audit::record::Record;

impl Writer {
    /// Find the last complete record. With `repair`, cut a torn final line
    /// and return how many bytes were cut.
    pub(super) fn resync(&mut self, repair: bool) -> Result<u64, String> {
        let len = self.file.metadata().map_err(|e| e.to_string())?.len();
        if len == 0 {
            self.known_len = 0;
            (self.last_seq, self.last_hash) = self.sealed_head()?;
            return Ok(0);
        }
        let mut window: u64 = 64 * 1024;
        loop {
            let start = len.saturating_sub(window);
            let mut tail = Vec::new();
            self.file
                .seek(SeekFrom::Start(start))
                .map_err(|e| e.to_string())?;
            (&self.file)
                .take(len - start)
                .read_to_end(&mut tail)
                .map_err(|e| e.to_string())?;
            let complete_end = tail.iter().rposition(|b| *b == b'\n').map(|i| i + 1);
            let torn = tail.len() - complete_end.unwrap_or(0);
            let Some(end) = complete_end else {
                if start == 0 {
                    // The whole file is one torn line.
                    return self.cut(len, 0, repair);
                }
                window *= 4;
                continue;
            };
            let body = &tail[..end - 1];
            let line_start = body.iter().rposition(|b| *b == b'\n').map_or(0, |i| i + 1);
            if line_start == 0 && start > 0 {
                window *= 4;
                continue;
            }
            let last: Record = serde_json::from_slice(&body[line_start..])
                .map_err(|e| format!("the last complete record (ending at byte {}) is corrupt: {e}; run `warrant audit verify`", start + end as u64))?;
            self.last_seq = last.seq;
            self.last_hash = last.hash;
            let cut = self.cut(len, start + end as u64, repair && torn > 0)?;
            if torn > 0 && !repair {
                return Err("another writer left a torn line; reopen to repair".into());
            }
            return Ok(cut);
        }
    }

    fn cut(&mut self, len: u64, keep: u64, repair: bool) -> Result<u64, String> {
        if keep == 0 {
            (self.last_seq, self.last_hash) = self.sealed_head()?;
        }
        if repair && keep < len {
            self.file
                .set_len(keep)
                .map_err(|e| format!("cannot cut the torn line: {e}"))?;
            self.file.sync_data().map_err(|e| e.to_string())?;
        } else if keep < len {
            return Err("torn line".into());
        }
        self.known_len = keep;
        Ok(len - keep)
    }
}
