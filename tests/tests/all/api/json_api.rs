//! The HTTP/JSON API with `reqwest`: calls and their statuses, audit record
//! lookup, concurrency, metrics; the Origin and Host checks.

use reqwest::StatusCode;
use serde_json::{Value, json};
use warrant::api::{ApiError, ServeOptions, serve_http};

use super::support::{serve, soc};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_json_api_calls_tools_and_finds_their_audit_records() {
    let fx = soc().await;
    let srv = serve(&fx).await;
    let token = fx.token("triage-bot", "INC-2026-0007", &[]).await;
    let http = reqwest::Client::new();
    let call = |tool: &str, body: Value| {
        http.post(format!("{}/v1/tools/{tool}/call", srv.base))
            .bearer_auth(&token)
            .json(&body)
            .send()
    };
    let r = call(
        "ioc-extract.extract",
        json!({"input": {"text": "see 198.51.100.7"}, "prompt": "enrich"}),
    )
    .await
    .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let ok: Value = r.json().await.unwrap();
    assert!(ok["output"].is_object() && ok["audit_seq"].is_u64(), "{ok}");
    let found: Value = http
        .get(format!(
            "{}/v1/calls/{}",
            srv.base,
            ok["call_id"].as_str().unwrap()
        ))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(found["outcome"], "ok");
    let seqs: Vec<u64> = found["records"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|r| r["seq"].as_u64())
        .collect();
    assert!(seqs.contains(&ok["audit_seq"].as_u64().unwrap()), "{found}");
    // Another agent's token cannot read this call's records.
    let other = fx.token("intel-bot", "T", &[]).await;
    let r = http
        .get(format!(
            "{}/v1/calls/{}",
            srv.base,
            ok["call_id"].as_str().unwrap()
        ))
        .bearer_auth(&other)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);

    let r = call("ioc-extract.extract", json!({"input": {"text": 5}}))
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let r = call(
        "case-note.append",
        json!({"input": {"case_id": "INC-2026-0007", "note": "x"}}),
    )
    .await
    .unwrap();
    // Held: a task to poll, at once.
    assert_eq!(r.status(), StatusCode::ACCEPTED);
    let location = r.headers()["location"].to_str().unwrap().to_owned();
    let held: Value = r.json().await.unwrap();
    assert!(
        held["approval_id"].as_str().unwrap().starts_with("apr-"),
        "{held}"
    );
    assert_eq!(held["status"], "working");
    assert_eq!(held["task_url"], location);
    let polled: Value = http
        .get(&location)
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(polled["status"], "working", "{polled}");
    let r = http
        .post(format!("{}/v1/tools/ioc-extract.extract/call", srv.base))
        .json(&json!({"input": {"text": "x"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);

    let metrics = http
        .get(format!("{}/metrics", srv.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    // Every call counts, with its plugin, tool, decision, layer, outcome
    // and channel (the OpenTelemetry instruments, read by the SDK's
    // Prometheus exporter).
    use warrant_tests::exposition::sum;
    let ioc = ("plugin", "ioc-extract");
    for (labels, n) in [
        (
            vec![
                ioc,
                ("decision", "allow"),
                ("outcome", "ok"),
                ("channel", "http"),
            ],
            1.0,
        ),
        (
            vec![
                ioc,
                ("tool", "ioc-extract.extract"),
                ("outcome", "invalid-input"),
            ],
            1.0,
        ),
        (vec![ioc, ("decision", "deny"), ("outcome", "refused")], 1.0),
    ] {
        assert_eq!(
            sum(&metrics, "warrant_calls_total", &labels),
            Some(n),
            "{labels:?}:\n{metrics}"
        );
    }
    for (name, n) in [
        ("warrant_call_duration_seconds_count", 3.0),
        ("warrant_approvals_pending", 1.0),
        // The held call waits for its decision as a task.
        ("warrant_calls_in_flight", 1.0),
    ] {
        assert_eq!(sum(&metrics, name, &[]), Some(n), "{name}:\n{metrics}");
    }
    // Many calls at once, each through the whole path, each on record.
    let mut calls = tokio::task::JoinSet::new();
    for i in 0..16 {
        let req = http
            .post(format!("{}/v1/tools/ioc-extract.extract/call", srv.base))
            .bearer_auth(&token)
            .json(&json!({"input": {"text": format!("host 192.0.2.{i} seen")}}));
        calls.spawn(async move { req.send().await.unwrap().json::<Value>().await.unwrap() });
    }
    let mut ids = std::collections::BTreeSet::new();
    while let Some(done) = calls.join_next().await {
        let v = done.unwrap();
        assert!(v["output"]["ipv4"].is_array(), "{v}");
        ids.insert(v["call_id"].as_str().unwrap().to_owned());
    }
    assert_eq!(ids.len(), 16);
    let health: Value = http
        .get(format!("{}/healthz", srv.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(health["status"], "ok");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn foreign_origins_and_hosts_are_refused() {
    let fx = soc().await;
    let srv = serve(&fx).await;
    let token = fx.token("intel-bot", "T", &[]).await;
    let http = reqwest::Client::new();
    for path in ["/healthz", "/v1/tools", "/mcp", "/v1/admin/approvals"] {
        let r = http
            .get(format!("{}{path}", srv.base))
            .bearer_auth(&token)
            .header("Origin", "https://evil.example")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{path}");
        let r = http
            .get(format!("{}{path}", srv.base))
            .bearer_auth(&token)
            .header("Host", "evil.example")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{path}");
    }
    let r = http
        .get(format!("{}/v1/tools", srv.base))
        .bearer_auth(&token)
        .header("Origin", "http://localhost:5173")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    // Beyond loopback only when asked for explicitly.
    let opts = ServeOptions {
        listen: "0.0.0.0:0".parse().unwrap(),
        handle_signals: false,
        ..ServeOptions::default()
    };
    let refused = serve_http(srv.host.clone(), opts).await;
    assert!(
        matches!(refused, Err(ApiError::NotLoopback { .. })),
        "{refused:?}"
    );
}
