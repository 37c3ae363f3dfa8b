//! Allowed and denied: the credential goes only to the exact origin,
//! method and path its binding names; the plugin's own header of that
//! name is replaced; every request to the origin is recorded with whether
//! the credential went along.

use warrant_tests::{Fixture, PluginSpec};

use super::{fetch, last, origin};

const KEY: &str = "k-intel-0123456789";

#[tokio::test]
async fn a_credential_goes_only_where_its_binding_says_and_replaces_the_plugins_header() {
    let (port, seen) = origin().await;
    let (other_port, other_seen) = origin().await;
    let a = format!("http://127.0.0.1:{port}");
    let b = format!("http://127.0.0.1:{other_port}");
    let alias = format!("http://localhost:{port}");
    let fx = Fixture::builder()
        .plugin(
            PluginSpec::new("fetcher")
                .grants(&format!(
                    "http = [{a:?}, {b:?}, {alias:?}]\ncredentials = [{{ name = \"INTEL_API\", origin = {a:?}, header = \"Authorization\", scheme = \"Bearer\", methods = [\"GET\"], paths = [\"/v1/indicators/*\"] }}]"
                ))
                .entry("credentials = { INTEL_API = { file = \"intel.key\" } }"),
        )
        .agent("bot", &["fetcher.*"])
        .build()
        .await;
    std::fs::write(fx.path("intel.key"), format!("{KEY}\n")).unwrap();
    let host = fx.host().await;
    assert!(
        host.registry().refusals().is_empty(),
        "{:?}",
        host.registry().refusals()
    );
    let t = fx.token("bot", "T-1", &[]).await;

    // Allowed: exactly the binding.
    let out = fetch(&host, &t, "GET", &format!("{a}/v1/indicators/ip"), &[])
        .await
        .unwrap();
    assert_eq!(last(&seen).as_deref(), Some(&*format!("Bearer {KEY}")));
    assert_eq!(out["status"], 200);
    assert!(
        !out.to_string().contains(KEY),
        "the echo reaches the plugin scrubbed: {out}"
    );

    // The plugin's own header of that name is replaced on a bound request…
    fetch(
        &host,
        &t,
        "GET",
        &format!("{a}/v1/indicators/domain"),
        &[("authorization", "Bearer plugin-made")],
    )
    .await
    .unwrap();
    assert_eq!(last(&seen).as_deref(), Some(&*format!("Bearer {KEY}")));

    // …and left alone elsewhere: no credential on another path, method,
    // port or origin.
    for (method, url) in [
        ("GET", format!("{a}/v1/other")),
        ("GET", format!("{a}/v1/indicators/ip/deeper")),
        ("POST", format!("{a}/v1/indicators/ip")),
        ("GET", format!("{alias}/v1/indicators/ip")),
    ] {
        fetch(&host, &t, method, &url, &[]).await.unwrap();
        assert_eq!(last(&seen), None, "{method} {url}");
    }
    fetch(&host, &t, "GET", &format!("{b}/v1/indicators/ip"), &[])
        .await
        .unwrap();
    assert_eq!(last(&other_seen), None, "another port is another origin");
    fetch(
        &host,
        &t,
        "GET",
        &format!("{a}/v1/other"),
        &[("authorization", "Bearer plugin-made")],
    )
    .await
    .unwrap();
    assert_eq!(last(&seen).as_deref(), Some("Bearer plugin-made"));

    host.shutdown("done").await;
    let chain = std::fs::read_to_string(fx.path("state/audit/audit.jsonl")).unwrap();
    assert!(!chain.contains(KEY), "the value never reaches the chain");
    assert!(
        chain.contains(r#""kind":"credential""#)
            && chain.contains(r#""added":true"#)
            && chain.contains("is not one the binding names"),
        "each request to the origin is recorded, added or not and why"
    );
}

#[tokio::test]
async fn a_credential_the_operator_does_not_supply_or_beyond_the_ceiling_is_refused() {
    let grant = "http = [\"https://intel.example\"]\ncredentials = [{ name = \"INTEL_API\", origin = \"https://intel.example\", header = \"Authorization\", scheme = \"Bearer\", methods = [\"GET\"], paths = [\"/v1/*\"] }]";
    let fx = Fixture::builder()
        .plugin(PluginSpec::new("fetcher").grants(grant))
        .agent("bot", &["fetcher.*"])
        .build()
        .await;
    let r: Vec<String> = fx
        .host()
        .await
        .registry()
        .refusals()
        .iter()
        .map(ToString::to_string)
        .collect();
    assert!(
        r.len() == 1
            && r[0].contains("grants credential INTEL_API but the config supplies no value"),
        "{r:?}"
    );

    // Beyond the ceiling.
    let fx = Fixture::builder()
        .plugin(
            PluginSpec::new("fetcher")
                .grants(grant)
                .entry("credentials = { INTEL_API = { env = \"WARRANT_TEST_NEVER_SET\" } }"),
        )
        .config("[ceilings]\ncredentials = [\"OTHER\"]")
        .agent("bot", &["fetcher.*"])
        .build()
        .await;
    let r: Vec<String> = fx
        .host()
        .await
        .registry()
        .refusals()
        .iter()
        .map(ToString::to_string)
        .collect();
    assert!(
        r.len() == 1 && r[0].contains("grants.credentials[0] (INTEL_API)"),
        "{r:?}"
    );
}
