//! Finding 9: the operator sets ceilings on what a publisher may ask for —
//! directories, origins, secrets and environment names — and a plugin whose
//! signed grants exceed them is refused, naming the grant. By default the
//! root directory and the host's own state are refused.

use warrant_tests::{Fixture, PluginSpec};

use super::{echo, still_serves_and_verifies};

async fn refusal_of(grants: &str, entry: &str, ceilings: &str) -> (Fixture, Vec<String>) {
    std::fs::create_dir_all(std::env::temp_dir()).unwrap();
    let mut b = Fixture::builder()
        .plugin(PluginSpec::new("adversary").grants(grants).entry(entry))
        .agent("bot", &["adversary.*"]);
    if !ceilings.is_empty() {
        b = b.config(&format!("[ceilings]\n{ceilings}"));
    }
    let fx = b.build().await;
    std::fs::create_dir_all(fx.path("data/logs")).unwrap();
    std::fs::create_dir_all(fx.path("other")).unwrap();
    let host = fx.host().await;
    let r = host
        .registry()
        .refusals()
        .iter()
        .map(ToString::to_string)
        .collect();
    host.shutdown("checked").await;
    (fx, r)
}

fn refused_naming(r: &[String], needles: &[&str]) {
    assert!(
        r.iter().any(|e| needles.iter().all(|n| e.contains(n))),
        "no refusal naming {needles:?}: {r:?}"
    );
}

#[tokio::test]
async fn by_default_the_root_and_the_host_state_cannot_be_granted() {
    let (_, r) = refusal_of(
        "files = [{ host = \"/\", guest = \"/all\", access = \"read\" }]",
        "",
        "",
    )
    .await;
    refused_naming(
        &r,
        &[
            "grants.files[0]",
            "exceeds the host's ceiling",
            "root directory",
        ],
    );
    let (fx, r) = refusal_of(
        "files = [{ host = \"state/keys\", guest = \"/keys\", access = \"read\" }]",
        "",
        "",
    )
    .await;
    refused_naming(&r, &["grants.files[0]", "state directory"]);
    // Nor through the operator's placement of the directory.
    let (_, r) = refusal_of(
        "files = [{ host = \"data/logs\", guest = \"/logs\", access = \"read\" }]",
        "dirs = { \"/logs\" = \"state\" }",
        "",
    )
    .await;
    refused_naming(&r, &["state directory"]);
    // `warrant verify` says the same.
    let out = fx.cli(&["verify", fx.path("adversary.toml").to_str().unwrap()]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("state directory"));
}

#[tokio::test]
async fn configured_ceilings_bound_files_origins_secrets_and_env() {
    let ceilings = "files = [\"data\"]\nhttp = [\"*.intel.example\"]\nsecrets = [\"API_KEY\"]\nenv = [\"REGION\"]";
    // Within the ceilings: loads.
    let (fx, r) = refusal_of(
        "files = [{ host = \"data/logs\", guest = \"/logs\", access = \"read\" }]\nhttp = [\"https://a.intel.example\"]\nsecrets = [\"API_KEY\"]\nenv = [\"REGION\"]",
        "env = { REGION = \"eu\" }\nsecrets = { API_KEY = { env = \"HOME\" } }",
        ceilings,
    )
    .await;
    assert!(r.is_empty(), "{r:?}");
    let t = fx.token("bot", "T-1", &[]).await;
    still_serves_and_verifies(&fx, &fx.host().await, &t, "adversary.echo", echo()).await;
    // Beyond them: refused, naming the grant.
    let (_, r) = refusal_of(
        "files = [{ host = \"other\", guest = \"/other\", access = \"read\" }]",
        "",
        ceilings,
    )
    .await;
    refused_naming(
        &r,
        &[
            "grants.files[0] (other as /other)",
            "not under a directory the ceiling allows",
        ],
    );
    let (_, r) = refusal_of("http = [\"https://exfil.example\"]", "", ceilings).await;
    refused_naming(
        &r,
        &[
            "grants.http[0] (https://exfil.example)",
            "not an origin the ceiling allows",
        ],
    );
    let (_, r) = refusal_of("http = [\"https://intel.example\"]", "", ceilings).await;
    refused_naming(&r, &["grants.http[0]"]);
    let (_, r) = refusal_of(
        "secrets = [\"AWS_SECRET\"]",
        "secrets = { AWS_SECRET = { env = \"HOME\" } }",
        ceilings,
    )
    .await;
    refused_naming(
        &r,
        &[
            "grants.secrets[0] (AWS_SECRET)",
            "not one the ceiling allows",
        ],
    );
    let (_, r) = refusal_of("env = [\"PATH\"]", "env = { PATH = \"/x\" }", ceilings).await;
    refused_naming(&r, &["grants.env[0] (PATH)"]);
}
