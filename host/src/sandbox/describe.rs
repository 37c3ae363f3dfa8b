//! What each import lets a component do under this host, in plain words —
//! for `warrant inspect`, `warrant sign` and `warrant dev`.

use crate::sandbox::capabilities::Capabilities;
use crate::sandbox::imports::{ImportClass, classify};
use crate::vocab::Access;

/// Describe `import` under `grants` (a manifest's capabilities), or, with
/// `None`, under whatever a manifest might grant.
///
/// A baseline import the grants leave unused is "imported, inert": linked,
/// so the component loads, but able to reach nothing.
pub fn describe_import(import: &str, grants: Option<&Capabilities>) -> String {
    let name = import.split_once('@').map_or(import, |(n, _)| n);
    let inert = |what: &str, how: &str| format!("{what} — imported, inert: {how}");
    match classify(import) {
        ImportClass::Baseline => match (name, grants) {
            ("wasi:filesystem/types" | "wasi:filesystem/preopens", None) => {
                "files — only directories a manifest grants; none otherwise".into()
            }
            ("wasi:filesystem/types" | "wasi:filesystem/preopens", Some(g))
                if g.files.is_empty() =>
            {
                inert("files", "no directory is granted")
            }
            ("wasi:filesystem/types" | "wasi:filesystem/preopens", Some(g)) => {
                let dirs: Vec<String> = g
                    .files
                    .iter()
                    .map(|f| {
                        let access = match f.access {
                            Access::Read => "read",
                            Access::ReadWrite => "read-write",
                        };
                        format!("{} ({access})", f.guest)
                    })
                    .collect();
                format!("files — granted: {} only", dirs.join(", "))
            }
            ("wasi:cli/environment", None) => {
                "environment — only variables a manifest grants".into()
            }
            ("wasi:cli/environment", Some(g)) if g.env.is_empty() => {
                inert("environment", "no variable is granted")
            }
            ("wasi:cli/environment", Some(g)) => {
                let names: Vec<&str> = g.env.iter().map(|(k, _)| k.as_str()).collect();
                format!("environment — granted: {} only", names.join(", "))
            }
            ("wasi:clocks/wall-clock" | "wasi:clocks/monotonic-clock", Some(g)) if g.clock => {
                "clock — granted: the real clock".into()
            }
            ("wasi:clocks/wall-clock" | "wasi:clocks/monotonic-clock", _) => inert(
                "clock",
                "frozen at 1970-01-01 unless a manifest grants the clock",
            ),
            (n, Some(g)) if n.starts_with("wasi:random/") && g.random => {
                "randomness — granted: real randomness".into()
            }
            (n, _) if n.starts_with("wasi:random/") => inert(
                "randomness",
                "a fixed sequence unless a manifest grants randomness",
            ),
            (n, _) if n.starts_with("wasi:sockets/") => inert(
                "sockets",
                "no socket can ever be opened and no name looked up (outbound HTTP goes \
                 through wasi:http with an http grant)",
            ),
            (n, _) if n.starts_with("wasi:io/") => {
                "streams and polling (needed by everything else)".into()
            }
            _ => "standard I/O and exit (captured, bounded; stdin is closed)".into(),
        },
        ImportClass::HostApi => "the warrant host API: log lines and granted secrets".into(),
        ImportClass::Http => match grants {
            None => "outbound HTTP — needs an http grant; only granted origins, each request \
                     checked"
                .into(),
            Some(g) if g.http.is_empty() => {
                "REFUSED: outbound HTTP, but the manifest grants no origin".into()
            }
            Some(g) => {
                let list: Vec<String> = g.http.iter().map(ToString::to_string).collect();
                format!(
                    "outbound HTTP — granted: {} only, each request checked",
                    list.join(", ")
                )
            }
        },
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
        assert!(describe_import("wasi:clocks/wall-clock@0.2.0", Some(&clock)).contains("granted"));
        assert!(
            describe_import("wasi:sockets/tcp@0.2.9", Some(&clock)).contains("imported, inert")
        );
        assert!(describe_import("wasi:http/types@0.2.10", Some(&none)).contains("REFUSED"));
    }
}
