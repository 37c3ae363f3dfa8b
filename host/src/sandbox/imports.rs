//! What a component imports and exports, read from its bytes before anything
//! is compiled or run, and the load-time check of imports against grants.

use wasmparser::{ComponentExternalKind, ComponentTypeRef, Encoding, Parser, Payload};

use crate::capability::Capabilities;
use crate::sandbox::LoadError;
use crate::sandbox::linking::BASELINE;

/// A component's top-level imports and exports, as named in the binary
/// (e.g. `wasi:filesystem/types@0.2.4`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ComponentInterface {
    /// Imported instance or function names.
    pub imports: Vec<String>,
    /// Exported names.
    pub exports: Vec<String>,
}

/// Read a component's imports and exports.
///
/// # Errors
///
/// [`LoadError::Invalid`] when the bytes are not a component.
pub fn component_interface(bytes: &[u8]) -> Result<ComponentInterface, LoadError> {
    let mut out = ComponentInterface::default();
    let mut depth = 0usize;
    let mut top_is_component = false;
    for payload in Parser::new(0).parse_all(bytes) {
        let payload = payload.map_err(|e| LoadError::Invalid(e.to_string()))?;
        match payload {
            Payload::Version { encoding, .. } => {
                if depth == 0 {
                    top_is_component = encoding == Encoding::Component;
                }
                depth += 1;
            }
            Payload::End(_) => depth = depth.saturating_sub(1),
            Payload::ComponentImportSection(reader) if depth == 1 => {
                for import in reader {
                    let import = import.map_err(|e| LoadError::Invalid(e.to_string()))?;
                    // Imported type names (from `use` in the world) carry
                    // no authority; everything else is checked.
                    if !matches!(import.ty, ComponentTypeRef::Type(_)) {
                        out.imports.push(import.name.name.to_owned());
                    }
                }
            }
            Payload::ComponentExportSection(reader) if depth == 1 => {
                for export in reader {
                    let export = export.map_err(|e| LoadError::Invalid(e.to_string()))?;
                    if export.kind != ComponentExternalKind::Type {
                        out.exports.push(export.name.name.to_owned());
                    }
                }
            }
            _ => {}
        }
    }
    if !top_is_component {
        return Err(LoadError::Invalid(
            "this is a core WebAssembly module, not a component; build with \
             `--target wasm32-wasip2`"
                .into(),
        ));
    }
    Ok(out)
}

/// How the host treats one import.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportClass {
    /// Linked for every plugin and inert: streams, standard I/O and exit,
    /// terminals, and sockets that can never open.
    Baseline,
    /// The warrant host API (`log`, `secret`).
    HostApi,
    /// An interface a capability answers (files, environment, clocks,
    /// randomness, HTTP, …): linked as its grant decides.
    Capability,
    /// Never provided.
    Refused(&'static str),
}

/// Classify an import name such as `wasi:io/error@0.2.4`.
pub fn classify(import: &str) -> ImportClass {
    let (name, version) = import.split_once('@').unwrap_or((import, ""));
    if name.starts_with("wasi:") && !version.starts_with("0.2.") {
        return ImportClass::Refused("this host provides WASI 0.2 (preview 2) interfaces only");
    }
    if BASELINE.contains(&name) {
        return ImportClass::Baseline;
    }
    if Capabilities::default().answer(name).is_some() {
        return ImportClass::Capability;
    }
    match name {
        "warrant:plugin/host" | "warrant:plugin/types" if version.starts_with("0.1.") => {
            ImportClass::HostApi
        }
        "warrant:plugin/host" | "warrant:plugin/types" => {
            ImportClass::Refused("this host implements warrant:plugin 0.1")
        }
        _ => ImportClass::Refused("the host does not provide this interface"),
    }
}

/// Check every import against what the plugin is granted: each must be
/// baseline, the host API, or answered by a capability that is linked for
/// these grants.
///
/// # Errors
///
/// [`LoadError::Import`] naming the first import that is refused.
pub fn check_imports(interface: &ComponentInterface, caps: &Capabilities) -> Result<(), LoadError> {
    check_imports_with(interface, Some(caps))
}

/// [`check_imports`]; with `None` (a review without a manifest) an import
/// any capability answers passes, linked inert.
pub(crate) fn check_imports_with(
    interface: &ComponentInterface,
    caps: Option<&Capabilities>,
) -> Result<(), LoadError> {
    for import in &interface.imports {
        let refused = |why: &str| LoadError::Import {
            import: import.clone(),
            why: why.to_owned(),
        };
        match classify(import) {
            ImportClass::Baseline | ImportClass::HostApi => {}
            ImportClass::Capability => {
                let name = import.split_once('@').map_or(import.as_str(), |(n, _)| n);
                if let Some(Err(why)) = caps.and_then(|c| c.answer(name)) {
                    return Err(refused(why));
                }
            }
            ImportClass::Refused(why) => return Err(refused(why)),
        }
    }
    for needed in ["tools", "call"] {
        if !interface.exports.iter().any(|e| e == needed) {
            return Err(LoadError::NotAPlugin(format!(
                "it does not export `{needed}`; build it with warrant-sdk's `export_plugin!`"
            )));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_imports() {
        assert_eq!(classify("wasi:io/error@0.2.4"), ImportClass::Baseline);
        assert_eq!(classify("warrant:plugin/host@0.1.0"), ImportClass::HostApi);
        assert_eq!(
            classify("wasi:http/outgoing-handler@0.2.4"),
            ImportClass::Capability
        );
        assert_eq!(
            classify("wasi:filesystem/types@0.2.4"),
            ImportClass::Capability
        );
        assert_eq!(classify("wasi:sockets/tcp@0.2.4"), ImportClass::Baseline);
        assert!(matches!(
            classify("wasi:io/error@0.3.0"),
            ImportClass::Refused(_)
        ));
        assert!(matches!(classify("acme:evil/api"), ImportClass::Refused(_)));
    }

    #[test]
    fn http_needs_a_grant() {
        let iface = ComponentInterface {
            imports: vec!["wasi:http/types@0.2.4".into()],
            exports: vec!["tools".into(), "call".into()],
        };
        let err = check_imports(&iface, &Capabilities::default())
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("wasi:http/types@0.2.4") && err.contains("no outbound HTTP"),
            "{err}"
        );
        let mut caps = Capabilities::default();
        caps.http.origins = vec![crate::vocab::parse_origin("https://x.example").unwrap()];
        assert!(check_imports(&iface, &caps).is_ok());
    }

    #[test]
    fn core_modules_are_not_components() {
        let module = b"\0asm\x01\0\0\0";
        assert!(matches!(
            component_interface(module),
            Err(LoadError::Invalid(_))
        ));
    }
}
