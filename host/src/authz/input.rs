//! A call's input, read once where the call arrives: each transport makes
//! one [`CallInput`] — MCP from the `arguments` rmcp already parsed (the raw
//! message was strictly checked for duplicate keys first), HTTP/JSON from
//! the strictly parsed body's `input`, the CLI and library callers from
//! text ([`CallInput::from_text`]) — and everything after it shares what
//! was read: policy reads the parsed value, the sandbox gets its canonical
//! form, the audit record its digest and size. Nothing parses, serialises
//! or hashes it again.
//!
//! An input the host does not accept (too big, not strict JSON, not an
//! object) is still a [`CallInput`]: it carries why, which the input layer
//! of [`Authz::authorize`](crate::authz::Authz::authorize) answers in its
//! turn (after the token, scope and tool layers), and the digest and size
//! of the text as it arrived, which the audit record keeps.

use std::sync::Arc;

use serde_json::Value;

use crate::keys::sha256_hex;
use crate::vocab::{parse_strict, to_canonical};

/// Longest input accepted, in bytes.
pub const MAX_INPUT: usize = 1024 * 1024;

/// A call's input: a JSON object, read once ([`Arguments`]), or why the
/// host refuses it. Cheap to clone (shared).
#[derive(Debug, Clone)]
pub struct CallInput(Read);

#[derive(Debug, Clone)]
enum Read {
    Accepted(Arc<Arguments>),
    Refused(Arc<Unacceptable>),
}

/// An accepted input: a JSON object, its canonical form (what the plugin
/// receives), and that form's digest and size (what the audit record
/// keeps of a granted call).
#[derive(Debug)]
pub struct Arguments {
    value: Value,
    canonical: String,
    /// `sha256:` and the hex digest of `canonical`.
    digest: String,
    arrived: Arrived,
}

/// How an accepted input arrived: a call refused before its arguments are
/// granted is recorded with the digest and size of the input as it came.
#[derive(Debug)]
enum Arrived {
    /// As text that is its canonical form.
    Canonical,
    /// As text in another form.
    Text(Box<str>),
    /// Already parsed by the transport: as `serde_json` writes it.
    Value,
}

/// An input the host refuses, and what the audit record keeps of it.
#[derive(Debug)]
struct Unacceptable {
    why: String,
    digest: String,
    size: u64,
}

fn digest(bytes: &[u8]) -> String {
    format!("sha256:{}", sha256_hex(bytes))
}

fn too_big(size: usize) -> Option<String> {
    (size > MAX_INPUT).then(|| format!("it is {size} bytes; the host accepts at most {MAX_INPUT}"))
}

const NOT_AN_OBJECT: &str = "it must be a JSON object";

impl CallInput {
    /// Input sent as JSON text (the CLI, library callers): parsed
    /// strictly (no key named twice), and accepted when it is an object of
    /// at most [`MAX_INPUT`] bytes.
    pub fn from_text(text: &str) -> Self {
        match Self::read(text) {
            Ok((value, canonical)) => {
                let arrived = if canonical == text {
                    Arrived::Canonical
                } else {
                    Arrived::Text(text.into())
                };
                Self::accepted(value, canonical, arrived)
            }
            Err(refused) => refused,
        }
    }

    /// The parsed object and its canonical form, or the refused input.
    fn read(text: &str) -> Result<(Value, String), Self> {
        if let Some(why) = too_big(text.len()) {
            return Err(Self::refused(why, text));
        }
        match parse_strict(text) {
            Ok(v) if v.is_object() => {
                let canonical = canonical(&v);
                Ok((v, canonical))
            }
            Ok(_) => Err(Self::refused(NOT_AN_OBJECT.into(), text)),
            Err(e) => Err(Self::refused(e.to_string(), text)),
        }
    }

    /// Input a transport already parsed strictly (the HTTP body's `input`,
    /// MCP's `arguments`): accepted when it is an object whose JSON is at
    /// most [`MAX_INPUT`] bytes.
    pub fn from_value(value: Value) -> Self {
        if !value.is_object() {
            let text = value.to_string();
            let why = too_big(text.len()).unwrap_or_else(|| NOT_AN_OBJECT.into());
            return Self::refused(why, &text);
        }
        let canonical = canonical(&value);
        // The canonical form differs from `serde_json`'s only in the order
        // of keys, so it has the same length.
        if let Some(why) = too_big(canonical.len()) {
            return Self::refused(why, &value.to_string());
        }
        Self::accepted(value, canonical, Arrived::Value)
    }

    fn accepted(value: Value, canonical: String, arrived: Arrived) -> Self {
        Self(Read::Accepted(Arc::new(Arguments {
            digest: digest(canonical.as_bytes()),
            value,
            canonical,
            arrived,
        })))
    }

    fn refused(why: String, text: &str) -> Self {
        Self(Read::Refused(Arc::new(Unacceptable {
            why,
            digest: digest(text.as_bytes()),
            size: text.len() as u64,
        })))
    }

    /// The accepted arguments, or why the input is refused (the input
    /// layer's `Refusal::Input`).
    ///
    /// # Errors
    ///
    /// Why the host does not accept the input.
    pub fn arguments(&self) -> Result<&Arc<Arguments>, &str> {
        match &self.0 {
            Read::Accepted(a) => Ok(a),
            Read::Refused(r) => Err(&r.why),
        }
    }

    /// The digest (`sha256:…`) and size of the input as it arrived: what
    /// the audit record keeps of a call refused before its arguments were
    /// granted. Hashed only here, and only when it differs from the
    /// canonical form.
    pub fn arrived(&self) -> (String, u64) {
        match &self.0 {
            Read::Refused(r) => (r.digest.clone(), r.size),
            Read::Accepted(a) => match &a.arrived {
                Arrived::Canonical => (a.digest.clone(), a.size()),
                Arrived::Text(t) => (digest(t.as_bytes()), t.len() as u64),
                Arrived::Value => {
                    let t = a.value.to_string();
                    (digest(t.as_bytes()), t.len() as u64)
                }
            },
        }
    }

    /// The size in bytes of the input as it arrived.
    pub fn arrived_size(&self) -> u64 {
        match &self.0 {
            Read::Refused(r) => r.size,
            Read::Accepted(a) => match &a.arrived {
                Arrived::Text(t) => t.len() as u64,
                // Same length as `serde_json` writes it (see `from_value`).
                Arrived::Canonical | Arrived::Value => a.size(),
            },
        }
    }
}

fn canonical(value: &Value) -> String {
    // Canonical JSON is written from `&str`s and `serde_json`'s output:
    // always UTF-8.
    String::from_utf8(to_canonical(value)).unwrap_or_default()
}

impl Arguments {
    /// The parsed object: what policy reads, what an approval is bound to.
    pub fn value(&self) -> &Value {
        &self.value
    }

    /// Its canonical JSON, exactly as the plugin receives it.
    pub fn canonical(&self) -> &str {
        &self.canonical
    }

    /// `sha256:` and the hex SHA-256 of the canonical JSON.
    pub fn digest(&self) -> &str {
        &self.digest
    }

    /// The hex SHA-256 of the canonical JSON.
    pub fn hex(&self) -> &str {
        self.digest.trim_start_matches("sha256:")
    }

    /// The size of the canonical JSON, in bytes.
    pub fn size(&self) -> u64 {
        self.canonical.len() as u64
    }
}

impl Default for CallInput {
    /// No input at all: empty text, refused as not JSON.
    fn default() -> Self {
        Self::from_text("")
    }
}

impl From<&str> for CallInput {
    fn from(text: &str) -> Self {
        Self::from_text(text)
    }
}

impl From<&String> for CallInput {
    fn from(text: &String) -> Self {
        Self::from_text(text)
    }
}

impl From<String> for CallInput {
    fn from(text: String) -> Self {
        match Self::read(&text) {
            Ok((value, canonical)) => {
                let arrived = if canonical == text {
                    Arrived::Canonical
                } else {
                    Arrived::Text(text.into_boxed_str())
                };
                Self::accepted(value, canonical, arrived)
            }
            Err(refused) => refused,
        }
    }
}

impl From<Value> for CallInput {
    fn from(value: Value) -> Self {
        Self::from_value(value)
    }
}

#[cfg(test)]
#[path = "input_tests.rs"]
mod tests;
