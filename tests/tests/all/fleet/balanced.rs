//! Any host serves any request: three hosts behind HAProxy in round robin,
//! without stickiness. A task token issued through one host and one
//! exchanged at another each work on every host, over HTTP/JSON and MCP
//! (a session an older client began anywhere, and the stateless
//! 2026-07-28 protocol); a token key of another fleet is refused; a call
//! held on one host is approved through another and its result reaches
//! the agent polling the balancer. (The console is in `console`.)

use std::collections::BTreeSet;
use std::time::Duration;

use reqwest::header;
use serde_json::{Value, json};

use super::lb::{Fleet, call, fixture};
use crate::api::support::mcp_client;
use crate::console::{FORM, form};
use crate::identity::{Jwks, Key, claims};

/// The processes that answered: call ids are `call-<process>-<n>`.
fn processes(ids: &[String]) -> BTreeSet<String> {
    ids.iter()
        .filter_map(|id| id.rsplit_once('-').map(|(p, _)| p.to_owned()))
        .collect()
}

/// 30 calls through the balancer with `token`: every one runs, and
/// every host answers some.
async fn thirty_calls(f: &Fleet, token: &str) {
    let http = reqwest::Client::new();
    let mut ids = Vec::new();
    for i in 0..30 {
        let (st, body) = call(
            &http,
            &f.lb.base,
            token,
            "ioc-extract.extract",
            json!({"text": format!("198.51.100.{i}")}),
        )
        .await;
        assert_eq!(st, 200, "call {i}: {body}");
        ids.push(body["call_id"].as_str().unwrap().to_owned());
    }
    assert_eq!(processes(&ids).len(), 3, "every host answered: {ids:?}");
}

/// The Python `mcp` client through the balancer: `kind` (`session`: the
/// initialize handshake and a session; `client`: 2026-07-28, stateless),
/// `n` calls; every one runs.
async fn mcp_calls(f: &Fleet, kind: &str, token: &str, n: usize) {
    let mut steps = vec![json!({"op": "list"})];
    for i in 0..n {
        steps.push(json!({"op": "call", "name": "ioc-extract__extract",
                          "arguments": {"text": format!("203.0.113.{i}")}}));
    }
    let args: Vec<String> = [
        "http",
        "--client",
        kind,
        "--url",
        &format!("{}/mcp", f.lb.base),
        "--token",
        token,
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    let out = mcp_client(args, &Value::Array(steps)).await;
    let results = out["results"].as_array().unwrap();
    assert_eq!(results.len(), n + 1, "{out}");
    assert!(
        results[0]["tools"]
            .as_array()
            .is_some_and(|t| !t.is_empty()),
        "{out}"
    );
    let mut ids = Vec::new();
    for r in &results[1..] {
        assert_eq!(r["is_error"], false, "{kind}: {r}");
        ids.push(r["meta"]["warrant/call_id"].as_str().unwrap().to_owned());
    }
    assert!(
        processes(&ids).len() > 1,
        "{kind}: more than one host answered: {ids:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn tokens_from_any_host_work_on_every_host_over_http_and_mcp() {
    let k1 = Key::new("k1");
    let jwks = Jwks::start(&[&k1]).await;
    let f = Fleet::start(fixture(&jwks).await, 3).await;
    // Issued through host 1; exchanged at host 2.
    let issued = f.token(0, "triage-bot", "INC-100").await;
    let jwt = k1.sign(&claims("system:serviceaccount:soc:bot"), &json!({}));
    let r = reqwest::Client::new()
        .post(format!("{}/oauth/token", f.base(1)))
        .header(header::CONTENT_TYPE, FORM)
        .body(form(&[
            (
                "grant_type",
                "urn:ietf:params:oauth:grant-type:token-exchange",
            ),
            ("subject_token", &jwt),
            ("subject_token_type", "urn:ietf:params:oauth:token-type:jwt"),
            ("task", "INC-101"),
        ]))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let exchanged = r.json::<Value>().await.unwrap()["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    for t in [&issued, &exchanged] {
        thirty_calls(&f, t).await;
        mcp_calls(&f, "session", t, 30).await;
    }
    mcp_calls(&f, "client", &issued, 10).await;

    // Every host's token key is published, and served by every host.
    let meta: Value = reqwest::get(format!(
        "{}/.well-known/oauth-authorization-server",
        f.lb.base
    ))
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    let jwks_uri = meta["jwks_uri"].as_str().unwrap();
    assert_eq!(jwks_uri, format!("{}/.well-known/jwks.json", f.lb.base));
    let set: Value = reqwest::get(jwks_uri).await.unwrap().json().await.unwrap();
    let kids: BTreeSet<&str> = set["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["kid"].as_str().unwrap())
        .collect();
    assert_eq!(kids.len(), 3, "{set}");
    assert!(kids.contains(warrant::authz::warrant_kid(&issued).unwrap().as_str()));
    assert!(kids.contains(warrant::authz::warrant_kid(&exchanged).unwrap().as_str()));

    // A host of another fleet (another database) signs with a key this
    // fleet never published.
    let stranger = super::member_config(
        &f.fx,
        &warrant_tests::postgres::database().await,
        "stranger",
    );
    let foreign = super::token(&f.fx, &stranger, "triage-bot", "INC-100").await;
    let (st, body) = call(
        &reqwest::Client::new(),
        &f.lb.base,
        &foreign,
        "ioc-extract.extract",
        json!({"text": "x"}),
    )
    .await;
    assert_eq!(st, 401, "{body}");
    assert!(
        body.to_string()
            .contains("which no host of this fleet published"),
        "{body}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_rotated_token_key_keeps_its_tokens_and_a_revoked_one_loses_them_everywhere() {
    let jwks = Jwks::start(&[]).await;
    let f = Fleet::start(fixture(&jwks).await, 3).await;
    let before = f.token(2, "triage-bot", "INC-110").await;
    let old = warrant::authz::warrant_kid(&before).unwrap();
    let out =
        f.fx.cli_command(&["token", "rotate-key"])
            .env("WARRANT_CONFIG", &f.configs[2])
            .output()
            .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let new = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    assert_ne!(new, old);
    let after = f.token(2, "triage-bot", "INC-110").await;
    assert_eq!(warrant::authz::warrant_kid(&after).unwrap(), new);
    // Both work on every host: the old key's tokens until they expire.
    thirty_calls(&f, &before).await;
    thirty_calls(&f, &after).await;
    // The old key revoked (it may have leaked): its tokens fail on every
    // host, the new key's work on.
    let signed = super::signer(&f.fx, &f.configs[0], "carol").await.sign(
        warrant::keys::ActionKind::Revoke,
        &old,
        "key leaked",
    );
    assert!(
        super::ops(&f.configs[0])
            .await
            .stop(&warrant::operator::Stop::Revoke(old.clone()), &signed)
            .await
            .unwrap()
    );
    let http = reqwest::Client::new();
    for i in 0..3 {
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        loop {
            let (st, body) = call(
                &http,
                &f.base(i),
                &before,
                "ioc-extract.extract",
                json!({"text": "x"}),
            )
            .await;
            if st == 401 {
                assert!(body.to_string().contains("revoked by carol"), "{body}");
                break;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "host {i}: {st} {body}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let (st, body) = call(
            &http,
            &f.base(i),
            &after,
            "ioc-extract.extract",
            json!({"text": "x"}),
        )
        .await;
        assert_eq!(st, 200, "host {i}: {body}");
    }
    let set: Value = reqwest::get(format!("{}/.well-known/jwks.json", f.lb.base))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        !set.to_string().contains(&old),
        "a revoked key is not served: {set}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_call_held_on_one_host_is_approved_through_another_and_reaches_the_agent() {
    let jwks = Jwks::start(&[]).await;
    let f = Fleet::start(fixture(&jwks).await, 3).await;
    let t = f.token(0, "triage-bot", "INC-200").await;
    let http = reqwest::Client::new();
    let args = json!({"case_id": "INC-200", "note": "Blocked 203.0.113.45"});
    let (st, task) = call(&http, &f.lb.base, &t, "case-note.append", args).await;
    assert_eq!(st, 202, "{task}");
    let task_url = task["task_url"].as_str().unwrap().to_owned();
    assert!(task_url.starts_with(&f.lb.base), "{task_url}");
    // Every host knows the task while it waits.
    for _ in 0..6 {
        let v: Value = http
            .get(&task_url)
            .bearer_auth(&t)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(v["status"], "working", "{v}");
    }
    // Approved through host 3's CLI side.
    let ops = super::ops(&f.configs[2]).await;
    let request = ops
        .approvals(false)
        .await
        .unwrap()
        .into_iter()
        .next()
        .unwrap();
    let decision = super::signer(&f.fx, &f.configs[2], "carol")
        .await
        .sign_decision(true, &request.id, &request.binding.digest(), "confirmed");
    ops.decide(&decision).await.unwrap();
    let mut done = Value::Null;
    for _ in 0..600 {
        done = http
            .get(&task_url)
            .bearer_auth(&t)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if done["status"] != "working" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(done["status"], "completed", "{done}");
    assert_eq!(done["result_status"], 200, "{done}");
    // Whichever host the agent asks, the same ending.
    for _ in 0..6 {
        let v: Value = http
            .get(&task_url)
            .bearer_auth(&t)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(v["result"], done["result"]);
    }
}
