//! `warrant.toml` described by its own types: a JSON Schema (schemars, from
//! the same serde types the parser uses, so the two cannot disagree) and
//! the book's configuration reference rendered from that schema.

use serde_json::Value;

use crate::config::ConfigFile;

/// The JSON Schema (draft 2020-12) of `warrant.toml`, for editors.
#[must_use]
pub fn json_schema() -> Value {
    let mut s = schemars::schema_for!(ConfigFile).to_value();
    if let Some(o) = s.as_object_mut() {
        o.insert("title".into(), "warrant.toml".into());
    }
    s
}

/// The configuration reference (Markdown): every key of every table, with
/// its type, default and meaning, in the order of the types.
#[must_use]
pub fn reference() -> String {
    crate::vocab::schema_doc::reference(
        &json_schema(),
        "# Configuration: warrant.toml\n\n\
         Generated from the types the parser reads (`warrant config reference`; a test \
         keeps this page equal to its output), so every key the parser accepts is here \
         and no other: a key not listed is refused, never ignored. `warrant config schema` \
         prints the same as a JSON Schema for editors. Durations are written like `20s`, \
         `5m`, `1h`; sizes like `64MiB`; paths are relative to the config file. Where no \
         default is shown, leaving the key out means what its description says.\n\n\
         The example `manifests/warrant.toml` shows most keys in use.\n",
    )
}
