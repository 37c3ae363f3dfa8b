//! Canonical JSON straight from typed values: a `serde` serialiser that
//! writes what [`write_canonical`](super::write_canonical) writes for the
//! value's `serde_json::Value` — object keys sorted by their UTF-8 bytes,
//! no whitespace, strings and numbers as `serde_json` writes them, a key
//! named twice kept once (the last, as a `Value` map keeps it) — without
//! building the `Value`. The audit writer serialises each record's data
//! with it into a reused buffer.
//!
//! Only objects are buffered, entry by entry, to be sorted; everything
//! else is written where it stands.

use std::borrow::Cow;
use std::fmt::Display;

use serde::ser::{self, Serialize};

/// Why a value could not be written canonically (a map key that is not a
/// string or a number; a custom `Serialize` that failed).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct CanonError(String);

impl ser::Error for CanonError {
    fn custom<T: Display>(msg: T) -> Self {
        Self(msg.to_string())
    }
}

/// Append the canonical JSON of `value` to `out`.
///
/// # Errors
///
/// [`CanonError`] when the value has a map key that is neither a string
/// nor a number, or its `Serialize` fails.
pub fn write_canonical_of<T: Serialize + ?Sized>(
    value: &T,
    out: &mut Vec<u8>,
) -> Result<(), CanonError> {
    value.serialize(Writer { out, keep: None })
}

/// The entries of an object of `value`, each key with its value's
/// canonical JSON, sorted by key, a key named twice kept once; `None`
/// when the value is not an object.
///
/// # Errors
///
/// As [`write_canonical_of`].
pub fn canonical_entries<T: Serialize + ?Sized>(value: &T) -> Result<Option<Entries>, CanonError> {
    let mut out = Vec::new();
    let mut entries = None;
    value.serialize(Writer {
        out: &mut out,
        keep: Some(&mut entries),
    })?;
    Ok(entries)
}

/// The entries of two objects as one object's: sorted, a key named in
/// both kept once (`b`'s, as a `Value` map keeps the last).
pub fn merge(mut a: Entries, b: Entries) -> Entries {
    a.extend(b);
    settle(&mut a);
    a
}

/// Write sorted `entries` as an object.
pub fn write_entries(entries: &[(Cow<'static, str>, Vec<u8>)], out: &mut Vec<u8>) {
    out.push(b'{');
    for (i, (k, v)) in entries.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        write_str(k, out);
        out.push(b':');
        out.extend_from_slice(v);
    }
    out.push(b'}');
}

fn write_str(s: &str, out: &mut Vec<u8>) {
    // Serialising a string into a Vec cannot fail.
    let _ = serde_json::to_writer(&mut *out, s);
}

fn write_display(v: impl Display, out: &mut Vec<u8>) {
    use std::io::Write as _;
    let _ = write!(out, "{v}");
}

fn write_f64(v: f64, out: &mut Vec<u8>) {
    // As `serde_json::Value` holds it: a finite float, else null.
    if v.is_finite() {
        let _ = serde_json::to_writer(&mut *out, &v);
    } else {
        out.extend_from_slice(b"null");
    }
}

/// Sort `entries` by key and keep the last of a key named twice.
fn settle(entries: &mut Entries) {
    entries.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
    let mut i = 1;
    while i < entries.len() {
        if entries[i - 1].0 == entries[i].0 {
            entries.remove(i - 1);
        } else {
            i += 1;
        }
    }
}

/// Entries of an object, with their canonical values.
pub type Entries = Vec<(Cow<'static, str>, Vec<u8>)>;

/// The serialiser: writes one value to `out` — or, an object given
/// `keep`, hands its sorted entries back.
struct Writer<'a> {
    out: &'a mut Vec<u8>,
    keep: Option<&'a mut Option<Entries>>,
}

/// An object being written: its entries, sorted at the end.
struct Object<'a> {
    out: &'a mut Vec<u8>,
    entries: Entries,
    key: Option<Cow<'static, str>>,
    /// `{"variant":` written before, `}` owed after (struct variants).
    close: bool,
    /// Hand the entries back instead of writing them (the top level).
    keep: Option<&'a mut Option<Entries>>,
}

/// An array being written.
struct Array<'a> {
    out: &'a mut Vec<u8>,
    first: bool,
    close: bool,
}

macro_rules! display_number {
    ($($f:ident: $t:ty),*) => {
        $(fn $f(self, v: $t) -> Result<(), CanonError> {
            write_display(v, self.out);
            Ok(())
        })*
    };
}

impl<'a> ser::Serializer for Writer<'a> {
    type Ok = ();
    type Error = CanonError;
    type SerializeSeq = Array<'a>;
    type SerializeTuple = Array<'a>;
    type SerializeTupleStruct = Array<'a>;
    type SerializeTupleVariant = Array<'a>;
    type SerializeMap = Object<'a>;
    type SerializeStruct = Object<'a>;
    type SerializeStructVariant = Object<'a>;

    display_number!(serialize_i8: i8, serialize_i16: i16, serialize_i32: i32, serialize_i64: i64,
        serialize_u8: u8, serialize_u16: u16, serialize_u32: u32, serialize_u64: u64,
        serialize_i128: i128, serialize_u128: u128);

    fn serialize_bool(self, v: bool) -> Result<(), CanonError> {
        self.out
            .extend_from_slice(if v { b"true" } else { b"false" });
        Ok(())
    }
    fn serialize_f32(self, v: f32) -> Result<(), CanonError> {
        write_f64(f64::from(v), self.out);
        Ok(())
    }
    fn serialize_f64(self, v: f64) -> Result<(), CanonError> {
        write_f64(v, self.out);
        Ok(())
    }
    fn serialize_char(self, v: char) -> Result<(), CanonError> {
        write_str(v.encode_utf8(&mut [0; 4]), self.out);
        Ok(())
    }
    fn serialize_str(self, v: &str) -> Result<(), CanonError> {
        write_str(v, self.out);
        Ok(())
    }
    fn serialize_bytes(self, v: &[u8]) -> Result<(), CanonError> {
        use ser::SerializeSeq as _;
        let mut a = self.serialize_seq(Some(v.len()))?;
        for b in v {
            a.serialize_element(b)?;
        }
        a.end()
    }
    fn serialize_none(self) -> Result<(), CanonError> {
        self.serialize_unit()
    }
    fn serialize_some<T: Serialize + ?Sized>(self, v: &T) -> Result<(), CanonError> {
        v.serialize(self)
    }
    fn serialize_unit(self) -> Result<(), CanonError> {
        self.out.extend_from_slice(b"null");
        Ok(())
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result<(), CanonError> {
        self.serialize_unit()
    }
    fn serialize_unit_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
    ) -> Result<(), CanonError> {
        self.serialize_str(variant)
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        v: &T,
    ) -> Result<(), CanonError> {
        v.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        v: &T,
    ) -> Result<(), CanonError> {
        self.out.push(b'{');
        write_str(variant, self.out);
        self.out.push(b':');
        v.serialize(Writer {
            out: &mut *self.out,
            keep: None,
        })?;
        self.out.push(b'}');
        Ok(())
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<Array<'a>, CanonError> {
        self.out.push(b'[');
        Ok(Array {
            out: self.out,
            first: true,
            close: false,
        })
    }
    fn serialize_tuple(self, n: usize) -> Result<Array<'a>, CanonError> {
        self.serialize_seq(Some(n))
    }
    fn serialize_tuple_struct(self, _: &'static str, n: usize) -> Result<Array<'a>, CanonError> {
        self.serialize_seq(Some(n))
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        _: usize,
    ) -> Result<Array<'a>, CanonError> {
        self.out.push(b'{');
        write_str(variant, self.out);
        self.out.extend_from_slice(b":[");
        Ok(Array {
            out: self.out,
            first: true,
            close: true,
        })
    }
    fn serialize_map(self, n: Option<usize>) -> Result<Object<'a>, CanonError> {
        Ok(Object {
            out: self.out,
            entries: Vec::with_capacity(n.unwrap_or(8)),
            key: None,
            close: false,
            keep: self.keep,
        })
    }
    fn serialize_struct(self, _: &'static str, n: usize) -> Result<Object<'a>, CanonError> {
        self.serialize_map(Some(n))
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        n: usize,
    ) -> Result<Object<'a>, CanonError> {
        self.out.push(b'{');
        write_str(variant, self.out);
        self.out.push(b':');
        let mut o = Writer {
            out: self.out,
            keep: None,
        }
        .serialize_map(Some(n))?;
        o.close = true;
        Ok(o)
    }
}

mod compound;

/// A map key as `serde_json::Value` keeps it: a string as it is, a
/// number as its text.
fn key_text<T: Serialize + ?Sized>(k: &T) -> Result<String, CanonError> {
    let mut bytes = Vec::new();
    k.serialize(Writer {
        out: &mut bytes,
        keep: None,
    })?;
    match bytes.first() {
        Some(b'"') => serde_json::from_slice(&bytes).map_err(|e| CanonError(e.to_string())),
        Some(b'-' | b'0'..=b'9') => String::from_utf8(bytes).map_err(|e| CanonError(e.to_string())),
        _ => Err(CanonError("a map key must be a string or a number".into())),
    }
}

#[cfg(test)]
mod tests;
