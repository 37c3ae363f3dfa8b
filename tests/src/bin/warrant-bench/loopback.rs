//! The same mediated call through the HTTP server on loopback, with real
//! clients: `reqwest` on the HTTP/JSON API and rmcp's streamable-HTTP MCP
//! client on `/mcp`.

use std::time::Instant;

use rmcp::ServiceExt as _;
use rmcp::model::CallToolRequestParams;
use rmcp::transport::StreamableHttpClientTransport;
use rmcp::transport::streamable_http_client::StreamableHttpClientTransportConfig;
use serde_json::json;
use warrant::api::{ServeOptions, serve_http};
use warrant::{Host, HostOptions};
use warrant_tests::Fixture;

use crate::Opts;
use crate::stats::Samples;

/// Loopback latencies of one run, interleaved in rounds.
pub struct Loopback {
    /// A raw HTTP exchange with a minimal axum echo, same client: the
    /// physical floor of one loopback request on this machine.
    pub echo: Samples,
    /// The mediated call through the HTTP/JSON API.
    pub http_json: Samples,
    /// The mediated call through MCP streamable HTTP.
    pub mcp: Samples,
}

/// A minimal axum server on loopback answering every POST with its body.
async fn echo_server() -> anyhow::Result<(String, tokio::task::JoinHandle<()>)> {
    let app = axum::Router::new().route(
        "/echo",
        axum::routing::post(|body: axum::body::Bytes| async move { body }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}/echo", listener.local_addr()?);
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Ok((url, task))
}

/// HTTP/JSON and MCP latencies and the raw echo, interleaved in rounds.
pub async fn loopback(fx: &Fixture, token: &str, opts: &Opts) -> anyhow::Result<Loopback> {
    // A host of its own on the same config: stopping the server stops it.
    let options = HostOptions {
        unsafe_no_fsync: true,
        ..HostOptions::default()
    };
    let host = Host::open(fx.config(), options).await?;
    let server = serve_http(
        host,
        ServeOptions {
            listen: "127.0.0.1:0".parse()?,
            handle_signals: false,
            ..ServeOptions::default()
        },
    )
    .await?;
    let base = format!("http://{}", server.local_addr());
    let http = reqwest::Client::builder().build()?;
    let url = format!("{base}/v1/tools/adversary.echo/call");
    let body = json!({"input": {"text": "ping"}});
    let transport = StreamableHttpClientTransport::from_config(
        StreamableHttpClientTransportConfig::with_uri(format!("{base}/mcp"))
            .auth_header(token.to_owned()),
    );
    let mcp = ().serve(transport).await?;
    let mut args = serde_json::Map::new();
    args.insert("text".into(), json!("ping"));
    let params = CallToolRequestParams::new("adversary__echo").with_arguments(args);

    let json_call = || async {
        let r = http
            .post(&url)
            .bearer_auth(token)
            .json(&body)
            .send()
            .await?;
        anyhow::ensure!(
            r.status().is_success(),
            "HTTP/JSON call failed: {}",
            r.status()
        );
        r.bytes().await?;
        Ok::<(), anyhow::Error>(())
    };
    let mcp_call = || async {
        let r = mcp.call_tool(params.clone()).await?;
        anyhow::ensure!(r.is_error != Some(true), "MCP call failed: {r:?}");
        Ok::<(), anyhow::Error>(())
    };
    let (echo_url, echo_task) = echo_server().await?;
    let echo_body = serde_json::to_vec(&body)?;
    let echo_call = || async {
        let r = http
            .post(&echo_url)
            .bearer_auth(token)
            .header("content-type", "application/json")
            .body(echo_body.clone())
            .send()
            .await?;
        anyhow::ensure!(r.status().is_success(), "echo failed: {}", r.status());
        r.bytes().await?;
        Ok::<(), anyhow::Error>(())
    };
    json_call().await?;
    mcp_call().await?;
    echo_call().await?;
    let (mut e, mut j, mut m) = (Samples::default(), Samples::default(), Samples::default());
    for _ in 0..opts.rounds {
        for _ in 0..opts.per_round {
            let t = Instant::now();
            echo_call().await?;
            e.push(t.elapsed());
        }
        for _ in 0..opts.per_round {
            let t = Instant::now();
            json_call().await?;
            j.push(t.elapsed());
        }
        for _ in 0..opts.per_round {
            let t = Instant::now();
            mcp_call().await?;
            m.push(t.elapsed());
        }
    }
    let _ = mcp.cancel().await;
    server.shutdown().await?;
    echo_task.abort();
    Ok(Loopback {
        echo: e,
        http_json: j,
        mcp: m,
    })
}
