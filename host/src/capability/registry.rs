//! The registration: one line per capability makes its module and its
//! field in every structure that has one per capability, and the loops
//! the rest of the host runs over them. The structures are written
//! (manifests, `[ceilings]`, `[[plugins]]`, audit records) under the
//! names each unit gives, with unknown names refused.

/// Names as a static list, built once (for serde's "expected one of").
pub(crate) fn leak(names: Vec<&'static str>) -> &'static [&'static str] {
    Box::leak(names.into_boxed_slice())
}

macro_rules! capabilities {
    ($( $(#[$m:meta])* $field:ident : $Unit:ident ),* $(,)?) => {
        $( $(#[$m])* pub mod $field; )*
        $( $(#[$m])* pub use $field::$Unit; )*

        /// `[grants]`: what a manifest asks for, one field per capability.
        #[derive(Debug, Clone, Default, PartialEq, Eq)]
        pub struct Grants {
            $( $(#[$m])* #[doc = concat!("`", stringify!($field), "`")]
               pub $field: <$Unit as Capability>::Grant, )*
        }

        /// The grants checked and typed.
        #[derive(Debug, Clone, Default, PartialEq, Eq)]
        pub struct GrantTerms {
            $( $(#[$m])* #[doc = concat!("`", stringify!($field), "`")]
               pub $field: <$Unit as Capability>::Terms, )*
        }

        /// `[ceilings]` as written: a list per capability that has one.
        #[derive(Debug, Clone, Default, PartialEq, Eq)]
        pub struct CeilingsSection {
            $( $(#[$m])* #[doc = concat!("`", stringify!($field), "`")]
               pub $field: Option<Vec<String>>, )*
        }

        /// `[ceilings]`, typed.
        #[derive(Debug, Clone, Default, PartialEq, Eq)]
        pub struct CeilingSet {
            $( $(#[$m])* #[doc = concat!("`", stringify!($field), "`")]
               pub $field: <$Unit as Capability>::Ceiling, )*
        }

        /// What the operator supplies and places in a `[[plugins]]` entry.
        #[derive(Debug, Clone, Default, PartialEq)]
        pub struct Supplies {
            $( $(#[$m])* #[doc = concat!("`", stringify!($field), "`")]
               pub $field: <$Unit as Capability>::Supply, )*
        }

        /// Everything a plugin's sandbox is built from. The default denies
        /// all.
        #[derive(Debug, Clone, Default)]
        pub struct Capabilities {
            $( $(#[$m])* #[doc = concat!("`", stringify!($field), "`")]
               pub $field: <$Unit as Capability>::Granted, )*
            /// Resource limits.
            pub limits: crate::vocab::Limits,
        }

        /// Something a plugin did that its grants allowed (or tried and
        /// was refused), as the audit chain records it.
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub enum CapabilityUse {
            $( $(#[$m])* #[doc = concat!("A use of `", stringify!($field), "`.")]
               $Unit(<$Unit as Capability>::Use), )*
        }

        impl Grants {
            /// Check every grant and read what it means.
            ///
            /// # Errors
            ///
            /// The first field at fault (`grants.http[0]`) and why.
            pub fn check(&self) -> Result<GrantTerms, FieldError> {
                let prefix = |n: &str, e: FieldError| {
                    FieldError::new(format!("grants.{n}{}", e.field), e.why)
                };
                Ok(GrantTerms {
                    $( $(#[$m])* $field: <$Unit as Capability>::check(&self.$field, self)
                        .map_err(|e| prefix(<$Unit as Capability>::NAME, e))?, )*
                })
            }

            /// Every grant in plain words, one line each.
            pub fn review(&self, terms: &GrantTerms) -> Vec<String> {
                let mut out = Vec::new();
                $( $(#[$m])* {
                    <$Unit as Capability>::review(&self.$field, &terms.$field, &mut out);
                } )*
                out
            }
        }

        impl CeilingsSection {
            /// The ceilings, typed (relative paths against `dir`).
            ///
            /// # Errors
            ///
            /// The field (`ceilings.http`) and why.
            pub fn read(&self, dir: &std::path::Path) -> Result<CeilingSet, FieldError> {
                Ok(CeilingSet {
                    $( $(#[$m])* $field: <$Unit as Capability>::ceiling(
                        self.$field.as_deref(),
                        dir,
                    )
                    .map_err(|why| FieldError::new(
                        format!("ceilings.{}", <$Unit as Capability>::NAME),
                        why,
                    ))?, )*
                })
            }
        }

        impl Supplies {
            /// The digests a release pins for values it never archives.
            ///
            /// # Ambient Authority
            ///
            /// Reads the files and variables the entry names.
            pub fn pins(&self, manifest: &str, dir: &std::path::Path) -> Vec<(String, String)> {
                let mut out = Vec::new();
                $( $(#[$m])* {
                    out.extend(<$Unit as Capability>::pins(&self.$field, manifest, dir));
                } )*
                out
            }
        }

        impl Capabilities {
            /// Resolve every grant against the operator's ceilings and
            /// supply.
            ///
            /// # Errors
            ///
            /// [`GrantError`] from the first unit that refuses.
            pub fn resolve(
                grants: &Grants,
                terms: &GrantTerms,
                supplies: &Supplies,
                ceilings: &CeilingSet,
                at: &Placement<'_>,
                limits: crate::vocab::Limits,
            ) -> Result<Self, GrantError> {
                Ok(Self {
                    $( $(#[$m])* $field: <$Unit as Capability>::resolve(Resolve {
                        grant: &grants.$field,
                        terms: &terms.$field,
                        supply: &supplies.$field,
                        ceiling: &ceilings.$field,
                        at,
                    })?, )*
                    limits,
                })
            }

            /// The grants as asked for, with no operator (see
            /// [`Capability::requested`]).
            pub fn requested(
                grants: &Grants,
                terms: &GrantTerms,
                dir: &std::path::Path,
                limits: crate::vocab::Limits,
            ) -> Self {
                Self {
                    $( $(#[$m])* $field: <$Unit as Capability>::requested(
                        &grants.$field,
                        &terms.$field,
                        dir,
                    ), )*
                    limits,
                }
            }

            /// Whether everything granted can be used now.
            ///
            /// # Errors
            ///
            /// Why not, from the first unit that says so.
            pub fn ready(&self) -> Result<(), String> {
                $( $(#[$m])* { <$Unit as Capability>::ready(&self.$field)?; } )*
                Ok(())
            }

            /// What a review load runs with.
            #[must_use]
            pub fn for_review(&self) -> Self {
                Self {
                    $( $(#[$m])* $field: <$Unit as Capability>::for_review(&self.$field), )*
                    limits: self.limits,
                }
            }

            /// How the capability answering `interface` (without version)
            /// treats an import of it: `None` when none answers it, else
            /// linked (`Ok`) or refused (`Err`, why).
            pub fn answer(&self, interface: &str) -> Option<Result<(), &'static str>> {
                $( $(#[$m])* {
                    if <$Unit as Capability>::IMPORTS.contains(&interface) {
                        return Some(if <$Unit as Capability>::linked(&self.$field) {
                            Ok(())
                        } else {
                            Err(<$Unit as Capability>::refusal())
                        });
                    }
                } )*
                None
            }

            /// What `import` lets a component do under `granted` (or under
            /// any manifest), when a capability answers it.
            pub fn describe_import(import: &str, granted: Option<&Self>) -> Option<String> {
                let interface = import.split_once('@').map_or(import, |(n, _)| n);
                $( $(#[$m])* {
                    if <$Unit as Capability>::IMPORTS.contains(&interface) {
                        return Some(<$Unit as Capability>::describe_import(
                            import,
                            granted.map(|g| &g.$field),
                        ));
                    }
                } )*
                None
            }

            /// Link the interfaces of every capability that is linked for
            /// these grants — or, with `probe`, whose interfaces the
            /// component imports (inert: nothing is granted).
            ///
            /// # Errors
            ///
            /// When wasmtime refuses a definition.
            pub fn link<T: CallView>(
                &self,
                linker: &mut wasmtime::component::Linker<T>,
                probe: Option<&[String]>,
            ) -> wasmtime::Result<()> {
                $( $(#[$m])* {
                    let imported = probe.is_some_and(|imports| {
                        imports.iter().any(|i| {
                            let n = i.split_once('@').map_or(i.as_str(), |(n, _)| n);
                            <$Unit as Capability>::IMPORTS.contains(&n)
                        })
                    });
                    if imported || <$Unit as Capability>::linked(&self.$field) {
                        <$Unit as Capability>::link(linker)?;
                    }
                } )*
                Ok(())
            }

            /// Add every grant to a call's WASI context.
            ///
            /// # Errors
            ///
            /// Why a grant cannot be set up.
            pub fn wasi(&self, b: &mut wasmtime_wasi::WasiCtxBuilder) -> Result<(), String> {
                $( $(#[$m])* { <$Unit as Capability>::wasi(b, &self.$field)?; } )*
                Ok(())
            }

            /// Every value the plugin must never let out.
            pub fn watch(&self) -> Watch {
                let mut w = Watch::default();
                $( $(#[$m])* { <$Unit as Capability>::watch(&self.$field, &mut w); } )*
                w
            }
        }

        impl CapabilityUse {
            /// The use in plain words (escape it for a terminal).
            pub fn show(&self) -> String {
                match self {
                    $( $(#[$m])* Self::$Unit(u) => <$Unit as Capability>::show(u), )*
                }
            }

            /// Whether it is the use `want` names (`kind[:what]`),
            /// allowed or refused.
            pub fn matches(&self, want: &str, allowed: bool) -> bool {
                let (kind, what) = want.split_once(':').unwrap_or((want, ""));
                match self {
                    $( $(#[$m])* Self::$Unit(u) => {
                        kind == <$Unit as Capability>::USE_KIND
                            && <$Unit as Capability>::matches(u, what, allowed)
                    } )*
                }
            }
        }


        capability_formats! { $( $(#[$m])* $field : $Unit ),* }
        capability_schemas! { $( $(#[$m])* $field : $Unit ),* }
    };
}
