//! A call's input read once gives what reading its text again and again
//! gave: the same refusal, the same canonical JSON, and the same digests
//! and sizes in the audit record.

use serde_json::Value;

use super::*;

/// What the host did before it read an input once: the input layer on the
/// text (size, strict JSON, an object), the canonical form for the
/// plugin, and the digests of both.
struct Before {
    refusal: Option<String>,
    canonical: Option<String>,
    arrived: (String, u64),
    granted: Option<(String, u64)>,
}

fn facts(text: &str) -> (String, u64) {
    (
        format!("sha256:{}", sha256_hex(text.as_bytes())),
        text.len() as u64,
    )
}

fn before(text: &str) -> Before {
    let read = if text.len() > MAX_INPUT {
        Err(format!(
            "it is {} bytes; the host accepts at most {MAX_INPUT}",
            text.len()
        ))
    } else {
        match parse_strict(text) {
            Ok(v) if v.is_object() => Ok(v),
            Ok(_) => Err("it must be a JSON object".to_owned()),
            Err(e) => Err(e.to_string()),
        }
    };
    let canonical = read
        .as_ref()
        .ok()
        .map(|v| String::from_utf8(to_canonical(v)).unwrap());
    Before {
        refusal: read.err(),
        granted: canonical.as_deref().map(facts),
        canonical,
        arrived: facts(text),
    }
}

fn same(input: &CallInput, was: &Before, what: &str) {
    assert_eq!(input.arrived(), was.arrived, "{what}");
    assert_eq!(input.arrived_size(), was.arrived.1, "{what}");
    match input.arguments() {
        Ok(a) => {
            assert_eq!(was.refusal, None, "{what}");
            assert_eq!(Some(a.canonical()), was.canonical.as_deref(), "{what}");
            let granted = was.granted.clone().unwrap();
            assert_eq!((a.digest().to_owned(), a.size()), granted, "{what}");
            assert_eq!(format!("sha256:{}", a.hex()), a.digest(), "{what}");
            assert_eq!(
                a.value(),
                &parse_strict(was.canonical.as_deref().unwrap()).unwrap()
            );
        }
        Err(why) => assert_eq!(Some(why), was.refusal.as_deref(), "{what}"),
    }
}

fn texts() -> Vec<String> {
    let mut t: Vec<String> = [
        "{}",
        r#"{"a":1}"#,
        r#"{"b": 1, "a": [true, null, "x"]}"#,
        " {\"text\": \"beacon to 198.51.100.77\"}\n",
        r#"{"x":{"z":1,"y":[{"b":null,"a":1.5e-7}]},"n":-0.0}"#,
        r#"{"n": 2222222222222222224444444444444444, "f": 0.1}"#,
        r#"{"s":"é \u0000 \ud83d\ude00 \n \" \\ /"}"#,
        r#"{"arg":"b","arg":"a"}"#,
        r#"{"x": [{"z": 1, "z": 1}]}"#,
        r#"[1, 2]"#,
        r#""text""#,
        "null",
        "",
        "nope",
        "{} x",
        r#"{"a":"#,
    ]
    .map(str::to_owned)
    .into();
    // Around the limit: an object of exactly MAX_INPUT bytes, one byte
    // more, and an array that big.
    let pad = |n: usize| format!(r#"{{"p":"{}"}}"#, "x".repeat(n - 8));
    t.push(pad(MAX_INPUT));
    t.push(pad(MAX_INPUT + 1));
    t.push(format!("[\"{}\"]", "y".repeat(MAX_INPUT)));
    t
}

#[test]
fn text_read_once_is_text_read_as_before() {
    for text in texts() {
        let was = before(&text);
        let what = &text[..text.len().min(60)];
        same(&CallInput::from_text(&text), &was, what);
        same(&CallInput::from(text.clone()), &was, what);
        same(&CallInput::from(text.as_str()), &was, what);
    }
    same(&CallInput::default(), &before(""), "the default");
}

/// MCP's arguments and the HTTP body's input were written out as text
/// and read again; read once, they give what that text gave.
#[test]
fn a_parsed_value_is_what_its_text_was() {
    for text in texts() {
        let Ok(value) = serde_json::from_str::<Value>(&text) else {
            continue;
        };
        let was = before(&value.to_string());
        let what = &text[..text.len().min(60)];
        same(&CallInput::from_value(value.clone()), &was, what);
        same(&CallInput::from(value), &was, what);
    }
}

#[test]
fn canonical_text_is_not_kept_twice() {
    let input = CallInput::from_text(r#"{"a":1,"b":2}"#);
    let a = input.arguments().unwrap();
    assert!(matches!(a.arrived, Arrived::Canonical));
    assert_eq!(input.arrived().0, a.digest());
}
