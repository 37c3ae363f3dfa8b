//! Finding 4: a signed operator action is good on any host. Carol's signed
//! halt, copied out of host A's audit chain, halted host B (same operators,
//! its own state) within the five-minute freshness window. Every action now
//! names its audience — the host's id, or the fleet's — and any other host
//! refuses it: through the library and the HTTP operator API.

use reqwest::StatusCode;
use warrant::keys::{ActionKind, SignedAction};
use warrant::operator::{OperatorError, Stop};
use warrant_tests::{Fixture, PluginSpec};

use super::{echo, still_serves_and_verifies};
use crate::api::support::serve;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_action_signed_for_one_host_is_refused_by_another() {
    let a = Fixture::builder()
        .plugin(PluginSpec::new("adversary"))
        .agent("bot", &["adversary.*"])
        .build()
        .await;
    // B: the same config and operators, its own state (its own host id).
    let b = a.fork();
    let _ = std::fs::remove_dir_all(b.path("state"));
    assert_ne!(a.audience(), b.audience());
    assert!(a.audience().starts_with("host-"), "{}", a.audience());

    // Carol halts A; the signed halt is in A's chain.
    let halt = a.sign("carol", ActionKind::Halt, "", "drill on A");
    assert!(a.admin().await.stop(&Stop::Halt, &halt).await.unwrap());
    let copied: SignedAction = crate::hardening::records(&a)
        .iter()
        .find(|r| r.kind == "host.halted")
        .map(|r| serde_json::from_value(r.data["signed"].clone()).unwrap())
        .unwrap();
    assert_eq!(copied, halt);

    // Replayed on B through the library: refused, naming both.
    let err = b
        .admin()
        .await
        .stop(&Stop::Halt, &copied)
        .await
        .unwrap_err();
    assert!(
        matches!(err, OperatorError::WrongAudience { .. })
            && err.to_string().contains(&a.audience())
            && err.to_string().contains(&b.audience()),
        "{err}"
    );
    // A fresh copy, never used anywhere, is refused on B all the same.
    let fresh = a.sign("carol", ActionKind::Halt, "", "for A only");
    let srv = serve(&b).await;
    let r = reqwest::Client::new()
        .post(format!("{}/v1/admin/halt", srv.base))
        .json(&fresh)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let text = r.text().await.unwrap();
    assert!(text.contains("signed for host-"), "{text}");
    // An action that names no audience (an old signer) is refused too.
    let mut body = b.body("carol", ActionKind::Halt, "");
    body.audience = None;
    let unbound = b.sign_body("carol", body);
    let err = b
        .admin()
        .await
        .stop(&Stop::Halt, &unbound)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("names no audience"), "{err}");
    // B was never halted; it serves, and its chain verifies.
    assert!(
        b.admin()
            .await
            .state()
            .stop_state()
            .await
            .unwrap()
            .halted
            .is_none()
    );
    let t = b.token("bot", "T-1", &[]).await;
    still_serves_and_verifies(&b, &srv.host, &t, "adversary.echo", echo()).await;
    // And A's own chain, with the halt it accepted, verifies.
    let out = a.cli(&["audit", "verify"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}
