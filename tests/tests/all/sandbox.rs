//! The sandbox against hostile guests: time, memory, output and stack
//! limits, traps, isolation between calls, concurrency. Asserts outcomes,
//! never durations.

use std::sync::Arc;
use std::time::Duration;

use serde_json::json;
use warrant::sandbox::Capabilities;
use warrant::vocab::Limits;
use warrant::{CallFailure, CancelToken, LoadedPlugin, Sandbox, SandboxConfig};

async fn adversary(limits: Limits) -> (Arc<Sandbox>, LoadedPlugin) {
    let sandbox = Arc::new(
        Sandbox::new(SandboxConfig {
            max_instances: 96,
            ..SandboxConfig::default()
        })
        .unwrap(),
    );
    let bytes = warrant_tests::component_bytes("adversary");
    let digest = warrant::keys::sha256_hex(&bytes);
    let caps = Capabilities {
        limits,
        ..Capabilities::default()
    };
    let plugin = sandbox
        .load("adversary", &bytes, &digest, caps)
        .await
        .unwrap();
    (sandbox, plugin)
}

fn small() -> Limits {
    Limits {
        memory: 32 << 20,
        timeout: Duration::from_millis(500),
        output: 1 << 20,
        fuel: None,
        max_instances: 64,
    }
}

async fn call(
    p: &LoadedPlugin,
    tool: &str,
    input: serde_json::Value,
) -> Result<String, CallFailure> {
    p.call(tool, &input.to_string(), &CancelToken::new())
        .await
        .outcome
}

#[tokio::test]
async fn an_infinite_loop_is_stopped_at_the_timeout() {
    let (_s, p) = adversary(small()).await;
    let err = call(&p, "spin", json!({})).await.unwrap_err();
    assert!(matches!(err, CallFailure::Timeout { .. }), "{err}");
    assert!(err.to_string().contains("time limit of 500ms"), "{err}");
    // The host keeps serving.
    assert!(call(&p, "echo", json!({"text": "after"})).await.is_ok());
}

#[tokio::test]
async fn unbounded_memory_growth_stops_at_the_limit() {
    let (_s, p) = adversary(small()).await;
    let err = call(&p, "grow", json!({})).await.unwrap_err();
    assert!(
        matches!(err, CallFailure::MemoryLimit { limit } if limit == 32 << 20),
        "{err}"
    );
    assert!(err.to_string().contains("memory limit of 32MiB"), "{err}");
    // Within the limit, allocation works.
    assert_eq!(call(&p, "grow", json!({"n": 4})).await.unwrap(), "4");
}

#[tokio::test]
async fn a_100_mb_output_is_refused() {
    let limits = Limits {
        memory: 512 << 20,
        timeout: Duration::from_secs(30),
        ..small()
    };
    let (_s, p) = adversary(limits).await;
    let err = call(&p, "big-output", json!({"n": 100_000_000}))
        .await
        .unwrap_err();
    assert!(
        matches!(err, CallFailure::OutputTooLarge { size, limit } if size > 100_000_000 && limit == 1 << 20),
        "{err}"
    );
    // An output within the limit passes.
    assert_eq!(
        call(&p, "big-output", json!({"n": 10})).await.unwrap(),
        "\"xxxxxxxxxx\""
    );
}

#[tokio::test]
async fn deep_recursion_traps_cleanly() {
    let (_s, p) = adversary(small()).await;
    let err = call(&p, "recurse", json!({})).await.unwrap_err();
    assert!(
        matches!(&err, CallFailure::Trap(m) if m.contains("stack overflow")),
        "{err}"
    );
    assert_eq!(
        call(&p, "recurse", json!({"n": 100})).await.unwrap(),
        "5050"
    );
}

#[tokio::test]
async fn a_trap_does_not_affect_the_next_call() {
    let (_s, p) = adversary(small()).await;
    let err = call(&p, "panic", json!({})).await.unwrap_err();
    assert!(
        matches!(&err, CallFailure::Trap(m) if m.contains("adversary panicked on purpose")),
        "the panic message reaches the error: {err}"
    );
    let out: serde_json::Value =
        serde_json::from_str(&call(&p, "echo", json!({"text": "next"})).await.unwrap()).unwrap();
    assert_eq!(out, json!({"text": "next", "calls": 1}));
}

#[tokio::test]
async fn every_call_gets_a_fresh_instance() {
    let (_s, p) = adversary(small()).await;
    for _ in 0..3 {
        let out: serde_json::Value =
            serde_json::from_str(&call(&p, "echo", json!({"text": "x"})).await.unwrap()).unwrap();
        assert_eq!(out["calls"], 1, "no state survives between calls");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_concurrent_calls_all_succeed() {
    let (_s, p) = adversary(small()).await;
    let mut tasks = Vec::new();
    for i in 0..50 {
        let p = p.clone();
        tasks.push(tokio::spawn(async move {
            call(&p, "echo", json!({"text": format!("call {i}")})).await
        }));
    }
    for (i, t) in tasks.into_iter().enumerate() {
        let out: serde_json::Value = serde_json::from_str(&t.await.unwrap().unwrap()).unwrap();
        assert_eq!(out["text"], format!("call {i}"));
    }
}

#[tokio::test]
async fn calls_beyond_the_instance_cap_are_refused_not_queued() {
    let limits = Limits {
        max_instances: 1,
        timeout: Duration::from_millis(800),
        ..small()
    };
    let (_s, p) = adversary(limits).await;
    let p2 = p.clone();
    let spinning = tokio::spawn(async move { call(&p2, "spin", json!({})).await });
    tokio::time::sleep(Duration::from_millis(100)).await;
    let err = call(&p, "echo", json!({"text": "x"})).await.unwrap_err();
    assert!(matches!(err, CallFailure::Busy { limit: 1, .. }), "{err}");
    assert!(matches!(
        spinning.await.unwrap(),
        Err(CallFailure::Timeout { .. })
    ));
}

#[tokio::test]
async fn cancellation_stops_a_running_guest() {
    let limits = Limits {
        timeout: Duration::from_secs(60),
        ..small()
    };
    let (_s, p) = adversary(limits).await;
    let cancel = CancelToken::new();
    let c2 = cancel.clone();
    let p2 = p.clone();
    let running = tokio::spawn(async move { p2.call("spin", "{}", &c2).await.outcome });
    tokio::time::sleep(Duration::from_millis(100)).await;
    cancel.cancel("operator halted the host");
    let err = running.await.unwrap().unwrap_err();
    assert_eq!(
        err,
        CallFailure::Cancelled("operator halted the host".into())
    );
}

#[tokio::test]
async fn fuel_limits_cpu_deterministically() {
    let sandbox = Sandbox::new(SandboxConfig {
        fuel: true,
        max_instances: 8,
        ..SandboxConfig::default()
    })
    .unwrap();
    let bytes = warrant_tests::component_bytes("adversary");
    let digest = warrant::keys::sha256_hex(&bytes);
    let caps = Capabilities {
        limits: Limits {
            fuel: Some(50_000_000),
            timeout: Duration::from_secs(30),
            ..small()
        },
        ..Capabilities::default()
    };
    let p = sandbox
        .load("adversary", &bytes, &digest, caps)
        .await
        .unwrap();
    let err = call(&p, "spin", json!({})).await.unwrap_err();
    assert!(
        matches!(err, CallFailure::FuelExhausted { limit: 50_000_000 }),
        "{err}"
    );
    // A fuel limit on an engine without metering is refused at load.
    let plain = Sandbox::new(SandboxConfig {
        max_instances: 8,
        ..SandboxConfig::default()
    })
    .unwrap();
    let caps = Capabilities {
        limits: Limits {
            fuel: Some(1),
            ..small()
        },
        ..Capabilities::default()
    };
    let err = plain
        .load("adversary", &bytes, &digest, caps)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("fuel metering"), "{err}");
}

#[tokio::test]
async fn unknown_tools_and_bad_input_are_typed_errors() {
    let (_s, p) = adversary(small()).await;
    assert!(matches!(
        call(&p, "nope", json!({})).await.unwrap_err(),
        CallFailure::UnknownTool { .. }
    ));
    let err = p
        .call("echo", "not json", &CancelToken::new())
        .await
        .outcome
        .unwrap_err();
    assert!(matches!(err, CallFailure::InvalidInput(_)), "{err}");
}
