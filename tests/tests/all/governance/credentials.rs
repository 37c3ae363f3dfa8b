//! A credential's value is part of the rules: a release pins its digest
//! (never the value, never archived), a host under that release refuses a
//! value the governors did not sign, and `config diff` names a credential
//! added or given another value as widening — one signature is not enough;
//! a task's evidence under such a release exports without the value.

use warrant_tests::{Fixture, PluginSpec};

use super::run;

const GRANT: &str = "http = [\"https://intel.example\"]\ncredentials = [{ name = \"INTEL_API\", origin = \"https://intel.example\", header = \"Authorization\", scheme = \"Bearer\", methods = [\"GET\"], paths = [\"/v1/*\"] }]";

fn refusals(host: &warrant::Host) -> Vec<String> {
    host.registry()
        .refusals()
        .iter()
        .map(ToString::to_string)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_credentials_value_is_pinned_by_the_release_and_a_new_one_needs_the_quorum() {
    let fx = Fixture::builder()
        .plugin(PluginSpec::new("fetcher").grants(GRANT))
        .agent("bot", &["fetcher.*"])
        .governors(&["erin", "frank"], 2, 1)
        .build()
        .await;
    std::fs::write(fx.path("intel.key"), "first-value-0123456789").unwrap();
    fx.release(&["erin", "frank"]).await.unwrap();
    let r = refusals(&fx.host().await);
    assert!(
        r.len() == 1
            && r[0].contains("grants credential INTEL_API but the config supplies no value"),
        "{r:?}"
    );

    // The operator supplies it: a widening the review names.
    fx.edit_config(|t| {
        t.replace(
            "manifest = \"fetcher.toml\"\n",
            "manifest = \"fetcher.toml\"\ncredentials = { INTEL_API = { file = \"intel.key\" } }\n",
        )
    });
    let (ok, out) = run(&fx, &["config", "diff"]);
    assert!(
        ok && out.contains("credential INTEL_API gets a value")
            && out.contains("fetcher.toml's credentials"),
        "{out}"
    );
    assert!(
        fx.release(&["erin"]).await.is_err(),
        "one signature is not enough"
    );
    assert_eq!(fx.release(&["erin", "frank"]).await.unwrap().version, 2);
    assert!(refusals(&fx.host().await).is_empty());
    let archive = fx.path("state/audit/releases");
    let archived = walk(&archive);
    assert!(
        !archived
            .iter()
            .any(|t| t.contains("first-value-0123456789")),
        "the value is pinned, never archived"
    );

    // Another value on disk: refused under the release in force…
    std::fs::write(fx.path("intel.key"), "second-value-0123456789").unwrap();
    let r = refusals(&fx.host().await);
    assert!(
        r.len() == 1 && r[0].contains("not the one the release of the rules in force pins"),
        "{r:?}"
    );
    // …until the governors sign it, as a widening.
    let (ok, out) = run(&fx, &["config", "diff"]);
    assert!(
        ok && out.contains("credential INTEL_API gets another value"),
        "{out}"
    );
    assert!(fx.release(&["erin"]).await.is_err());
    assert_eq!(fx.release(&["erin", "frank"]).await.unwrap().version, 3);
    let host = fx.host().await;
    assert!(refusals(&host).is_empty());

    // A task under these releases exports its evidence: a credential's
    // pin names no archived file to take along.
    let t = fx.token("bot", "T-CRED", &[]).await;
    let r = crate::accountability::call(&host, &t, "fetcher.nope", serde_json::json!({})).await;
    assert!(r.outcome.is_err());
    host.shutdown("done").await;
    let file = fx.path("evidence.json");
    let (ok, out) = run(
        &fx,
        &[
            "evidence",
            "export",
            "--task",
            "T-CRED",
            "--out",
            file.to_str().unwrap(),
        ],
    );
    assert!(ok && out.contains("from 1 host(s)"), "{out}");
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(text.contains("secret:credential:") && !text.contains("second-value"));
}

/// Every file's text under `dir`.
fn walk(dir: &std::path::Path) -> Vec<String> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(String::from_utf8_lossy(&std::fs::read(&p).unwrap_or_default()).into_owned());
        }
    }
    out
}
