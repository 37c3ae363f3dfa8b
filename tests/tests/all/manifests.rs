//! Signed manifests: the format (golden files), signatures, trust, digests,
//! pinned tools, rollback and the load-time import check.

use std::path::{Path, PathBuf};

use warrant::manifest::{Manifest, read_manifest};
use warrant::{Host, HostConfig, HostOptions};
use warrant_tests::{Fixture, PluginSpec};

/// Each `tests/golden/manifests/X.toml` has `X.json` (the parse) or `X.err`
/// (the error). `WARRANT_BLESS=1` rewrites them.
#[test]
fn golden_manifests() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("golden/manifests");
    let bless = std::env::var_os("WARRANT_BLESS").is_some();
    let mut seen = 0;
    let mut entries: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    entries.sort();
    for path in entries {
        seen += 1;
        let text = std::fs::read_to_string(&path).unwrap();
        let (actual, ext) = match Manifest::from_toml(&text) {
            Ok(m) => (serde_json::to_string_pretty(&m).unwrap() + "\n", "json"),
            Err(e) => (e.to_string() + "\n", "err"),
        };
        let expected_path = path.with_extension(ext);
        let other = path.with_extension(if ext == "json" { "err" } else { "json" });
        if bless {
            std::fs::write(&expected_path, &actual).unwrap();
            let _ = std::fs::remove_file(&other);
            continue;
        }
        assert!(
            !other.exists(),
            "{}: expected {} but the manifest gives {ext}:\n{actual}",
            path.display(),
            other.display()
        );
        let expected = std::fs::read_to_string(&expected_path).unwrap_or_else(|_| {
            panic!(
                "missing {} (run with WARRANT_BLESS=1)",
                expected_path.display()
            )
        });
        assert_eq!(actual, expected, "{}", path.display());
    }
    assert!(seen >= 15, "golden cases: {seen}");
}

pub(crate) use crate::example_setup::{example_copy, example_signed, example_unsigned};

async fn open(config: &Path) -> Host {
    Host::open(HostConfig::load(config).unwrap(), HostOptions::default())
        .await
        .unwrap()
}

fn refusals(host: &Host) -> Vec<String> {
    host.registry()
        .refusals()
        .iter()
        .map(ToString::to_string)
        .collect()
}

#[tokio::test]
async fn the_shipped_manifests_verify_and_load_under_the_example_config() {
    let (_tmp, config) = example_signed();
    let host = open(&config).await;
    assert!(refusals(&host).is_empty(), "{:?}", refusals(&host));
    let registry = host.registry();
    let ids: Vec<&str> = registry.plugins().map(|p| p.id()).collect();
    for (id, key) in [
        ("ioc-extract", "example-secops-2026"),
        ("log-search", "example-secops-2026"),
        ("http-lookup", "example-secops-2026b"),
        ("case-note", "example-secops-2026"),
    ] {
        assert!(ids.contains(&id), "{id} loaded: {ids:?}");
        assert_eq!(
            host.registry().get(id).unwrap().manifest.signer(),
            Some(key)
        );
    }
}

#[tokio::test]
async fn the_shipped_manifests_match_the_components_built_from_source() {
    // The shipped components are what the signatures pin; the example
    // sources must still report exactly the signed tools.
    let root = warrant_tests::workspace_root();
    for (package, manifest) in [
        ("ioc-extract", "ioc-extract.toml"),
        ("log-search", "log-search.toml"),
        ("case-note", "case-note.toml"),
        ("http-lookup", "http-lookup.toml"),
    ] {
        let m = read_manifest(&root.join("manifests").join(manifest)).unwrap();
        let built = warrant_tests::probe_tools(package).await;
        warrant::registry::compare_tools(&m.tools, &built).unwrap_or_else(|e| panic!("{manifest} is stale: {e}; rebuild the component, copy it to manifests/components and re-sign"));
    }
}

/// Change one byte of `needle` in `file` (the byte after the needle's start).
fn flip(file: &Path, needle: &str, replacement: &str) {
    let text = std::fs::read_to_string(file).unwrap();
    assert!(text.contains(needle), "{needle} not in {}", file.display());
    std::fs::write(file, text.replacen(needle, replacement, 1)).unwrap();
}

#[tokio::test]
async fn one_changed_byte_is_refused_naming_the_check() {
    let cases: [(&str, &str, &str, &str); 5] = [
        (
            "log-search.toml",
            "guest = \"/logs\"",
            "guest = \"/logz\"",
            "bad signature",
        ),
        (
            "ioc-extract.toml",
            "description = \"Extract",
            "description = \"extract",
            "bad signature",
        ),
        (
            "case-note.toml",
            "digest = \"sha256:c",
            "digest = \"sha256:d",
            "bad signature",
        ),
        (
            "case-note.toml",
            "access = \"read-write\"",
            "access = \"read\"",
            "bad signature",
        ),
        (
            "ioc-extract.toml",
            "value = \"",
            "value = \"A",
            "bad signature",
        ),
    ];
    for (manifest, needle, replacement, check) in cases {
        let (_tmp, config) = example_unsigned();
        flip(&config.with_file_name(manifest), needle, replacement);
        let host = open(&config).await;
        let r = refusals(&host);
        assert_eq!(r.len(), 1, "{manifest}: {r:?}");
        assert!(
            r[0].contains(check) && r[0].contains(manifest),
            "{manifest} {needle}: {}",
            r[0]
        );
        assert!(
            host.registry()
                .get(manifest.trim_end_matches(".toml"))
                .is_none()
        );
    }
}

#[tokio::test]
async fn a_swapped_component_is_refused_as_a_digest_mismatch() {
    let (_tmp, config) = example_unsigned();
    let dir = config.parent().unwrap();
    std::fs::copy(
        dir.join("components/case_note.wasm"),
        dir.join("components/ioc_extract.wasm"),
    )
    .unwrap();
    let host = open(&config).await;
    let r = refusals(&host);
    assert_eq!(r.len(), 1, "{r:?}");
    assert!(r[0].contains("digest mismatch"), "{}", r[0]);
}

#[tokio::test]
async fn reformatting_keeps_a_signature_valid_but_any_added_grant_breaks_it() {
    let (_tmp, config) = example_unsigned();
    let file = config.with_file_name("ioc-extract.toml");
    let text = std::fs::read_to_string(&file).unwrap();
    // Move [limits] above [[tools]], add comments and blank lines: same meaning.
    let (head, rest) = text.split_once("[[tools]]").unwrap();
    let (tools, rest) = rest.split_once("[grants]").unwrap();
    let (grants, rest) = rest.split_once("[limits]").unwrap();
    let (limits, sig) = rest.split_once("[signature]").unwrap();
    let reordered = format!(
        "# reviewed\n{head}\n\n[limits]{limits}\n[[tools]]{tools}[grants]\n# nothing granted\n{grants}[signature]{sig}"
    );
    std::fs::write(&file, &reordered).unwrap();
    assert!(refusals(&open(&config).await).is_empty());
    // Adding a grant that was absent (the clock) breaks it.
    std::fs::write(&file, reordered.replace("clock = false", "clock = true")).unwrap();
    let r = refusals(&open(&config).await);
    assert!(r.len() == 1 && r[0].contains("bad signature"), "{r:?}");
    // An unknown field is refused by name.
    std::fs::write(
        &file,
        reordered.replace("[grants]\n", "[grants]\nnetwork = true\n"),
    )
    .unwrap();
    let r = refusals(&open(&config).await);
    assert!(
        r.len() == 1 && r[0].contains("unknown field `network`"),
        "{r:?}"
    );
}

#[tokio::test]
async fn trust_failures_each_say_which_check_failed() {
    let cases = [
        ("unsigned", "unsigned"),
        ("unknown key", "unknown key"),
        ("revoked", "revoked key"),
        ("expired", "expired key"),
        ("not yet valid", "key not yet valid"),
        ("algorithm", "algorithm mismatch"),
    ];
    for (case, expected) in cases {
        let (_tmp, config) = example_unsigned();
        let manifest = config.with_file_name("ioc-extract.toml");
        match case {
            "unsigned" => {
                let text = std::fs::read_to_string(&manifest).unwrap();
                std::fs::write(&manifest, &text[..text.find("[signature]").unwrap()]).unwrap();
            }
            "unknown key" => flip(
                &manifest,
                "key = \"example-secops-2026\"",
                "key = \"someone-else\"",
            ),
            "revoked" => flip(
                &config,
                "revoked = []",
                "revoked = [\"example-secops-2026\"]",
            ),
            "expired" => flip(
                &config,
                "not-after = \"2028-12-31T23:59:59Z\"",
                "not-after = \"2026-02-01T00:00:00Z\"",
            ),
            "not yet valid" => flip(
                &config,
                "not-before = \"2026-01-01T00:00:00Z\"",
                "not-before = \"2099-01-01T00:00:00Z\"",
            ),
            "algorithm" => flip(
                &manifest,
                "algorithm = \"ed25519\"",
                "algorithm = \"hmac-sha256\"",
            ),
            _ => unreachable!(),
        }
        let host = open(&config).await;
        let r = refusals(&host);
        let ioc: Vec<&String> = r.iter().filter(|x| x.contains("ioc-extract")).collect();
        assert_eq!(ioc.len(), 1, "{case}: {r:?}");
        assert!(ioc[0].contains(expected), "{case}: {}", ioc[0]);
    }
}

#[tokio::test]
async fn operator_hmac_keys_sign_manifests_too() {
    let fx = Fixture::builder()
        .plugin(PluginSpec::new("ioc-extract"))
        .agent("a", &["ioc-extract.*"])
        .build()
        .await;
    // Re-sign with an operator-held HMAC key and trust it by secret file.
    let key = warrant::keys::generate("soc-ops", warrant::keys::Algorithm::HmacSha256).unwrap();
    warrant::keys::write_key_files(&key, &fx.path("keys")).unwrap();
    let mut m = read_manifest(&fx.path("ioc-extract.toml")).unwrap();
    warrant::manifest::sign(&mut m, "soc-ops", &key.signing_key().unwrap());
    std::fs::write(fx.path("ioc-extract.toml"), m.to_toml()).unwrap();
    let cfg = std::fs::read_to_string(fx.config_path()).unwrap();
    std::fs::write(fx.config_path(), cfg.replace("[[plugins]]", "[[trust.keys]]\nid = \"soc-ops\"\nalgorithm = \"hmac-sha256\"\nsecret-file = \"keys/soc-ops.key\"\n\n[[plugins]]")).unwrap();
    let host = fx.host().await;
    assert!(refusals(&host).is_empty(), "{:?}", refusals(&host));
    assert_eq!(
        host.registry()
            .get("ioc-extract")
            .unwrap()
            .manifest
            .signer(),
        Some("soc-ops")
    );
}

#[tokio::test]
async fn changed_tools_are_refused_even_when_correctly_signed() {
    let fx = Fixture::builder()
        .plugin(PluginSpec::new("ioc-extract"))
        .agent("a", &["ioc-extract.*"])
        .build()
        .await;
    let mut m = read_manifest(&fx.path("ioc-extract.toml")).unwrap();
    m.tools[0].description.push_str(" (now with more)");
    warrant::manifest::sign(&mut m, &fx.key.id, &fx.key.signing_key().unwrap());
    std::fs::write(fx.path("ioc-extract.toml"), m.to_toml()).unwrap();
    let r = refusals(&fx.host().await);
    assert!(
        r.len() == 1
            && r[0].contains("tools differ from the signed manifest")
            && r[0].contains("description differs"),
        "{r:?}"
    );
}

#[tokio::test]
async fn an_older_version_than_one_loaded_before_is_a_rollback() {
    let fx = Fixture::builder()
        .plugin(PluginSpec::new("ioc-extract").version("1.2.0"))
        .agent("a", &["ioc-extract.*"])
        .build()
        .await;
    assert!(refusals(&fx.host().await).is_empty());
    fx.write_manifest(&PluginSpec::new("ioc-extract").version("1.1.9"))
        .await;
    let cfg = std::fs::read_to_string(fx.config_path()).unwrap();
    assert!(cfg.contains("ioc-extract.toml"));
    let r = refusals(&fx.host().await);
    assert!(
        r.len() == 1
            && r[0].contains("rollback refused")
            && r[0].contains("1.1.9")
            && r[0].contains("1.2.0"),
        "{r:?}"
    );
    fx.write_manifest(&PluginSpec::new("ioc-extract").version("1.3.0"))
        .await;
    assert!(refusals(&fx.host().await).is_empty(), "newer versions load");
}

#[tokio::test]
async fn unsigned_development_manifests_load_only_with_insecure() {
    let fx = Fixture::builder()
        .plugin(PluginSpec::new("ioc-extract"))
        .agent("a", &["ioc-extract.*"])
        .build()
        .await;
    let text = std::fs::read_to_string(fx.path("ioc-extract.toml")).unwrap();
    std::fs::write(
        fx.path("ioc-extract.toml"),
        &text[..text.find("[signature]").unwrap()],
    )
    .unwrap();
    assert!(refusals(&fx.host().await)[0].contains("unsigned"));
    let host = Host::open(
        fx.config(),
        HostOptions {
            insecure: true,
            record_loads: false,
            ..HostOptions::default()
        },
    )
    .await
    .unwrap();
    assert!(refusals(&host).is_empty());
    assert_eq!(
        host.registry()
            .get("ioc-extract")
            .unwrap()
            .manifest
            .signer(),
        None
    );
}
