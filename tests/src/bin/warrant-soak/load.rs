//! The soak's load: workers making every kind of call, an approver.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Value, json};
use warrant::operator::OperatorSigner;
use warrant::{CallError, CallRequest, CallResponse, Host};
use warrant_tests::Fixture;

use crate::Tally;

/// The agents' current tokens (faults revoke and replace them).
#[derive(Debug, Clone)]
pub struct Tokens(pub Arc<Mutex<Vec<String>>>);

impl Tokens {
    pub async fn new(fx: &Fixture, n: usize) -> Self {
        let mut v = Vec::new();
        for i in 0..n {
            v.push(fresh(fx, i).await);
        }
        Self(Arc::new(Mutex::new(v)))
    }

    pub fn get(&self, i: usize) -> String {
        let v = self.0.lock().unwrap();
        v[i % v.len()].clone()
    }
}

/// A new token for agent `i`, task INC-SOAK-i.
pub async fn fresh(fx: &Fixture, i: usize) -> String {
    fx.token_as(
        "carol",
        &format!("agent-{i}"),
        &format!("INC-SOAK-{i}"),
        &[],
        3600,
    )
    .await
    .map(|t| t.0)
    .expect("a token")
}

pub async fn call(host: &Host, token: &str, tool: &str, input: &Value) -> CallResponse {
    call_text(host, token, tool, &input.to_string()).await
}

async fn call_text(host: &Host, token: &str, tool: &str, input: &str) -> CallResponse {
    host.call(CallRequest {
        token: token.into(),
        tool: tool.into(),
        input: input.into(),
        channel: "lib",
        ..CallRequest::default()
    })
    .await
}

fn kind(r: &CallResponse) -> String {
    match &r.outcome {
        Ok(_) => "ok".into(),
        Err(CallError::Refused(x)) => format!("refused: {}", x.layer()),
        Err(e) => format!("failed: {}", e.kind()),
    }
}

/// One worker: a rotating mix of calls until `stop`.
pub async fn worker(
    w: usize,
    host: Host,
    base: String,
    tokens: Tokens,
    tally: Arc<Tally>,
    stop: Arc<AtomicBool>,
) {
    let http = reqwest::Client::new();
    let mut n: u64 = 0;
    while !stop.load(Ordering::Relaxed) {
        n += 1;
        let token = tokens.get(w);
        let r = match n % 12 {
            0 => {
                call_text(
                    &host,
                    &token,
                    "adversary.echo",
                    r#"{"text":"a","text":"b"}"#,
                )
                .await
            }
            1 => call_text(&host, &token, "adversary.echo", "{not json").await,
            2 => {
                call_text(
                    &host,
                    &token,
                    "adversary.echo",
                    &format!("{}1{}", "[".repeat(300), "]".repeat(300)),
                )
                .await
            }
            3 => call(&host, &token, "adversary.panic", &json!({})).await,
            4 => {
                call(
                    &host,
                    &token,
                    "adversary.echo",
                    &json!({"text": "forbidden words"}),
                )
                .await
            }
            5 => call(&host, &token, "ioc-extract.nope", &json!({})).await,
            6 => {
                call(
                    &host,
                    "wt1.forged.token",
                    "adversary.echo",
                    &json!({"text": "x"}),
                )
                .await
            }
            7 => {
                call(
                    &host,
                    &token,
                    "case-note.append",
                    &json!({"case_id": format!("INC-{w}"), "note": format!("n{}", n % 3)}),
                )
                .await
            }
            8 if w == 0 => call(&host, &token, "adversary.spin", &json!({})).await,
            9 => {
                // A client that goes away mid-call.
                let _ = http
                    .post(format!("{base}/v1/tools/adversary.spin/call"))
                    .bearer_auth(&token)
                    .json(&json!({"input": {}}))
                    .timeout(Duration::from_millis(150))
                    .send()
                    .await;
                tally.count("client disconnected mid-call");
                continue;
            }
            _ => {
                call(
                    &host,
                    &token,
                    "ioc-extract.extract",
                    &json!({"text": format!("C2 198.51.100.{} seen {n}", n % 250)}),
                )
                .await
            }
        };
        if r.outcome.is_ok() && r.audit_seq.is_some() {
            tally.acked.lock().unwrap().insert(r.call_id.clone());
        }
        tally.count(&kind(&r));
    }
}

/// Approve what waits, as carol, every 200 ms.
pub async fn approver(host: Host, carol: Arc<OperatorSigner>, stop: Arc<AtomicBool>) {
    while !stop.load(Ordering::Relaxed) {
        if let Ok(list) = host.operator().approvals(false).await {
            for a in list {
                let signed = carol.sign_decision(true, &a.id, &a.binding.digest(), "soak");
                let _ = host.operator().decide(&signed).await;
            }
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}
