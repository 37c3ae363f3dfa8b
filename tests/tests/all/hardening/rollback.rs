//! Finding 4: rollback protection refuses the same version with other
//! contents, bounds what a version may be, and only an authenticated
//! operator action — never a manifest — lowers a high-water mark.

use warrant::manifest::{Manifest, sign};
use warrant_tests::{Fixture, PluginSpec};

use super::{echo, records, still_serves_and_verifies};

async fn fixture() -> Fixture {
    Fixture::builder()
        .plugin(PluginSpec::new("adversary"))
        .agent("bot", &["adversary.*"])
        .build()
        .await
}

async fn refusals(fx: &Fixture) -> Vec<String> {
    let host = fx.host().await;
    let r = host
        .registry()
        .refusals()
        .iter()
        .map(ToString::to_string)
        .collect();
    host.shutdown("checked").await;
    r
}

#[tokio::test]
async fn the_same_version_with_wider_grants_is_refused() {
    let fx = fixture().await;
    assert!(refusals(&fx).await.is_empty());
    // Same number, another (wider) signed manifest.
    fx.write_manifest(&PluginSpec::new("adversary").grants("clock = true"))
        .await;
    let r = refusals(&fx).await;
    assert!(
        r.iter()
            .any(|e| e.contains("version 1.0.0 was loaded before with another manifest")),
        "{r:?}"
    );
    let refused = records(&fx)
        .into_iter()
        .find(|r| r.kind == "plugin.refused")
        .unwrap();
    assert_eq!(refused.str("check"), Some("rollback"));
    assert_eq!(refused.str("plugin"), Some("adversary"));
    // The one loaded before still loads.
    fx.write_manifest(&PluginSpec::new("adversary")).await;
    assert!(refusals(&fx).await.is_empty());
    let t = fx.token("bot", "T-1", &[]).await;
    still_serves_and_verifies(&fx, &fx.host().await, &t, "adversary.echo", echo()).await;
}

#[tokio::test]
async fn a_version_cannot_fast_forward_past_every_later_release() {
    let fx = fixture().await;
    let path = fx.path("adversary.toml");
    let mut m = Manifest::from_toml_draft(&std::fs::read_to_string(&path).unwrap()).unwrap();
    m.plugin.version = "18446744073709551615.0.0".into();
    sign(&mut m, &fx.key.id, &fx.key.signing_key().unwrap());
    std::fs::write(&path, m.to_toml()).unwrap();
    let r = refusals(&fx).await;
    assert!(
        r.iter()
            .any(|e| e.contains("plugin.version") && e.contains("at most 999999")),
        "{r:?}"
    );
    // The mark was never raised: the ordinary release loads.
    fx.write_manifest(&PluginSpec::new("adversary")).await;
    assert!(refusals(&fx).await.is_empty());
}

#[tokio::test]
async fn only_an_operator_resets_a_high_water_mark() {
    let fx = fixture().await;
    fx.write_manifest(&PluginSpec::new("adversary").version("2.0.0"))
        .await;
    assert!(refusals(&fx).await.is_empty());
    fx.write_manifest(&PluginSpec::new("adversary")).await;
    let r = refusals(&fx).await;
    assert!(r.iter().any(|e| e.contains("rollback refused")), "{r:?}");
    let out = fx.cli_as("mallory", &["plugin", "reset-version", "adversary"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("mallory may not"));
    let out = fx.cli_as(
        "carol",
        &[
            "plugin",
            "reset-version",
            "adversary",
            "--reason",
            "2.0.0 was published by mistake",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("version mark 2.0.0 forgotten"));
    assert!(
        refusals(&fx).await.is_empty(),
        "1.0.0 loads after the reset"
    );
    let reset = records(&fx)
        .into_iter()
        .find(|r| r.kind == "plugin.version-reset")
        .expect("the reset is recorded");
    assert_eq!(reset.str("by"), Some("carol"));
    assert_eq!(reset.str("from"), Some("2.0.0"));
    let t = fx.token("bot", "T-1", &[]).await;
    still_serves_and_verifies(&fx, &fx.host().await, &t, "adversary.echo", echo()).await;
}
