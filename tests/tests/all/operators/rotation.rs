//! Operator keys expire, rotate and are revoked in the config: actions
//! signed with a revoked or expired key are refused, records signed before
//! still verify, and `audit verify` says which key signed each. A new
//! operator key comes from `warrant keygen --operator`.

use warrant::operator::Stop;

use super::{HELD, call, fixture, held_id, untouched, verify_offline};

fn edit(fx: &warrant_tests::Fixture, from: &str, to: &str) {
    let cfg = std::fs::read_to_string(fx.config_path()).unwrap();
    assert!(cfg.contains(from), "{from} in {cfg}");
    std::fs::write(fx.config_path(), cfg.replacen(from, to, 1)).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn revoked_and_expired_keys_are_refused_and_past_signatures_still_verify() {
    let fx = fixture(|b| b).await;
    fx.stop("carol", &Stop::Halt, "drill").await.unwrap();
    fx.stop("carol", &Stop::Resume, "drill over").await.unwrap();
    // Carol's key is revoked from now on; she gets a new one.
    let out = fx.cli(&[
        "keygen",
        "--operator",
        "carol",
        "--id",
        "carol-2027",
        "--out",
        fx.path("operators").to_str().unwrap(),
    ]);
    let printed = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{out:?}");
    assert!(
        printed.contains("[[operators]]") && printed.contains("carol-2027.pub"),
        "{printed}"
    );
    // Signing times are whole seconds: revoke from a later second.
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let now = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    edit(
        &fx,
        r#"public-key-file = "operators/carol-key.pub" }"#,
        &format!(
            r#"public-key-file = "operators/carol-key.pub", revoked-at = "{now}" }}, {{ id = "carol-2027", public-key-file = "operators/carol-2027.pub" }}"#
        ),
    );
    let e = fx.stop("carol", &Stop::Halt, "again").await.unwrap_err();
    assert!(
        e.to_string().contains("key carol-key is revoked since"),
        "{e}"
    );
    let new_key = fx.path("operators/carol-2027.key");
    let with_new_key = |args: &[&str]| {
        let out = fx
            .cli_command(args)
            .arg("--key")
            .arg(&new_key)
            .output()
            .unwrap();
        assert!(out.status.success(), "{args:?}: {out:?}");
        String::from_utf8_lossy(&out.stdout).trim().to_owned()
    };
    with_new_key(&["halt"]);
    // Dave's key expired yesterday: he cannot approve any more.
    let yesterday = (chrono::Utc::now() - chrono::Duration::days(1))
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    edit(
        &fx,
        r#"public-key-file = "operators/dave-key.pub" }"#,
        &format!(r#"public-key-file = "operators/dave-key.pub", not-after = "{yesterday}" }}"#),
    );
    with_new_key(&["resume"]);
    let token = with_new_key(&["token", "issue", "--agent", "bot", "--task", "T-1"]);
    let host = fx.host().await;
    let id = held_id(&call(&host, &token, HELD).await);
    let binding = fx
        .admin()
        .await
        .approval(&id)
        .await
        .unwrap()
        .binding
        .digest();
    let signed = fx.signer("dave").sign_decision(true, &id, &binding, "");
    let e = fx.admin().await.decide(&signed).await.unwrap_err();
    assert!(e.to_string().contains("key dave-key expired at"), "{e}");
    untouched(&fx, &id).await;
    host.shutdown("done").await;
    // Every past signature still verifies, each with the key that made it.
    let (ok, text) = verify_offline(&fx);
    assert!(ok, "{text}");
    for line in [
        "host.halted: signed by carol with key carol-key",
        "host.resumed: signed by carol with key carol-key",
        "host.halted: signed by carol with key carol-2027",
        "token.issued: signed by carol with key carol-2027",
    ] {
        assert!(text.contains(line), "{line}: {text}");
    }
}
