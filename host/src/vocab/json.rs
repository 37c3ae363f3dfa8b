//! JSON as the host hashes, signs and hands it on.
//!
//! *Canonical JSON*: object keys sorted (by their UTF-8 bytes), no
//! whitespace, strings escaped as `serde_json` escapes them. What is hashed
//! or signed is the canonical form of exactly the data that is interpreted.
//!
//! *Strict parsing*: JSON that names the same key twice in one object is
//! ambiguous — parsers disagree on which one wins — so input from agents is
//! parsed by [`parse_strict`], which refuses it.

use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

/// Write `v` canonically.
pub fn to_canonical(v: &Value) -> Vec<u8> {
    let mut out = Vec::new();
    write_canonical(v, &mut out);
    out
}

/// Append the canonical form of `v` to `out`.
pub fn write_canonical(v: &Value, out: &mut Vec<u8>) {
    match v {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            out.push(b'{');
            for (i, k) in keys.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_str(k, out);
                out.push(b':');
                write_canonical(&map[*k], out);
            }
            out.push(b'}');
        }
        Value::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_canonical(item, out);
            }
            out.push(b']');
        }
        Value::String(text) => write_str(text, out),
        other => {
            // Numbers, booleans and null serialise into a Vec infallibly.
            let _ = serde_json::to_writer(&mut *out, other);
        }
    }
}

fn write_str(s: &str, out: &mut Vec<u8>) {
    // Serialising a string into a Vec cannot fail.
    let _ = serde_json::to_writer(&mut *out, s);
}

/// Why JSON text was refused by [`parse_strict`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct StrictJsonError(String);

/// Parse JSON text, refusing an object that names one key twice, at any
/// depth. Nesting is limited as `serde_json` limits it (128 levels).
///
/// # Errors
///
/// [`StrictJsonError`] saying what is wrong and where (line, column).
pub fn parse_strict(text: &str) -> Result<Value, StrictJsonError> {
    let mut de = serde_json::Deserializer::from_str(text);
    let v = Strict
        .deserialize(&mut de)
        .map_err(|e| StrictJsonError(describe(&e)))?;
    de.end().map_err(|e| StrictJsonError(describe(&e)))?;
    Ok(v)
}

fn describe(e: &serde_json::Error) -> String {
    if e.is_syntax() || e.is_eof() {
        format!("it is not JSON: {e}")
    } else {
        e.to_string()
    }
}

/// A seed that builds a [`Value`] and refuses duplicate keys.
#[derive(Clone, Copy)]
struct Strict;

impl<'de> DeserializeSeed<'de> for Strict {
    type Value = Value;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Strict {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(serde_json::Number::from_f64(v).map_or(Value::Null, Value::Number))
    }

    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }

    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(1024));
        while let Some(v) = seq.next_element_seed(Strict)? {
            items.push(v);
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut out = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            if out.contains_key(&key) {
                return Err(de::Error::custom(format!(
                    "duplicate key {key:?}: an object names it twice, so different parsers would read different values"
                )));
            }
            let v = map.next_value_seed(Strict)?;
            out.insert(key, v);
        }
        Ok(Value::Object(out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_sorted_and_strings_escaped() {
        let v = serde_json::json!({"b": [1, true, null], "a": {"d": "x\ny", "c": 1.5}});
        assert_eq!(
            String::from_utf8(to_canonical(&v)).unwrap(),
            r#"{"a":{"c":1.5,"d":"x\ny"},"b":[1,true,null]}"#
        );
    }

    #[test]
    fn strict_parsing_refuses_duplicates_at_any_depth() {
        assert_eq!(
            parse_strict(r#"{"a": {"b": [1, {"c": 2}]}, "d": "x"}"#).unwrap(),
            serde_json::json!({"a": {"b": [1, {"c": 2}]}, "d": "x"})
        );
        for dup in [
            r#"{"arg":"b","arg":"a"}"#,
            r#"{"x": {"y": 1, "y": 2}}"#,
            r#"{"x": [{"z": 1, "z": 1}]}"#,
        ] {
            let e = parse_strict(dup).unwrap_err().to_string();
            assert!(e.contains("duplicate key"), "{e}");
            assert!(e.contains("line 1"), "{e}");
        }
        assert!(parse_strict("{} x").unwrap_err().0.contains("not JSON"));
        assert!(parse_strict("{\"a\":").unwrap_err().0.contains("not JSON"));
    }

    /// Found by the `call_body` fuzz target: a long integer parsed by
    /// serde_json's fast (not correctly rounded) float parser came out as a
    /// different number than its canonical form parses to, so a plugin
    /// would have run on another value than policy saw. With
    /// `float_roundtrip` parsing is exact and the round trip holds.
    #[test]
    fn numbers_survive_the_canonical_round_trip() {
        for text in [
            "2222222222222222224444444444444444",
            "{\"n\": 2222222222222222224444444444444444}",
            "[0.1, 1e-7, 123456789012345678901234567890, 2.5e300, -0.0]",
        ] {
            let v = parse_strict(text).unwrap();
            let canonical = to_canonical(&v);
            let again = parse_strict(std::str::from_utf8(&canonical).unwrap()).unwrap();
            assert_eq!(again, v, "{text}");
        }
    }
}
