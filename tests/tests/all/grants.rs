//! Every grant kind, allowed and denied, with real components: files
//! (including traversal, symlinks planted after load, read-only), env,
//! secrets, clock and randomness, limits.

use serde_json::{Value, json};
use warrant::{CallError, CallFailure, CallRequest, Host};
use warrant_tests::{Fixture, PluginSpec};

pub(crate) async fn call(
    host: &Host,
    token: &str,
    tool: &str,
    input: Value,
) -> Result<String, CallError> {
    host.call(CallRequest {
        token: token.into(),
        tool: tool.into(),
        input: input.into(),
        channel: "lib",
        ..CallRequest::default()
    })
    .await
    .outcome
}

async fn fs(host: &Host, t: &str, op: &str, path: &str, arg: &str) -> Result<String, String> {
    match call(
        host,
        t,
        "adversary.fs",
        json!({"op": op, "path": path, "arg": arg}),
    )
    .await
    {
        Ok(out) => Ok(serde_json::from_str::<String>(&out).unwrap()),
        Err(CallError::Failed(CallFailure::ToolFailed(m))) => Err(m),
        Err(e) => panic!("unexpected: {e}"),
    }
}

pub(crate) async fn adversary_host(grants: &str, entry: &str) -> (Fixture, Host, String) {
    let fx = Fixture::builder()
        .plugin(PluginSpec::new("adversary").grants(grants).entry(entry))
        .agent("bot", &["adversary.*"])
        .build()
        .await;
    std::fs::create_dir_all(fx.path("data/sub")).unwrap();
    std::fs::write(fx.path("data/report.txt"), "granted data").unwrap();
    std::fs::write(fx.path("secret-outside.txt"), "outside the grant").unwrap();
    let host = fx.host().await;
    assert!(
        host.registry().refusals().is_empty(),
        "{:?}",
        host.registry().refusals()
    );
    let t = fx.token("bot", "T-1", &[]).await;
    (fx, host, t)
}

const READ: &str = "files = [{ host = \"data\", guest = \"/data\", access = \"read\" }]";
const READ_WRITE: &str =
    "files = [{ host = \"data\", guest = \"/data\", access = \"read-write\" }]";

#[tokio::test]
async fn files_granted_read_only_can_be_read_and_nothing_else() {
    let (fx, host, t) = adversary_host(READ, "").await;
    assert_eq!(
        fs(&host, &t, "read", "/data/report.txt", "").await.unwrap(),
        "granted data"
    );
    assert_eq!(
        fs(&host, &t, "list", "/data", "").await.unwrap(),
        "report.txt,sub"
    );
    for (op, path, arg) in [
        ("write", "/data/new.txt", "x"),
        ("create", "/data/new.txt", ""),
        ("append", "/data/report.txt", "more"),
        ("truncate", "/data/report.txt", ""),
        ("rename", "/data/report.txt", "/data/renamed.txt"),
        ("link", "/data/report.txt", "/data/hardlink.txt"),
        ("remove", "/data/report.txt", ""),
        ("mkdir", "/data/newdir", ""),
    ] {
        assert!(
            fs(&host, &t, op, path, arg).await.is_err(),
            "read-only allowed {op}"
        );
    }
    assert_eq!(
        std::fs::read_to_string(fx.path("data/report.txt")).unwrap(),
        "granted data"
    );
    assert_eq!(
        std::fs::read_dir(fx.path("data")).unwrap().count(),
        2,
        "nothing was created"
    );
}

#[tokio::test]
async fn files_granted_read_write_can_be_changed() {
    let (fx, host, t) = adversary_host(READ_WRITE, "").await;
    assert_eq!(
        fs(&host, &t, "write", "/data/new.txt", "hello")
            .await
            .unwrap(),
        "written"
    );
    assert_eq!(
        fs(&host, &t, "append", "/data/new.txt", " world")
            .await
            .unwrap(),
        "appended"
    );
    assert_eq!(
        fs(&host, &t, "rename", "/data/new.txt", "/data/renamed.txt")
            .await
            .unwrap(),
        "renamed"
    );
    assert_eq!(
        fs(&host, &t, "mkdir", "/data/newdir", "").await.unwrap(),
        "made"
    );
    assert_eq!(
        std::fs::read_to_string(fx.path("data/renamed.txt")).unwrap(),
        "hello world"
    );
    assert_eq!(
        fs(&host, &t, "remove", "/data/renamed.txt", "")
            .await
            .unwrap(),
        "removed"
    );
}

#[tokio::test]
async fn no_file_grant_means_no_files_at_all() {
    let (_fx, host, t) = adversary_host("", "").await;
    for path in ["/data/report.txt", "/etc/passwd", "report.txt", "/"] {
        assert!(
            fs(&host, &t, "read", path, "").await.is_err(),
            "read {path}"
        );
    }
    let out: Value = serde_json::from_str(
        &call(&host, &t, "adversary.ambient", json!({}))
            .await
            .unwrap(),
    )
    .unwrap();
    assert_eq!(
        out["root_listing"],
        Value::Null,
        "no preopens at all: {out}"
    );
}

#[tokio::test]
async fn traversal_and_absolute_paths_never_leave_the_granted_directory() {
    let (_fx, host, t) = adversary_host(READ_WRITE, "").await;
    for path in [
        "/data/../secret-outside.txt",
        "/data/sub/../../secret-outside.txt",
        "/secret-outside.txt",
        "/etc/passwd",
        "/data/../../../../etc/passwd",
    ] {
        let r = fs(&host, &t, "read", path, "").await;
        assert!(r.is_err(), "{path} read: {r:?}");
        let w = fs(&host, &t, "write", path, "pwned").await;
        assert!(w.is_err(), "{path} written: {w:?}");
    }
}

#[tokio::test]
async fn symlinks_pointing_out_are_refused_even_when_planted_after_load() {
    let (fx, host, t) = adversary_host(READ_WRITE, "").await;
    // Planted by someone else on the host after the plugin was loaded.
    std::os::unix::fs::symlink(fx.path("secret-outside.txt"), fx.path("data/escape")).unwrap();
    std::os::unix::fs::symlink("/etc", fx.path("data/etc")).unwrap();
    std::os::unix::fs::symlink("report.txt", fx.path("data/inside")).unwrap();
    assert!(fs(&host, &t, "read", "/data/escape", "").await.is_err());
    assert!(
        fs(&host, &t, "read", "/data/etc/hostname", "")
            .await
            .is_err()
    );
    assert!(
        fs(&host, &t, "write", "/data/escape", "pwned")
            .await
            .is_err()
    );
    assert_eq!(
        std::fs::read_to_string(fx.path("secret-outside.txt")).unwrap(),
        "outside the grant"
    );
    assert_eq!(
        fs(&host, &t, "read", "/data/inside", "").await.unwrap(),
        "granted data",
        "a symlink within the grant resolves"
    );
}

#[tokio::test]
async fn env_shows_only_granted_variables_with_operator_values() {
    // SAFETY of the test: set a variable the guest must not see.
    unsafe_env_set("WARRANT_TEST_HOST_ONLY", "leak");
    let (_fx, host, t) = adversary_host(
        "env = [\"INTEL_API\", \"UNSET_ONE\"]",
        "env = { INTEL_API = \"http://127.0.0.1:9\" }",
    )
    .await;
    let out: Value =
        serde_json::from_str(&call(&host, &t, "adversary.env", json!({})).await.unwrap()).unwrap();
    assert_eq!(
        out,
        json!([[["INTEL_API", "http://127.0.0.1:9"]], []]),
        "only the granted, supplied variable; no arguments"
    );
    // Without an env grant: nothing.
    let (_fx, host, t) = adversary_host("", "").await;
    let out: Value =
        serde_json::from_str(&call(&host, &t, "adversary.env", json!({})).await.unwrap()).unwrap();
    assert_eq!(out, json!([[], []]));
}

fn unsafe_env_set(k: &str, v: &str) {
    // Tests in this binary never read this variable concurrently with a
    // write elsewhere; setting it only proves the guest cannot see it.
    #[allow(unsafe_code)]
    // SAFETY: see above; no other thread reads this variable.
    unsafe {
        std::env::set_var(k, v);
    }
}

#[tokio::test]
async fn config_may_not_widen_a_grant() {
    let fx = Fixture::builder()
        .plugin(PluginSpec::new("adversary").entry("env = { NOT_GRANTED = \"x\" }"))
        .agent("bot", &["adversary.*"])
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
        r.len() == 1 && r[0].contains("env sets NOT_GRANTED, which the manifest does not grant"),
        "{r:?}"
    );
    let fx = Fixture::builder()
        .plugin(
            PluginSpec::new("adversary")
                .limits("timeout = \"1s\"")
                .entry("limits = { timeout = \"10s\" }"),
        )
        .agent("bot", &["adversary.*"])
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
    assert!(r.len() == 1 && r[0].contains("may only tighten"), "{r:?}");
}

#[tokio::test]
async fn secrets_are_delivered_only_when_granted_and_never_logged() {
    let fx = Fixture::builder()
        .plugin(
            PluginSpec::new("adversary")
                .grants("secrets = [\"INTEL_KEY\"]")
                .entry("secrets = { INTEL_KEY = { file = \"intel.key\" } }"),
        )
        .agent("bot", &["adversary.*"])
        .build()
        .await;
    std::fs::write(fx.path("intel.key"), "s3cr3t-v4lue\n").unwrap();
    let host = fx.host().await;
    let t = fx.token("bot", "T-1", &[]).await;
    // Delivered to the plugin — and the output that returns it is blocked,
    // naming the secret, never its value.
    let blocked = call(&host, &t, "adversary.secret", json!({"name": "INTEL_KEY"}))
        .await
        .unwrap_err();
    assert!(
        matches!(&blocked, CallError::Failed(CallFailure::SecretBlocked { name, place })
            if name == "INTEL_KEY" && place == "the output"),
        "{blocked:?}"
    );
    assert!(!blocked.to_string().contains("s3cr3t-v4lue"));
    let err = call(&host, &t, "adversary.secret", json!({"name": "OTHER_KEY"}))
        .await
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("secret `OTHER_KEY` is not granted"),
        "{err}"
    );
    host.audit().close();
    let chain = std::fs::read_to_string(fx.path("state/audit/audit.jsonl")).unwrap();
    assert!(
        chain.contains("\"name\":\"INTEL_KEY\"") && chain.contains("\"granted\":true"),
        "each read is audited by name"
    );
    assert!(chain.contains("\"name\":\"OTHER_KEY\"") && chain.contains("\"granted\":false"));
    assert!(
        !chain.contains("s3cr3t-v4lue"),
        "the value never reaches the audit chain"
    );

    // Granted but not supplied by the operator: refused at load, by name.
    let fx = Fixture::builder()
        .plugin(PluginSpec::new("adversary").grants("secrets = [\"INTEL_KEY\"]"))
        .agent("bot", &["adversary.*"])
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
        r.len() == 1 && r[0].contains("grants secret INTEL_KEY but the config supplies no value"),
        "{r:?}"
    );
}

#[tokio::test]
async fn clock_and_randomness_are_inert_unless_granted() {
    let (_fx, host, t) = adversary_host("", "").await;
    let a: Value = serde_json::from_str(
        &call(&host, &t, "adversary.ambient", json!({}))
            .await
            .unwrap(),
    )
    .unwrap();
    let b: Value = serde_json::from_str(
        &call(&host, &t, "adversary.ambient", json!({}))
            .await
            .unwrap(),
    )
    .unwrap();
    assert_eq!(a["wall_secs"], 0, "the wall clock reads the epoch");
    assert_eq!(a["mono_nanos"], 0, "the monotonic clock stands still");
    assert_eq!(a["random"], b["random"], "randomness is a fixed sequence");

    let (_fx, host, t) = adversary_host("clock = true\nrandom = true", "").await;
    let a: Value = serde_json::from_str(
        &call(&host, &t, "adversary.ambient", json!({}))
            .await
            .unwrap(),
    )
    .unwrap();
    let b: Value = serde_json::from_str(
        &call(&host, &t, "adversary.ambient", json!({}))
            .await
            .unwrap(),
    )
    .unwrap();
    assert!(a["wall_secs"].as_u64().unwrap() > 1_700_000_000, "{a}");
    assert_ne!(a["random"], b["random"]);
}
