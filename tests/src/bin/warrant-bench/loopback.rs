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

/// HTTP/JSON and MCP latencies, interleaved in rounds.
pub async fn loopback(
    fx: &Fixture,
    token: &str,
    opts: &Opts,
) -> anyhow::Result<(Option<Samples>, Option<Samples>)> {
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
    json_call().await?;
    mcp_call().await?;
    let (mut j, mut m) = (Samples::default(), Samples::default());
    for _ in 0..opts.rounds {
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
    Ok((Some(j), Some(m)))
}
