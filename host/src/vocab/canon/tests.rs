use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::json;

use super::*;
use crate::vocab::to_canonical;

/// What the canonical writer must write: the canonical form of the
/// value's `serde_json::Value`.
fn definition<T: Serialize>(v: &T) -> Vec<u8> {
    to_canonical(&serde_json::to_value(v).unwrap())
}

fn same<T: Serialize>(v: &T) {
    let mut out = Vec::new();
    write_canonical_of(v, &mut out).unwrap();
    assert_eq!(
        String::from_utf8_lossy(&out),
        String::from_utf8_lossy(&definition(v))
    );
}

#[derive(Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
enum Tagged {
    Http { method: String, status: Option<u16> },
    Secret { name: String },
}

#[derive(Serialize)]
#[serde(tag = "t", content = "c")]
enum Adjacent {
    One(Vec<u8>),
    Two { z: bool, a: f64 },
}

#[derive(Serialize)]
enum External {
    Unit,
    New(i64),
    Tuple(u8, String),
    Struct { b: char, a: () },
}

#[derive(Serialize)]
struct Inner {
    zeta: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    maybe: Option<String>,
    alpha: Vec<Tagged>,
}

#[derive(Serialize)]
struct Outer {
    name: &'static str,
    #[serde(flatten)]
    inner: Inner,
    #[serde(flatten)]
    more: BTreeMap<String, serde_json::Value>,
    adjacent: Vec<Adjacent>,
    external: Vec<External>,
    floats: (f32, f64, f64),
    ints: (i8, i128, u128),
    bytes: serde_bytes_like::Bytes,
}

mod serde_bytes_like {
    /// Serialised with `serialize_bytes`.
    pub struct Bytes(pub Vec<u8>);
    impl serde::Serialize for Bytes {
        fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            s.serialize_bytes(&self.0)
        }
    }
}

#[test]
fn typed_values_are_written_as_their_values_canonical_form() {
    let mut more = BTreeMap::new();
    more.insert(
        "beta".to_owned(),
        json!({"é": "\u{1F600}\"\\\n\t\u{7}", "a": [1, -2, 3.5]}),
    );
    more.insert("Zed".to_owned(), json!(null));
    let v = Outer {
        name: "</script>&\u{2028}",
        inner: Inner {
            zeta: u64::MAX,
            maybe: None,
            alpha: vec![
                Tagged::Http {
                    method: "GET".into(),
                    status: Some(200),
                },
                Tagged::Secret { name: "K".into() },
            ],
        },
        more,
        adjacent: vec![
            Adjacent::One(vec![1, 2]),
            Adjacent::Two { z: true, a: 1e-7 },
        ],
        external: vec![
            External::Unit,
            External::New(-5),
            External::Tuple(7, "x".into()),
            External::Struct { b: 'ß', a: () },
        ],
        floats: (0.1, f64::NAN, 1.0),
        ints: (-8, i128::from(i64::MIN), u128::from(u64::MAX)),
        bytes: serde_bytes_like::Bytes(vec![0, 255]),
    };
    same(&v);
    same(&json!({"b": {"y": [{"k": 1}, {"a": 2}]}, "a": ""}));
    same(&json!([]));
    same(&json!("plain"));
    let mut by_number = BTreeMap::new();
    by_number.insert(10_u32, "ten");
    by_number.insert(9, "nine");
    same(&by_number);
}

#[test]
fn a_key_named_twice_is_kept_once_the_last() {
    #[derive(Serialize)]
    struct Twice {
        a: u8,
        #[serde(flatten)]
        rest: BTreeMap<String, u8>,
    }
    let mut rest = BTreeMap::new();
    rest.insert("a".to_owned(), 2);
    same(&Twice { a: 1, rest });
}

#[test]
fn an_objects_entries_come_back_sorted() {
    let entries = canonical_entries(&json!({"b": [2], "a": {"y": 1, "x": 0}}))
        .unwrap()
        .unwrap();
    let keys: Vec<&str> = entries.iter().map(|(k, _)| k.as_ref()).collect();
    assert_eq!(keys, ["a", "b"]);
    assert_eq!(entries[0].1, br#"{"x":0,"y":1}"#);
    let mut out = Vec::new();
    write_entries(&entries, &mut out);
    assert_eq!(out, br#"{"a":{"x":0,"y":1},"b":[2]}"#);
    assert!(canonical_entries(&json!([1])).unwrap().is_none());
}
