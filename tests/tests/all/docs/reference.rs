//! The reference pages are generated from the types the parsers read, and
//! a test keeps each page equal to what the code generates today.

use super::{page, root};

/// `WARRANT_BLESS=1` rewrites the page instead of comparing.
fn same_as_generated(name: &str, generated: &str, command: &str) {
    if std::env::var_os("WARRANT_BLESS").is_some() {
        std::fs::write(root().join("host/docs").join(name), generated).expect("write the page");
    }
    assert!(
        page(name) == generated,
        "host/docs/{name} is not what `{command}` prints today: regenerate it \
         (`{command} > host/docs/{name}`, or WARRANT_BLESS=1)"
    );
}

/// Tables whose keys are names the operator chooses (a secret's, a tool's).
const NAMED: &[&str] = &[
    "env",
    "secrets",
    "dirs",
    "action-owners",
    "required",
    "tools",
    "concurrent",
];

/// Every key of a TOML document that the parser reads as a key (not the
/// names in the tables of `NAMED`).
fn keys(v: &toml::Value, out: &mut Vec<String>) {
    match v {
        toml::Value::Table(t) => {
            for (k, v) in t {
                out.push(k.clone());
                match (NAMED.contains(&k.as_str()), v) {
                    (true, toml::Value::Table(named)) => {
                        named.values().for_each(|v| keys(v, out));
                    }
                    _ => keys(v, out),
                }
            }
        }
        toml::Value::Array(a) => a.iter().for_each(|v| keys(v, out)),
        _ => {}
    }
}

#[test]
fn the_configuration_reference_is_generated_from_the_parsers_types() {
    let reference = warrant::config::schema::reference();
    same_as_generated(
        "config-reference.md",
        &reference,
        "warrant config reference",
    );
    // Every key the example config uses is in the reference, and the
    // schema names the tables the parser reads.
    let example = std::fs::read_to_string(root().join("manifests/warrant.toml")).expect("example");
    let mut used = Vec::new();
    keys(
        &toml::Value::Table(toml::from_str(&example).expect("toml")),
        &mut used,
    );
    let missing: Vec<_> = used
        .iter()
        .filter(|k| {
            !reference.contains(&format!("`{k}`"))
                && !reference.contains(&format!(".{k}]"))
                && !reference.contains(&format!("[{k}]"))
        })
        .collect();
    assert!(
        missing.is_empty(),
        "keys of manifests/warrant.toml not in the reference: {missing:?}"
    );
    let schema = warrant::config::schema::json_schema();
    for table in [
        "host",
        "sandbox",
        "trust",
        "plugins",
        "agents",
        "state",
        "governance",
    ] {
        assert!(
            schema["properties"][table].is_object(),
            "the schema has [{table}]"
        );
    }
    assert_eq!(
        schema["additionalProperties"],
        serde_json::json!(false),
        "unknown keys are refused"
    );
}

#[test]
fn the_manifest_reference_is_generated_from_the_parsers_types() {
    let reference = warrant::manifest::schema::reference();
    same_as_generated(
        "manifest-reference.md",
        &reference,
        "warrant config reference --manifest",
    );
    // Every key of every shipped manifest is in the reference.
    let mut used = Vec::new();
    let dir = root().join("manifests");
    let mut manifests = 0;
    for e in std::fs::read_dir(&dir).expect("manifests/").flatten() {
        let p = e.path();
        let text = std::fs::read_to_string(&p).unwrap_or_default();
        if p.extension().is_some_and(|x| x == "toml") && text.contains("manifest-version") {
            manifests += 1;
            keys(
                &toml::Value::Table(toml::from_str(&text).expect("toml")),
                &mut used,
            );
        }
    }
    assert!(
        manifests >= 4,
        "the shipped manifests were read ({manifests})"
    );
    let missing: Vec<_> = used
        .iter()
        .filter(|k| {
            !reference.contains(&format!("`{k}`"))
                && !reference.contains(&format!(".{k}]"))
                && !reference.contains(&format!("[{k}]"))
        })
        .collect();
    assert!(
        missing.is_empty(),
        "keys of the shipped manifests not in the reference: {missing:?}"
    );
    let schema = warrant::manifest::schema::json_schema();
    assert_eq!(
        schema["additionalProperties"],
        serde_json::json!(false),
        "unknown keys are refused"
    );
}
