//! The manifest format described by its own types: a JSON Schema and the
//! book's manifest reference, from the serde types the parser reads.

use serde_json::Value;

use crate::manifest::Manifest;

/// The JSON Schema (draft 2020-12) of a plugin manifest.
#[must_use]
pub fn json_schema() -> Value {
    let mut s = schemars::schema_for!(Manifest).to_value();
    if let Some(o) = s.as_object_mut() {
        o.insert("title".into(), "warrant plugin manifest".into());
    }
    s
}

/// The manifest reference (Markdown): every key with its type, default
/// and meaning.
#[must_use]
pub fn reference() -> String {
    crate::vocab::schema_doc::reference(
        &json_schema(),
        "# Manifests\n\n\
         A plugin's manifest (`manifest.toml`) says what the plugin is, which exact \
         component, which tools, what it may touch and its limits, and carries the \
         publisher's signature over all of it. This page is generated from the types \
         the parser reads (`warrant config reference --manifest`; a test keeps it equal), \
         so every key the parser accepts is here: a key not listed is refused. \
         `warrant new` writes a least-privilege manifest to start from, `warrant sign` \
         fills in the component's digest and tools and signs it, and `warrant inspect` \
         explains a manifest in plain words. The example manifests are in `manifests/`.\n",
    )
}
