//! How the structures with one field per capability are written and
//! read: each under the name its unit gives, unknown names refused, a
//! capability added later left out of documents while unused (so that no
//! digest of an earlier manifest or release changes).

macro_rules! capability_formats {
    ($( $(#[$m:meta])* $field:ident : $Unit:ident ),* $(,)?) => {
        impl Grants {
            /// The names of `[grants]`, in the registration's order.
            pub fn names() -> &'static [&'static str] {
                static N: std::sync::LazyLock<&'static [&'static str]> =
                    std::sync::LazyLock::new(|| {
                        let mut v = Vec::new();
                        $( $(#[$m])* { v.push(<$Unit as Capability>::NAME); } )*
                        crate::capability::registry::leak(v)
                    });
                &N
            }

        }

        impl CeilingsSection {
            /// The names `[ceilings]` takes.
            pub fn names() -> &'static [&'static str] {
                static N: std::sync::LazyLock<&'static [&'static str]> =
                    std::sync::LazyLock::new(|| {
                        let mut v = Vec::new();
                        $( $(#[$m])* {
                            if <$Unit as Capability>::CEILING {
                                v.push(<$Unit as Capability>::NAME);
                            }
                        } )*
                        crate::capability::registry::leak(v)
                    });
                &N
            }

        }

        impl Supplies {
            /// The keys a `[[plugins]]` entry takes for capabilities.
            pub fn keys() -> &'static [&'static str] {
                static N: std::sync::LazyLock<&'static [&'static str]> =
                    std::sync::LazyLock::new(|| {
                        let mut v = Vec::new();
                        $( $(#[$m])* {
                            if let Some(k) = <$Unit as Capability>::SUPPLY {
                                v.push(k);
                            }
                        } )*
                        crate::capability::registry::leak(v)
                    });
                &N
            }

            /// Read the value of `key` from `map` if it is a capability's;
            /// `false` when no capability takes it.
            ///
            /// # Errors
            ///
            /// The value's own error.
            pub fn read_key<'de, A: serde::de::MapAccess<'de>>(
                &mut self,
                key: &str,
                map: &mut A,
            ) -> Result<bool, A::Error> {
                $( $(#[$m])* {
                    if <$Unit as Capability>::SUPPLY == Some(key) {
                        self.$field = map.next_value()?;
                        return Ok(true);
                    }
                } )*
                Ok(false)
            }

            /// Write what is supplied into `map`.
            ///
            /// # Errors
            ///
            /// The serializer's.
            pub fn write<M: serde::ser::SerializeMap>(&self, map: &mut M) -> Result<(), M::Error> {
                $( $(#[$m])* {
                    if let Some(k) = <$Unit as Capability>::SUPPLY
                        && (<$Unit as Capability>::ALWAYS_WRITTEN
                            || !<$Unit as Capability>::supply_is_empty(&self.$field))
                    {
                        map.serialize_entry(k, &self.$field)?;
                    }
                } )*
                Ok(())
            }

        }

        impl serde::Serialize for Grants {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                use serde::ser::SerializeMap as _;
                let mut map = s.serialize_map(None)?;
                $( $(#[$m])* {
                    if <$Unit as Capability>::ALWAYS_WRITTEN
                        || !<$Unit as Capability>::is_empty(&self.$field)
                    {
                        map.serialize_entry(<$Unit as Capability>::NAME, &self.$field)?;
                    }
                } )*
                map.end()
            }
        }

        impl<'de> serde::Deserialize<'de> for Grants {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                struct V;
                impl<'de> serde::de::Visitor<'de> for V {
                    type Value = Grants;
                    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                        f.write_str("struct Grants")
                    }
                    fn visit_map<A: serde::de::MapAccess<'de>>(
                        self,
                        mut map: A,
                    ) -> Result<Grants, A::Error> {
                        let mut out = Grants::default();
                        let mut seen = std::collections::BTreeSet::new();
                        while let Some(key) = map.next_key::<String>()? {
                            if !seen.insert(key.clone()) {
                                return Err(serde::de::Error::custom(format_args!(
                                    "duplicate field `{key}`"
                                )));
                            }
                            $( $(#[$m])* {
                                if key == <$Unit as Capability>::NAME {
                                    out.$field = map.next_value()?;
                                    continue;
                                }
                            } )*
                            return Err(serde::de::Error::unknown_field(&key, Grants::names()));
                        }
                        Ok(out)
                    }
                }
                d.deserialize_map(V)
            }
        }

        impl serde::Serialize for CeilingsSection {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                use serde::ser::SerializeMap as _;
                let mut map = s.serialize_map(None)?;
                $( $(#[$m])* {
                    if <$Unit as Capability>::CEILING
                        && (<$Unit as Capability>::ALWAYS_WRITTEN || self.$field.is_some())
                    {
                        map.serialize_entry(<$Unit as Capability>::NAME, &self.$field)?;
                    }
                } )*
                map.end()
            }
        }

        impl<'de> serde::Deserialize<'de> for CeilingsSection {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                struct V;
                impl<'de> serde::de::Visitor<'de> for V {
                    type Value = CeilingsSection;
                    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                        f.write_str("struct CeilingsSection")
                    }
                    fn visit_map<A: serde::de::MapAccess<'de>>(
                        self,
                        mut map: A,
                    ) -> Result<CeilingsSection, A::Error> {
                        let mut out = CeilingsSection::default();
                        while let Some(key) = map.next_key::<String>()? {
                            $( $(#[$m])* {
                                if <$Unit as Capability>::CEILING
                                    && key == <$Unit as Capability>::NAME
                                {
                                    out.$field = map.next_value()?;
                                    continue;
                                }
                            } )*
                            return Err(serde::de::Error::unknown_field(
                                &key,
                                CeilingsSection::names(),
                            ));
                        }
                        Ok(out)
                    }
                }
                d.deserialize_map(V)
            }
        }

        impl serde::Serialize for CapabilityUse {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                let (kind, value) = match self {
                    $( $(#[$m])* Self::$Unit(u) => (
                        <$Unit as Capability>::USE_KIND,
                        serde_json::to_value(u).map_err(serde::ser::Error::custom)?,
                    ), )*
                };
                // `kind` first, as a tagged enum writes it.
                let mut m = serde_json::Map::new();
                m.insert("kind".into(), serde_json::Value::String(kind.into()));
                if let serde_json::Value::Object(fields) = value {
                    m.extend(fields);
                }
                serde_json::Value::Object(m).serialize(s)
            }
        }

        impl<'de> serde::Deserialize<'de> for CapabilityUse {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let mut value = serde_json::Value::deserialize(d)?;
                let kind = value
                    .as_object_mut()
                    .and_then(|m| m.remove("kind"))
                    .and_then(|k| k.as_str().map(str::to_owned))
                    .ok_or_else(|| serde::de::Error::missing_field("kind"))?;
                $( $(#[$m])* {
                    if !<$Unit as Capability>::USE_KIND.is_empty()
                        && kind == <$Unit as Capability>::USE_KIND
                    {
                        return serde_json::from_value(value)
                            .map(Self::$Unit)
                            .map_err(serde::de::Error::custom);
                    }
                } )*
                Err(serde::de::Error::custom(format_args!(
                    "unknown capability use `{kind}`"
                )))
            }
        }
    };
}
