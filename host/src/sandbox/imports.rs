//! What a component imports and exports, read from its bytes before anything
//! is compiled or run, and the load-time check of imports against grants.

use wasmparser::{ComponentExternalKind, ComponentTypeRef, Encoding, Parser, Payload};

use crate::sandbox::LoadError;

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
    /// Linked for every plugin; inert without grants (no files, no env, a
    /// frozen clock and fixed randomness unless granted, sockets never).
    Baseline,
    /// The warrant host API (`log`, `secret`).
    HostApi,
    /// Outbound HTTP: linked only with an http grant.
    Http,
    /// Never provided.
    Refused(&'static str),
}

/// The WASI a language runtime imports whatever its tool does (Rust's
/// standard library, componentize-py's CPython, componentize-js's
/// StarlingMonkey), linked for all plugins. Each is inert unless the
/// manifest grants what it reaches: no directory, no variable, a frozen
/// clock, fixed randomness — and sockets never open, whatever is granted.
const BASELINE: &[&str] = &[
    "wasi:io/error",
    "wasi:io/poll",
    "wasi:io/streams",
    "wasi:cli/environment",
    "wasi:cli/exit",
    "wasi:cli/stdin",
    "wasi:cli/stdout",
    "wasi:cli/stderr",
    "wasi:cli/terminal-input",
    "wasi:cli/terminal-output",
    "wasi:cli/terminal-stdin",
    "wasi:cli/terminal-stdout",
    "wasi:cli/terminal-stderr",
    "wasi:clocks/wall-clock",
    "wasi:clocks/monotonic-clock",
    "wasi:random/random",
    "wasi:random/insecure",
    "wasi:random/insecure-seed",
    "wasi:filesystem/types",
    "wasi:filesystem/preopens",
    "wasi:sockets/network",
    "wasi:sockets/instance-network",
    "wasi:sockets/tcp",
    "wasi:sockets/tcp-create-socket",
    "wasi:sockets/udp",
    "wasi:sockets/udp-create-socket",
    "wasi:sockets/ip-name-lookup",
];

/// Classify an import name such as `wasi:io/error@0.2.4`.
pub fn classify(import: &str) -> ImportClass {
    let (name, version) = import.split_once('@').unwrap_or((import, ""));
    if name.starts_with("wasi:") && !version.starts_with("0.2.") {
        return ImportClass::Refused("this host provides WASI 0.2 (preview 2) interfaces only");
    }
    if BASELINE.contains(&name) {
        return ImportClass::Baseline;
    }
    match name {
        "warrant:plugin/host" | "warrant:plugin/types" if version.starts_with("0.1.") => {
            ImportClass::HostApi
        }
        "warrant:plugin/host" | "warrant:plugin/types" => {
            ImportClass::Refused("this host implements warrant:plugin 0.1")
        }
        "wasi:http/types" | "wasi:http/outgoing-handler" => ImportClass::Http,
        _ => ImportClass::Refused("the host does not provide this interface"),
    }
}

/// Check every import against what the plugin is granted.
///
/// # Errors
///
/// [`LoadError::Import`] naming the first import that is refused.
pub fn check_imports(interface: &ComponentInterface, http_granted: bool) -> Result<(), LoadError> {
    for import in &interface.imports {
        match classify(import) {
            ImportClass::Baseline | ImportClass::HostApi => {}
            ImportClass::Http if http_granted => {}
            ImportClass::Http => {
                return Err(LoadError::Import {
                    import: import.clone(),
                    why: "the manifest grants no outbound HTTP (jco builds import wasi:http \
                          unless given `--disable http`, which the warrant SDK's build does \
                          when the manifest grants no origin)"
                        .into(),
                });
            }
            ImportClass::Refused(why) => {
                return Err(LoadError::Import {
                    import: import.clone(),
                    why: why.into(),
                });
            }
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
            ImportClass::Http
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
        let err = check_imports(&iface, false).unwrap_err().to_string();
        assert!(
            err.contains("wasi:http/types@0.2.4") && err.contains("no outbound HTTP"),
            "{err}"
        );
        assert!(check_imports(&iface, true).is_ok());
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
