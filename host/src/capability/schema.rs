//! The JSON Schemas of the structures with one field per capability —
//! `[grants]`, `[ceilings]` and a `[[plugins]]` entry's supplies — from
//! each unit's own types and words, for the configuration and manifest
//! references (`warrant config schema`).

/// `schema` with `doc` as its description (unless empty) and `default`.
pub(crate) fn described(
    mut schema: schemars::Schema,
    doc: &str,
    default: Option<serde_json::Value>,
) -> serde_json::Value {
    if !doc.is_empty() {
        schema.insert("description".into(), doc.into());
    }
    if let Some(d) = default {
        schema.insert("default".into(), d);
    }
    schema.to_value()
}

macro_rules! capability_schemas {
    ($( $(#[$m:meta])* $field:ident : $Unit:ident ),* $(,)?) => {
        impl schemars::JsonSchema for Grants {
            fn schema_name() -> std::borrow::Cow<'static, str> {
                "Grants".into()
            }
            fn json_schema(g: &mut schemars::SchemaGenerator) -> schemars::Schema {
                let mut props = serde_json::Map::new();
                $( $(#[$m])* {
                    props.insert(
                        <$Unit as Capability>::NAME.into(),
                        crate::capability::schema::described(
                            g.subschema_for::<<$Unit as Capability>::Grant>(),
                            <$Unit as Capability>::GRANT_DOC,
                            serde_json::to_value(
                                <<$Unit as Capability>::Grant as Default>::default(),
                            )
                            .ok(),
                        ),
                    );
                } )*
                schemars::json_schema!({
                    "type": "object",
                    "properties": props,
                    "additionalProperties": false,
                })
            }
        }

        impl schemars::JsonSchema for CeilingsSection {
            fn schema_name() -> std::borrow::Cow<'static, str> {
                "CeilingsSection".into()
            }
            fn json_schema(g: &mut schemars::SchemaGenerator) -> schemars::Schema {
                let mut props = serde_json::Map::new();
                $( $(#[$m])* {
                    if <$Unit as Capability>::CEILING {
                        props.insert(
                            <$Unit as Capability>::NAME.into(),
                            crate::capability::schema::described(
                                g.subschema_for::<Option<Vec<String>>>(),
                                <$Unit as Capability>::CEILING_DOC,
                                None,
                            ),
                        );
                    }
                } )*
                schemars::json_schema!({
                    "type": "object",
                    "description": "The most any publisher's manifest may be granted on this host: a list per capability; a list left out sets no ceiling of that kind (the root directory and the host's own state are refused always).",
                    "properties": props,
                    "additionalProperties": false,
                })
            }
        }

        impl Supplies {
            /// The schemas of the keys a `[[plugins]]` entry takes for
            /// capabilities, by key.
            pub fn schema_properties(
                g: &mut schemars::SchemaGenerator,
            ) -> serde_json::Map<String, serde_json::Value> {
                let mut props = serde_json::Map::new();
                $( $(#[$m])* {
                    if let Some(k) = <$Unit as Capability>::SUPPLY {
                        props.insert(
                            k.into(),
                            crate::capability::schema::described(
                                g.subschema_for::<<$Unit as Capability>::Supply>(),
                                <$Unit as Capability>::SUPPLY_DOC,
                                serde_json::to_value(
                                    <<$Unit as Capability>::Supply as Default>::default(),
                                )
                                .ok(),
                            ),
                        );
                    }
                } )*
                props
            }
        }
    };
}
