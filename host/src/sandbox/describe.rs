//! What each import lets a component do under this host, in plain words —
//! for `warrant inspect`, `warrant sign` and `warrant dev`.

use crate::capability::Capabilities;
use crate::sandbox::imports::{ImportClass, classify};

/// Describe `import` under `grants` (a manifest's capabilities), or, with
/// `None`, under whatever a manifest might grant.
///
/// An import a capability answers is described by it; one the grants leave
/// unused is "imported, inert": linked, so the component loads, but able
/// to reach nothing.
pub fn describe_import(import: &str, grants: Option<&Capabilities>) -> String {
    let name = import.split_once('@').map_or(import, |(n, _)| n);
    let inert = |what: &str, how: &str| format!("{what} — imported, inert: {how}");
    match classify(import) {
        ImportClass::Capability => Capabilities::describe_import(import, grants)
            .unwrap_or_else(|| "a capability's interface".into()),
        ImportClass::Baseline if name.starts_with("wasi:sockets/") => inert(
            "sockets",
            "no socket can ever be opened and no name looked up (outbound HTTP goes \
             through wasi:http with an http grant)",
        ),
        ImportClass::Baseline if name.starts_with("wasi:io/") => {
            "streams and polling (needed by everything else)".into()
        }
        ImportClass::Baseline => {
            "standard I/O and exit (captured, bounded; stdin is closed)".into()
        }
        ImportClass::HostApi => "the warrant host API: log lines and granted secrets".into(),
        ImportClass::Refused(why) => format!("REFUSED at load: {why}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ungranted_baseline_imports_are_inert() {
        let none = Capabilities::default();
        for i in [
            "wasi:sockets/tcp@0.2.9",
            "wasi:filesystem/preopens@0.2.4",
            "wasi:cli/environment@0.2.12",
            "wasi:clocks/wall-clock@0.2.0",
            "wasi:random/random@0.2.3",
        ] {
            assert!(
                describe_import(i, Some(&none)).contains("imported, inert"),
                "{i}"
            );
        }
        let clock = Capabilities {
            clock: true,
            ..Capabilities::default()
        };
        assert!(describe_import("wasi:http/types@0.2.10", None).contains("needs an http grant"));
        assert!(describe_import("wasi:clocks/wall-clock@0.2.0", Some(&clock)).contains("granted"));
        assert!(
            describe_import("wasi:sockets/tcp@0.2.9", Some(&clock)).contains("imported, inert")
        );
        assert!(describe_import("wasi:http/types@0.2.10", Some(&none)).contains("REFUSED"));
    }
}
