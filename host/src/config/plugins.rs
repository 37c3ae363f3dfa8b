//! `[[plugins]]`: a plugin to load, with what the operator supplies and
//! places for its capabilities (`dirs`, `env`, `secrets`, `credentials`,
//! each read by its capability, [`Supplies`]) and the limits it tightens.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::capability::Supplies;
pub use crate::capability::secrets::SecretSource;

/// `[[plugins]]`
#[derive(Debug, Clone)]
pub struct PluginEntry {
    /// The manifest file, relative to the config file.
    pub manifest: String,
    /// Load it. Default true.
    pub enabled: bool,
    /// What the operator supplies and places for the manifest's grants,
    /// one key per capability (`dirs`, `env`, `secrets`, `credentials`).
    pub supplies: Supplies,
    /// Tighter limits than the manifest's (never looser).
    pub limits: LimitOverrides,
    /// Action owners overriding the manifest's, by tool name.
    pub action_owners: BTreeMap<String, String>,
    /// Name its tools `plugin__tool` in MCP (default), or by their own
    /// names (`false`); two such plugins may not share a name.
    pub mcp_prefix: bool,
}

impl PluginEntry {
    /// An entry for `manifest` with nothing supplied, as a config would
    /// write only its manifest.
    pub fn new(manifest: impl Into<String>) -> Self {
        Self {
            manifest: manifest.into(),
            enabled: true,
            supplies: Supplies::default(),
            limits: LimitOverrides::default(),
            action_owners: BTreeMap::new(),
            mcp_prefix: true,
        }
    }

    /// The keys of an entry: its own and the capabilities'.
    fn fields() -> &'static [&'static str] {
        static F: std::sync::LazyLock<&'static [&'static str]> = std::sync::LazyLock::new(|| {
            let mut v = vec!["manifest", "enabled"];
            v.extend(Supplies::keys());
            v.extend(["limits", "action-owners", "mcp-prefix"]);
            Box::leak(v.into_boxed_slice())
        });
        &F
    }
}

impl Serialize for PluginEntry {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap as _;
        let mut map = s.serialize_map(None)?;
        map.serialize_entry("manifest", &self.manifest)?;
        map.serialize_entry("enabled", &self.enabled)?;
        self.supplies.write(&mut map)?;
        map.serialize_entry("limits", &self.limits)?;
        map.serialize_entry("action-owners", &self.action_owners)?;
        map.serialize_entry("mcp-prefix", &self.mcp_prefix)?;
        map.end()
    }
}

impl<'de> Deserialize<'de> for PluginEntry {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = PluginEntry;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("struct PluginEntry")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<PluginEntry, A::Error> {
                use serde::de::Error as _;
                let mut e = PluginEntry::new(String::new());
                let mut manifest = None;
                let mut seen = std::collections::BTreeSet::new();
                while let Some(key) = map.next_key::<String>()? {
                    if !seen.insert(key.clone()) {
                        return Err(A::Error::custom(format_args!("duplicate field `{key}`")));
                    }
                    match key.as_str() {
                        "manifest" => manifest = Some(map.next_value()?),
                        "enabled" => e.enabled = map.next_value()?,
                        "limits" => e.limits = map.next_value()?,
                        "action-owners" => e.action_owners = map.next_value()?,
                        "mcp-prefix" => e.mcp_prefix = map.next_value()?,
                        other => {
                            if !e.supplies.read_key(other, &mut map)? {
                                return Err(A::Error::unknown_field(other, PluginEntry::fields()));
                            }
                        }
                    }
                }
                e.manifest = manifest.ok_or_else(|| A::Error::missing_field("manifest"))?;
                Ok(e)
            }
        }
        d.deserialize_map(V)
    }
}

/// Limits an operator may tighten, read as typed values.
#[derive(Debug, Clone, Default, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct LimitOverrides {
    /// Memory, e.g. `"16MiB"`.
    #[serde(default, deserialize_with = "size", serialize_with = "size_text")]
    #[schemars(with = "Option<String>")]
    pub memory: Option<u64>,
    /// Timeout, e.g. `"1s"`.
    #[serde(
        default,
        deserialize_with = "duration",
        serialize_with = "duration_text"
    )]
    #[schemars(with = "Option<String>")]
    pub timeout: Option<std::time::Duration>,
    /// Output, e.g. `"64KiB"`.
    #[serde(default, deserialize_with = "size", serialize_with = "size_text")]
    #[schemars(with = "Option<String>")]
    pub output: Option<u64>,
    /// Concurrent instances.
    pub instances: Option<u32>,
}

fn size<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    // A release's JSON writes an absent limit as null.
    Option::<String>::deserialize(d)?
        .map(|text| crate::vocab::parse_size(&text).map_err(serde::de::Error::custom))
        .transpose()
}

// The written forms the parsers above read back: bytes and milliseconds.
fn size_text<S: serde::Serializer>(v: &Option<u64>, s: S) -> Result<S::Ok, S::Error> {
    match v {
        Some(n) => s.serialize_some(&format!("{n}B")),
        None => s.serialize_none(),
    }
}

fn duration_text<S: serde::Serializer>(
    v: &Option<std::time::Duration>,
    s: S,
) -> Result<S::Ok, S::Error> {
    match v {
        Some(d) => s.serialize_some(&format!("{}ms", d.as_millis())),
        None => s.serialize_none(),
    }
}

fn duration<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<std::time::Duration>, D::Error> {
    Option::<String>::deserialize(d)?
        .map(|text| crate::vocab::parse_duration(&text).map_err(serde::de::Error::custom))
        .transpose()
}

impl schemars::JsonSchema for PluginEntry {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "PluginEntry".into()
    }

    fn json_schema(g: &mut schemars::SchemaGenerator) -> schemars::Schema {
        use crate::capability::schema::described;
        let mut props = serde_json::Map::new();
        props.insert(
            "manifest".into(),
            described(
                g.subschema_for::<String>(),
                "The manifest file, relative to the config file.",
                None,
            ),
        );
        props.insert(
            "enabled".into(),
            described(g.subschema_for::<bool>(), "Load it.", Some(true.into())),
        );
        props.extend(Supplies::schema_properties(g));
        props.insert(
            "limits".into(),
            described(
                g.subschema_for::<LimitOverrides>(),
                "Tighter limits than the manifest's (never looser).",
                None,
            ),
        );
        props.insert(
            "action-owners".into(),
            described(
                g.subschema_for::<BTreeMap<String, String>>(),
                "Action owners overriding the manifest's, by tool name.",
                Some(serde_json::json!({})),
            ),
        );
        props.insert(
            "mcp-prefix".into(),
            described(
                g.subschema_for::<bool>(),
                "Name its tools `plugin__tool` in MCP (default), or by their own names \
                 (`false`); two such plugins may not share a name.",
                Some(true.into()),
            ),
        );
        schemars::json_schema!({
            "type": "object",
            "properties": props,
            "required": ["manifest"],
            "additionalProperties": false,
        })
    }
}
