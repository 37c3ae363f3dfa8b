//! Canonical JSON: keys sorted, no whitespace. What is hashed or signed is
//! the canonical form of exactly the data that is interpreted.

use serde_json::Value;

/// Write `v` canonically.
pub fn to_canonical(v: &Value) -> Vec<u8> {
    let mut out = Vec::new();
    write_canonical(v, &mut out);
    out
}

fn write_canonical(v: &Value, out: &mut Vec<u8>) {
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
}
