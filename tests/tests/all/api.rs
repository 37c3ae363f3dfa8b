//! The agent-facing API, driven by real clients: the Python `mcp` package
//! from PyPI (its stdio and streamable-HTTP clients, with the initialize
//! handshake and with the 2026-07-28 protocol) and `reqwest` on the HTTP/JSON
//! and admin APIs. Allowed, denied and held calls; token scope; the Origin
//! and Host checks; the admin credential; metrics; shutdown and disconnects.

mod admin_api;
mod json_api;
mod lifecycle;
pub(crate) mod support;
pub(crate) mod tls;

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};
use support::{call_records, names, over_http, over_stdio, records, serve, soc};

fn session_steps() -> Value {
    json!([
        {"op": "list"},
        {"op": "call", "name": "ioc-extract__extract",
         "arguments": {"text": "beacon to 203.0.113.45 and evil.example"},
         "meta": {"warrant/prompt": "triage alert 7", "warrant/context": {"alert": 7}}},
        {"op": "call", "name": "adversary__echo", "arguments": {"text": "x"}},
        {"op": "call", "name": "case-note__append",
         "arguments": {"case_id": "INC-2026-0042", "note": "Blocked 203.0.113.45"}},
    ])
}

/// Check what a client saw of [`session_steps`]; the held call's approval id.
fn check_session(fx: &warrant_tests::Fixture, out: &Value) -> String {
    assert_eq!(out["server_info"]["name"], "warrant", "{out}");
    assert!(
        out["instructions"]
            .as_str()
            .unwrap_or("")
            .contains("pending approval")
    );
    let r = out["results"].as_array().expect("results");
    assert_eq!(names(&r[0]), ["case-note__append", "ioc-extract__extract"]);
    let tools = r[0]["tools"].as_array().unwrap();
    let ioc = tools
        .iter()
        .find(|t| t["name"] == "ioc-extract__extract")
        .unwrap();
    assert_eq!(
        (&ioc["read_only"], &ioc["destructive"]),
        (&json!(true), &json!(false))
    );
    assert_eq!(ioc["title"], "ioc-extract.extract");
    assert_eq!(ioc["input_schema"]["type"], "object");
    assert!(
        ioc["input_schema"]["properties"]["text"].is_object(),
        "{ioc}"
    );
    let note = tools
        .iter()
        .find(|t| t["name"] == "case-note__append")
        .unwrap();
    assert_eq!(
        (&note["read_only"], &note["destructive"]),
        (&json!(false), &json!(true))
    );

    // Allowed: the output, structured, with its audit record id.
    assert_eq!(r[1]["is_error"], false, "{}", r[1]);
    assert!(r[1]["text"].as_str().unwrap().contains("203.0.113.45"));
    assert!(r[1]["structured"].is_object(), "{}", r[1]);
    let call_id = r[1]["meta"]["warrant/call_id"].as_str().unwrap();
    let seq = r[1]["meta"]["warrant/audit_seq"].as_u64().unwrap();
    let recs = call_records(fx, call_id);
    assert!(recs.iter().any(|x| x.seq == seq && x.kind == "call"));
    let decided = recs.iter().find(|x| x.kind == "call").unwrap();
    assert_eq!(decided.data["prompt"], "triage alert 7");
    assert_eq!(decided.data["channel"], "mcp");
    assert!(
        decided.data["context"]
            .as_str()
            .unwrap()
            .contains("\"alert\":7")
    );

    // Denied: a tool error result naming the layer, not a protocol error.
    assert_eq!(r[2]["is_error"], true, "{}", r[2]);
    assert_eq!(r[2]["meta"]["warrant/layer"], "scope");
    assert!(r[2]["text"].as_str().unwrap().contains("outside the scope"));

    // Held: "pending approval apr-…" with the id in _meta.
    assert_eq!(r[3]["is_error"], true, "{}", r[3]);
    let text = r[3]["text"].as_str().unwrap();
    assert!(text.starts_with("pending approval apr-"), "{text}");
    let id = r[3]["meta"]["warrant/approval_id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(text.contains(&id));
    id
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mcp_stdio_client_lists_and_calls_allowed_denied_and_held_tools() {
    let fx = soc().await;
    let token = fx
        .token(
            "triage-bot",
            "INC-2026-0042",
            &["ioc-extract.*", "case-note.append"],
        )
        .await;
    let out = over_stdio(&fx, "session", &token, &session_steps()).await;
    let approval = check_session(&fx, &out);
    // The newest protocol (no initialize handshake) sees the same.
    let modern = over_stdio(&fx, "client", &token, &session_steps()).await;
    assert_eq!(modern["protocol_version"], "2026-07-28");
    assert_eq!(
        check_session(&fx, &modern),
        approval,
        "the same call, the same request"
    );
    // Approved from another process; the same call then runs.
    let ok = fx.cli_as("carol", &["approvals", "approve", &approval]);
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    let steps = json!([session_steps()[3]]);
    let again = over_stdio(&fx, "client", &token, &steps).await;
    assert_eq!(again["results"][0]["is_error"], false, "{again}");
    assert!(fx.path("cases/INC-2026-0042.md").is_file());
    let verified = fx.cli(&["audit", "verify"]);
    assert!(
        verified.status.success(),
        "{}",
        String::from_utf8_lossy(&verified.stderr)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mcp_http_client_lists_and_calls_allowed_denied_and_held_tools() {
    let fx = soc().await;
    let srv = serve(&fx).await;
    let token = fx
        .token(
            "triage-bot",
            "INC-2026-0042",
            &["ioc-extract.*", "case-note.append"],
        )
        .await;
    let out = over_http(&srv, "session", &token, &session_steps()).await;
    let approval = check_session(&fx, &out);
    let modern = over_http(&srv, "client", &token, &session_steps()).await;
    assert_eq!(modern["protocol_version"], "2026-07-28");
    assert_eq!(
        check_session(&fx, &modern),
        approval,
        "the same call, the same request"
    );
    // Approved through the admin API; the same call then runs, once.
    let http = reqwest::Client::new();
    let admin = fx.admin().await;
    let digest = admin.approval(&approval).await.unwrap().binding.digest();
    let signed =
        fx.signer("carol")
            .sign_decision(true, &approval, &digest, "containment confirmed");
    let r = http
        .post(format!(
            "{}/v1/admin/approvals/{approval}/approve",
            srv.base
        ))
        .json(&signed)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let steps = json!([session_steps()[3], session_steps()[3]]);
    let again = over_http(&srv, "session", &token, &steps).await;
    assert_eq!(again["results"][0]["is_error"], false, "{again}");
    assert!(
        again["results"][1]["text"]
            .as_str()
            .unwrap()
            .starts_with("pending approval")
    );
    // A token that is accepted but whose agent is quarantined: tools/list
    // is a readable MCP error. (A token that is not accepted gets HTTP 401
    // with a challenge: `identity::resource`.)
    fx.stop(
        "carol",
        &warrant::operator::Stop::Quarantine("triage-bot".into()),
        "drill",
    )
    .await
    .unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let bad = over_http(&srv, "client", &token, &json!([{"op": "list"}])).await;
    let err = bad["results"][0]["error"].as_str().unwrap_or_default();
    assert!(err.contains("quarantined"), "{bad}");
    assert_eq!(bad["results"][0]["code"], warrant::api::REFUSED.0);
    srv.running.shutdown().await.unwrap();
    assert!(fx.cli(&["audit", "verify"]).status.success());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_never_shows_or_runs_a_tool_outside_its_scope() {
    let fx = soc().await;
    let srv = serve(&fx).await;
    // triage-bot may use more, but this token is for one tool only.
    let narrow = fx
        .token("triage-bot", "INC-1", &["ioc-extract.extract"])
        .await;
    let intel = fx.token("intel-bot", "INC-1", &[]).await;
    let probe = json!([
        {"op": "list"},
        {"op": "call", "name": "adversary__echo", "arguments": {"text": "x"}},
        {"op": "call", "name": "case-note__append", "arguments": {"case_id": "INC-1", "note": "x"}},
        {"op": "call", "name": "adversary.echo", "arguments": {"text": "x"}},
        {"op": "call", "name": "ioc-extract__extract", "arguments": {"text": "1.2.3.4"}},
    ]);
    for (token, kind) in [(&narrow, "session"), (&intel, "client")] {
        let out = over_http(&srv, kind, token, &probe).await;
        let r = out["results"].as_array().unwrap();
        assert_eq!(names(&r[0]), ["ioc-extract__extract"], "{out}");
        for denied in &r[1..4] {
            assert_eq!(denied["is_error"], true, "{denied}");
            assert_eq!(denied["meta"]["warrant/layer"], "scope", "{denied}");
        }
        assert_eq!(r[4]["is_error"], false, "{}", r[4]);
        // The HTTP/JSON API agrees.
        let http = reqwest::Client::new();
        let listed: Value = http
            .get(format!("{}/v1/tools", srv.base))
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let listed: Vec<&str> = listed["tools"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|t| t["name"].as_str())
            .collect();
        assert_eq!(listed, ["ioc-extract.extract"]);
        let r = http
            .post(format!("{}/v1/tools/adversary.echo/call", srv.base))
            .bearer_auth(token)
            .json(&json!({"input": {"text": "x"}}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::FORBIDDEN);
    }
    // Nothing outside the scope ran: every such call was refused, on record.
    for rec in records(&fx).iter().filter(|r| r.kind == "call") {
        if rec.str("tool") != Some("ioc-extract.extract") {
            assert_eq!(rec.str("outcome"), Some("refused"), "{:?}", rec.data);
        }
    }
    assert!(!fx.path("cases/INC-1.md").exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_mcp_client_that_abandons_a_call_cancels_it() {
    let fx = soc().await;
    let srv = serve(&fx).await;
    let token = fx.token("triage-bot", "INC-4", &[]).await;
    for kind in ["session", "client"] {
        let steps = json!([
            {"op": "call", "name": "adversary__spin", "arguments": {}, "timeout": 1.0},
            {"op": "list"},
        ]);
        let out = over_http(&srv, kind, &token, &steps).await;
        assert!(
            out["results"][0]["error"]
                .as_str()
                .unwrap_or("")
                .contains("timed out"),
            "{out}"
        );
        for _ in 0..500 {
            if srv.host.inflight() == 0 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        assert_eq!(
            srv.host.inflight(),
            0,
            "{kind}: the abandoned call was stopped"
        );
    }
    let cancelled: Vec<_> = records(&fx)
        .into_iter()
        .filter(|r| r.kind == "call" && r.str("tool") == Some("adversary.spin"))
        .collect();
    assert_eq!(cancelled.len(), 2);
    for r in cancelled {
        assert_eq!(r.str("outcome"), Some("cancelled"), "{:?}", r.data);
    }
}
