//! Held calls as tasks: over MCP (2026-07-28, the tasks extension, raw
//! JSON-RPC: no Python client speaks the extension yet) and over HTTP/JSON
//! (`202` and `/v1/tasks`). A held call is a task at once; `tasks/get`
//! shows it waiting; an approval from the CLI completes it with the
//! tool's result, a denial fails it with the reason, a halt cancels it;
//! only its agent sees it.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};
use warrant::operator::Stop;

use crate::api::support::{serve, soc};

/// One 2026-07-28 request to `/mcp`: its HTTP status and JSON-RPC answer.
async fn rpc(base: &str, token: &str, method: &str, params: Value) -> (StatusCode, Value) {
    let mut params = params;
    params["_meta"] = json!({
        "io.modelcontextprotocol/protocolVersion": "2026-07-28",
        "io.modelcontextprotocol/clientCapabilities": {
            "extensions": {"io.modelcontextprotocol/tasks": {}}
        },
        "io.modelcontextprotocol/clientInfo": {"name": "tasks-test", "version": "1"}
    });
    let mut req = reqwest::Client::new()
        .post(format!("{base}/mcp"))
        .bearer_auth(token)
        .header("accept", "application/json, text/event-stream")
        .header("mcp-protocol-version", "2026-07-28")
        .header("mcp-method", method);
    if let Some(name) = params["name"].as_str().or(params["taskId"].as_str()) {
        req = req.header("mcp-name", name);
    }
    let r = req
        .json(&json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params}))
        .send()
        .await
        .unwrap();
    let status = r.status();
    let text = r.text().await.unwrap();
    let body = text
        .lines()
        .filter_map(|l| l.strip_prefix("data: "))
        .find(|l| !l.trim().is_empty())
        .unwrap_or(&text);
    (status, serde_json::from_str(body).unwrap_or(Value::Null))
}

/// `tasks/get` until the task leaves `working`.
async fn settled(base: &str, token: &str, task: &str) -> Value {
    for _ in 0..200 {
        let (_, r) = rpc(base, token, "tasks/get", json!({"taskId": task})).await;
        if r["result"]["status"] != "working" {
            return r["result"].clone();
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("task {task} stayed working");
}

/// A held `case-note.append` as a task: (task id, approval id).
async fn held(base: &str, token: &str, note: &str) -> (String, String) {
    let (status, r) = rpc(
        base,
        token,
        "tools/call",
        json!({"name": "case-note__append", "arguments": {"case_id": "INC-2026-0301", "note": note}}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{r}");
    let t = &r["result"];
    assert_eq!(t["resultType"], "task", "{r}");
    assert_eq!(t["status"], "working", "{r}");
    assert!(
        t["pollIntervalMs"].as_u64().is_some() && t["ttlMs"].as_u64().is_some(),
        "{r}"
    );
    (
        t["taskId"].as_str().unwrap().to_owned(),
        t["_meta"]["warrant/approval_id"]
            .as_str()
            .unwrap()
            .to_owned(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_held_call_is_a_task_that_the_decision_completes_fails_or_cancels() {
    let fx = soc().await;
    let srv = serve(&fx).await;
    let base = srv.base.clone();
    let token = fx.token("triage-bot", "INC-2026-0301", &[]).await;

    // The server says it speaks the extension.
    let (_, d) = rpc(&base, &token, "server/discover", json!({})).await;
    assert!(
        d["result"]["capabilities"]["extensions"]["io.modelcontextprotocol/tasks"].is_object(),
        "{d}"
    );

    // Approved: the task completes with the tool's result; nothing re-sent.
    let (task, approval) = held(&base, &token, "Blocked 203.0.113.45").await;
    let (_, waiting) = rpc(&base, &token, "tasks/get", json!({"taskId": task})).await;
    assert_eq!(waiting["result"]["status"], "working", "{waiting}");
    assert!(
        waiting["result"]["statusMessage"]
            .as_str()
            .unwrap()
            .contains(&approval),
        "{waiting}"
    );
    // Another agent's token does not see it.
    let other = fx.token("intel-bot", "INC-2026-0301", &[]).await;
    let (_, hidden) = rpc(&base, &other, "tasks/get", json!({"taskId": task})).await;
    assert_eq!(hidden["error"]["code"], -32602, "{hidden}");
    let out = fx.cli_as(
        "carol",
        &["approvals", "approve", &approval, "--reason", "ok"],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let done = settled(&base, &token, &task).await;
    assert_eq!(done["status"], "completed", "{done}");
    assert_eq!(done["result"]["isError"], false, "{done}");
    let text = done["result"]["content"][0]["text"].as_str().unwrap();
    assert_eq!(serde_json::from_str::<Value>(text).unwrap()["entry"], 1);
    assert!(done["result"]["_meta"]["warrant/call_id"].is_string());
    assert!(
        std::fs::read_to_string(fx.path("cases/INC-2026-0301.md"))
            .unwrap()
            .contains("Blocked 203.0.113.45")
    );

    // Denied: the task fails with the reason.
    let (task, approval) = held(&base, &token, "Reimage the DC").await;
    let out = fx.cli_as(
        "dave",
        &["approvals", "deny", &approval, "--reason", "too broad"],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let failed = settled(&base, &token, &task).await;
    assert_eq!(failed["status"], "failed", "{failed}");
    let msg = failed["error"]["message"].as_str().unwrap();
    assert!(
        msg.contains("denied by dave") && msg.contains("too broad"),
        "{failed}"
    );
    assert!(failed.get("result").is_none(), "{failed}");

    // Cancelled by the agent: the call stops.
    let (task, _) = held(&base, &token, "Wait for it").await;
    let (_, ack) = rpc(&base, &token, "tasks/cancel", json!({"taskId": task})).await;
    assert_eq!(ack["result"]["resultType"], "complete", "{ack}");
    assert_eq!(settled(&base, &token, &task).await["status"], "cancelled");

    // A halt cancels a held task.
    let (task, _) = held(&base, &token, "Halted before anyone decides").await;
    fx.stop("carol", &Stop::Halt, "incident").await.unwrap();
    let cancelled = settled(&base, &token, &task).await;
    assert_eq!(cancelled["status"], "cancelled", "{cancelled}");
    assert!(
        cancelled["statusMessage"]
            .as_str()
            .unwrap()
            .contains("halted"),
        "{cancelled}"
    );
    fx.stop("carol", &Stop::Resume, "over").await.unwrap();

    // An unknown task is an invalid param.
    let (_, unknown) = rpc(&base, &token, "tasks/get", json!({"taskId": "task-nope"})).await;
    assert_eq!(unknown["error"]["code"], -32602, "{unknown}");
    // The chain tells each story: held, then approved and run, or denied.
    let kinds: Vec<String> = crate::api::support::records(&fx)
        .into_iter()
        .filter(|r| r.str("tool") == Some("case-note.append"))
        .map(|r| format!("{}:{}", r.kind, r.str("outcome").unwrap_or("-")))
        .collect();
    assert!(kinds.iter().any(|k| k == "call:ok"), "{kinds:?}");
    srv.running.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn over_http_a_held_call_is_202_with_a_task_to_poll() {
    let fx = soc().await;
    let srv = serve(&fx).await;
    let token = fx.token("triage-bot", "INC-2026-0302", &[]).await;
    let http = reqwest::Client::new();
    let r = http
        .post(format!("{}/v1/tools/case-note.append/call", srv.base))
        .bearer_auth(&token)
        .json(&json!({"input": {"case_id": "INC-2026-0302", "note": "Isolate host-7"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::ACCEPTED);
    let url = r.headers()["location"].to_str().unwrap().to_owned();
    let task: Value = r.json().await.unwrap();
    let approval = task["approval_id"].as_str().unwrap().to_owned();
    let out = fx.cli_as("carol", &["approvals", "approve", &approval]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut done = Value::Null;
    for _ in 0..200 {
        done = http
            .get(&url)
            .bearer_auth(&token)
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
    assert_eq!(done["result"]["output"]["entry"], 1, "{done}");
    // Another agent gets 404, and so does an unknown task.
    let other = fx.token("intel-bot", "INC-2026-0302", &[]).await;
    let r = http.get(&url).bearer_auth(&other).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    srv.running.shutdown().await.unwrap();
}
