//! The values that never leave the host: every secret handed to a plugin
//! and every credential the host adds to its requests. A response that
//! echoes one is scrubbed before the plugin reads it ([`Scrubber`]); an
//! output, error message or log line that holds one is blocked
//! ([`Watch::find`]).

use std::fmt;
use std::sync::Arc;

/// Values shorter than this are not watched: they occur in ordinary text
/// by chance. The host warns about each at load.
pub const MIN_WATCHED: usize = 8;

/// A secret value; never printed by `Debug` or `Display`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wrap a value.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The value, for delivery to the guest or to an upstream only.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(..)")
    }
}

/// Values a capability hands out as they are issued (short-lived access
/// tokens): the recent ones.
pub trait Issued: Send + Sync {
    /// The values issued and not yet forgotten.
    fn issued(&self) -> Vec<Secret>;
}

/// Every value one plugin must never let out, by name.
#[derive(Clone, Default)]
pub struct Watch {
    fixed: Vec<(String, Secret)>,
    issued: Vec<(String, Arc<dyn Issued>)>,
    short: Vec<String>,
}

impl fmt::Debug for Watch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Watch")
            .field(
                "fixed",
                &self.fixed.iter().map(|(n, _)| n).collect::<Vec<_>>(),
            )
            .field(
                "issued",
                &self.issued.iter().map(|(n, _)| n).collect::<Vec<_>>(),
            )
            .finish()
    }
}

impl Watch {
    /// Watch `value`, known as `name`.
    pub fn fixed(&mut self, name: &str, value: &Secret) {
        if value.expose().len() < MIN_WATCHED {
            if !value.expose().is_empty() {
                self.short.push(name.to_owned());
            }
            return;
        }
        self.fixed.push((name.to_owned(), value.clone()));
    }

    /// Watch every value `source` issues, known as `name`.
    pub fn issued(&mut self, name: &str, source: Arc<dyn Issued>) {
        self.issued.push((name.to_owned(), source));
    }

    /// Names whose values are too short to be watched.
    pub fn too_short(&self) -> &[String] {
        &self.short
    }

    /// Every value watched now, with its name.
    pub fn values(&self) -> Vec<(String, Secret)> {
        let mut out = self.fixed.clone();
        for (name, source) in &self.issued {
            out.extend(
                source
                    .issued()
                    .into_iter()
                    .filter(|v| v.expose().len() >= MIN_WATCHED)
                    .map(|v| (name.clone(), v)),
            );
        }
        out
    }

    /// The name of a watched value `text` holds, if any.
    pub fn find(&self, text: &str) -> Option<String> {
        if let Some((n, _)) = self.fixed.iter().find(|(_, v)| text.contains(v.expose())) {
            return Some(n.clone());
        }
        self.issued.iter().find_map(|(n, source)| {
            source
                .issued()
                .iter()
                .any(|v| v.expose().len() >= MIN_WATCHED && text.contains(v.expose()))
                .then(|| n.clone())
        })
    }

    /// Whether nothing is watched.
    pub fn is_empty(&self) -> bool {
        self.fixed.is_empty() && self.issued.is_empty()
    }
}

/// Replaces watched values in a stream of bytes with `[redacted NAME]`,
/// across chunk boundaries: the last bytes of a chunk that could begin a
/// value are held back until the next chunk (or the end) decides.
#[derive(Debug)]
pub struct Scrubber {
    /// Each value, its marker and its name.
    values: Vec<(Vec<u8>, Vec<u8>, String)>,
    hold: usize,
    carry: Vec<u8>,
    /// Names of the values replaced so far.
    pub replaced: Vec<String>,
}

impl Scrubber {
    /// A scrubber of `values` (name and value).
    pub fn new(values: &[(String, Secret)]) -> Self {
        let values: Vec<(Vec<u8>, Vec<u8>, String)> = values
            .iter()
            .filter(|(_, v)| !v.expose().is_empty())
            .map(|(n, v)| {
                (
                    v.expose().as_bytes().to_vec(),
                    format!("[redacted {n}]").into_bytes(),
                    n.clone(),
                )
            })
            .collect();
        let hold = values
            .iter()
            .map(|(v, _, _)| v.len())
            .max()
            .unwrap_or(1)
            .saturating_sub(1);
        Self {
            values,
            hold,
            carry: Vec::new(),
            replaced: Vec::new(),
        }
    }

    /// Whether there is nothing to scrub.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// Scrub `chunk`; returns what may be passed on now.
    pub fn feed(&mut self, chunk: &[u8]) -> Vec<u8> {
        self.carry.extend_from_slice(chunk);
        let (mut out, rest) = self.replace_all();
        // Whatever could still begin a value stays for the next chunk.
        let keep = rest.len().min(self.hold);
        let split = rest.len() - keep;
        out.extend_from_slice(&rest[..split]);
        self.carry = rest[split..].to_vec();
        out
    }

    /// The end of the stream: what was held back, scrubbed.
    pub fn finish(&mut self) -> Vec<u8> {
        let (mut out, rest) = self.replace_all();
        out.extend_from_slice(&rest);
        self.carry.clear();
        out
    }

    /// Scrub one complete text (a header value).
    pub fn whole(&mut self, text: &[u8]) -> Vec<u8> {
        let mut out = self.feed(text);
        out.extend(self.finish());
        out
    }

    /// Replace every whole value in the carry: the replaced part, and the
    /// tail after the last replacement (which may hold a value's start).
    fn replace_all(&mut self) -> (Vec<u8>, Vec<u8>) {
        let buf = std::mem::take(&mut self.carry);
        let mut out = Vec::with_capacity(buf.len());
        let mut i = 0;
        let mut last = 0;
        while i < buf.len() {
            let hit = self.values.iter().find(|(v, _, _)| buf[i..].starts_with(v));
            match hit {
                Some((v, marker, name)) => {
                    out.extend_from_slice(&buf[last..i]);
                    out.extend_from_slice(marker);
                    i += v.len();
                    last = i;
                    if !self.replaced.contains(name) {
                        self.replaced.push(name.clone());
                    }
                }
                None => i += 1,
            }
        }
        (out, buf[last..].to_vec())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scrub(values: &[(&str, &str)], chunks: &[&str]) -> String {
        let values: Vec<(String, Secret)> = values
            .iter()
            .map(|(n, v)| ((*n).to_owned(), Secret::new(*v)))
            .collect();
        let mut s = Scrubber::new(&values);
        let mut out = Vec::new();
        for c in chunks {
            out.extend(s.feed(c.as_bytes()));
        }
        out.extend(s.finish());
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn values_are_replaced_across_chunks() {
        let v = [("KEY", "s3cret-value")];
        assert_eq!(
            scrub(&v, &["echo: Bearer s3cret-value!"]),
            "echo: Bearer [redacted KEY]!"
        );
        assert_eq!(
            scrub(&v, &["echo: Bearer s3c", "ret-va", "lue and s3cret-value"]),
            "echo: Bearer [redacted KEY] and [redacted KEY]"
        );
        assert_eq!(
            scrub(&v, &["no secret ", "here s3cret"]),
            "no secret here s3cret"
        );
        assert_eq!(scrub(&[], &["plain"]), "plain");
    }

    #[test]
    fn short_values_are_not_watched_but_named() {
        let mut w = Watch::default();
        w.fixed("PIN", &Secret::new("1234"));
        w.fixed("KEY", &Secret::new("a-long-enough-key"));
        assert_eq!(w.too_short(), ["PIN".to_owned()]);
        assert_eq!(w.find("x a-long-enough-key y").as_deref(), Some("KEY"));
        assert_eq!(w.find("1234"), None);
        assert!(!format!("{w:?}").contains("a-long"));
    }
}
