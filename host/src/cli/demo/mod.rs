//! `warrant demo`

mod authors;
mod intel;
mod operators;
mod rules;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use serde_json::{Value, json};

use crate::api::{ServeOptions, serve_http};
use crate::{CallError, CallRequest, Host, HostConfig, HostOptions};
use intel::IntelServer;
use operators::DemoOperators;

/// The main job, with a walkthrough: load the signed example plugins, make
/// real calls as two agents (allowed, refused, held for approval), then
/// serve the host to agents over MCP and HTTP until Ctrl-C.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The host config.
    #[arg(
        long,
        short = 'c',
        env = "WARRANT_CONFIG",
        default_value = "manifests/warrant.toml"
    )]
    pub config: PathBuf,
    /// Where to serve MCP (/mcp), HTTP/JSON (/v1), the admin API and the
    /// console (/console).
    #[arg(long, default_value = "127.0.0.1:8787")]
    pub listen: SocketAddr,
    /// Where the example threat-intel API listens (http-lookup's grant).
    #[arg(long, default_value = "127.0.0.1:8788")]
    pub intel: SocketAddr,
    /// Run the walkthrough and exit without serving.
    #[arg(long)]
    pub once: bool,
    /// Also build the Python and TypeScript example plugins from source
    /// (needs Python 3.11+, Node 20+ and npm), sign them with the example
    /// publisher key in the state directory, and load and call them.
    #[arg(long)]
    pub authors: bool,
}

const REPORT: &str = "Phishing mail from billing@invoice-portal[.]top delivered a loader fetched from \
hxxps://cdn-update[.]top/payload.bin (MD5 44d88612fea8a8f36de82e1278abb02f). The implant beaconed \
to 198.51.100[.]77; the brute force against bastion-01 came from 203.0.113.45.";

fn step(n: u32, title: &str) -> std::io::Result<()> {
    use std::io::Write as _;
    writeln!(std::io::stdout(), "\n── {n}. {title}")
}

async fn show(
    host: &Host,
    token: &str,
    tool: &str,
    input: Value,
    prompt: &str,
) -> anyhow::Result<Option<Value>> {
    let r = host
        .call(CallRequest {
            token: token.into(),
            tool: tool.into(),
            input: input.into(),
            prompt: Some(prompt.into()),
            context: None,
            channel: "cli",
            ..CallRequest::default()
        })
        .await;
    let seq = r
        .audit_seq
        .map(|s| format!("audit #{s}"))
        .unwrap_or_else(|| "not recorded".into());
    match r.outcome {
        Ok(out) => {
            out!("   {tool}: ok ({seq})");
            Ok(serde_json::from_str(&out).ok())
        }
        Err(CallError::Refused(e)) => {
            out!("   {tool}: REFUSED by layer `{}` ({seq}): {e}", e.layer());
            Ok(None)
        }
        Err(e) => {
            out!("   {tool}: FAILED ({}, {seq}): {e}", e.kind());
            Ok(None)
        }
    }
}

pub async fn run(a: Args) -> anyhow::Result<ExitCode> {
    let keys = DemoOperators::create(&a.config)?;
    crate::config::create_state_dir_governor_keys(&a.config)?;
    authors::publisher_key(&a.config)?;
    let intel_key = intel::api_key(&a.config)?;
    let mut config = HostConfig::load(&a.config)?;
    let people = DemoOperators::new(keys, &config)?;
    out!("warrant demo — config {}", config.path.display());

    step(0, "The rules: a release signed by the governors")?;
    if a.authors {
        // Enabling the built examples is a change the governors sign.
        authors::prepare(&mut config).await?;
    }
    rules::in_force(&config).await?;

    step(1, "Load the signed example plugins")?;
    let intel_data = intel::data(&config.dir);
    let _intel = match IntelServer::start(&intel_data, a.intel, intel_key).await {
        Ok(s) => {
            out!(
                "   example threat-intel API on http://{} (for http-lookup; its key is a credential the host adds, the plugin never sees it)",
                s.addr()
            );
            Some(s)
        }
        Err(e) => {
            out!("   (example threat-intel API not started: {e})");
            None
        }
    };
    let host = Host::open(
        config.clone(),
        HostOptions {
            record_loads: true,
            approval_wait: a.once.then_some(Duration::from_secs(1)),
            ..HostOptions::default()
        },
    )
    .await?;
    // The rules in force, not the files: operators and agents as signed.
    let config = (*host.config()).clone();
    let state =
        std::fs::canonicalize(&config.state_dir).unwrap_or_else(|_| config.state_dir.clone());
    out!(
        "   embedded state (SQLite, compiled cache, keys, audit chain) in {}",
        state.display()
    );
    for p in host.registry().plugins() {
        let m = p.manifest.manifest();
        let tools: Vec<String> = m
            .tools
            .iter()
            .map(|t| format!("{}.{} [{}]", m.plugin.id, t.name, t.impact))
            .collect();
        out!(
            "   {} {} — signed by {}, component sha256:{}… — {}",
            m.plugin.id,
            m.plugin.version,
            p.manifest.signer().unwrap_or("-"),
            &p.manifest.digest_hex()[..12],
            tools.join(", ")
        );
    }
    people.print(&config)?;
    for r in host.registry().refusals() {
        out!(
            "   NOT LOADED: {}",
            crate::vocab::safe(&r.error.to_string())
        );
    }

    step(
        2,
        "A task token for triage-bot (owner alice@soc.example), task INC-2026-0042",
    )?;
    let admin = host.operator();
    let (token, t) = people
        .issue(
            &admin,
            "triage-bot",
            "INC-2026-0042",
            Duration::from_secs(3600),
        )
        .await?;
    out!(
        "   {} scoped to {} (expires in 1h), issued by {} with a signed request",
        t.id,
        t.tools.join(", "),
        people.issuer()
    );

    step(
        3,
        "Real calls through the mediated path: token → grant → policy → sandbox → audit",
    )?;
    if let Some(out) = show(
        &host,
        &token,
        "ioc-extract.extract",
        json!({ "text": REPORT }),
        "extract the indicators from the phishing report",
    )
    .await?
    {
        out!(
            "     ipv4 {}  domains {}  urls {}  md5 {}",
            out["ipv4"],
            out["domains"],
            out["urls"],
            out["md5"]
        );
    }
    if let Some(out) = show(&host, &token, "log-search.search", json!({"pattern": "(Accepted|Failed password for invalid user).*203\\.0\\.113\\.45", "file": "auth.log", "limit": 1000}), "did the attacker get in?").await? {
        out!("     {} matching lines in the sshd logs, e.g.:", out["matches"].as_array().map_or(0, Vec::len));
        for m in out["matches"].as_array().into_iter().flatten().take(3) {
            out!("       {}:{}  {}", m["file"].as_str().unwrap_or(""), m["line"], m["text"].as_str().unwrap_or("").chars().take(100).collect::<String>());
        }
        if let Some(last) = out["matches"].as_array().and_then(|m| m.last()) {
            out!("       …\n       {}:{}  {}", last["file"].as_str().unwrap_or(""), last["line"], last["text"].as_str().unwrap_or("").chars().take(100).collect::<String>());
        }
    }
    if let Some(out) = show(
        &host,
        &token,
        "http-lookup.lookup",
        json!({"indicator": "203.0.113.45"}),
        "what does threat intel say about the source?",
    )
    .await?
    {
        out!(
            "     verdict {} (score {}), tags {}",
            out["verdict"],
            out["score"],
            out["tags"]
        );
    }
    if a.authors {
        authors::calls(&host, &token).await?;
    }

    step(4, "Refusals name the layer that refused")?;
    let (other, _) = people
        .issue(
            &admin,
            "intel-enricher",
            "INC-2026-0042",
            Duration::from_secs(600),
        )
        .await?;
    show(
        &host,
        &other,
        "log-search.search",
        json!({"pattern": "root"}),
        "read the auth logs",
    )
    .await?;
    let (chore, _) = people
        .issue(&admin, "triage-bot", "chore-17", Duration::from_secs(600))
        .await?;
    show(
        &host,
        &chore,
        "case-note.append",
        json!({"case_id": "INC-2026-0042", "note": "tidy up"}),
        "write a note outside an incident",
    )
    .await?;

    // Served from here on (unless --once), so the held call below can be
    // approved in the console while it waits.
    let server = if a.once {
        None
    } else {
        Some(
            serve_http(
                host.clone(),
                ServeOptions {
                    listen: a.listen,
                    ..ServeOptions::default()
                },
            )
            .await?,
        )
    };
    step(5, "A high-impact call is held for a named human")?;
    let note = json!({"case_id": "INC-2026-0042", "note": "Blocked 203.0.113.45 at the edge; admin password reset.", "author": "triage-bot"});
    let (h, tk) = (host.clone(), token.clone());
    let held = tokio::spawn(async move {
        show(
            &h,
            &tk,
            "case-note.append",
            note,
            "record the containment in the case file",
        )
        .await
    });
    let mut shown = false;
    for _ in 0..100 {
        if let Some(req) = admin
            .approvals(false)
            .await?
            .into_iter()
            .find(|r| r.binding.task == "INC-2026-0042")
        {
            let approvers = config.approvers(&req.binding.tool, crate::vocab::Impact::High);
            out!(
                "   held as {} — needs {} of: {}{}. In another terminal:",
                req.id,
                req.required,
                approvers.join(", "),
                if config.approvals.four_eyes {
                    format!(
                        " (four eyes: not {}, who issued the token)",
                        people.issuer()
                    )
                } else {
                    String::new()
                }
            );
            if let Some((name, key)) = people.approver(&config, &req.binding.tool, &req.impact) {
                out!(
                    "     WARRANT_CONFIG={} cargo run -q -- approvals approve {} --key {} --reason \"containment confirmed\"   # signs as {name}",
                    a.config.display(),
                    req.id,
                    key.display()
                );
                if let Some(server) = &server {
                    let addr = server.local_addr();
                    let signer = crate::operator::OperatorSigner::from_file(key, &config)?
                        .for_audience(&host.operator().audience().await?);
                    let link = crate::cli::console::login_link(&format!("http://{addr}"), &signer)?;
                    out!(
                        "   or in the console, http://{addr}/console — log in as {name} with this link (5 minutes, once):"
                    );
                    out!("     {link}");
                    out!(
                        "     (a new one: WARRANT_CONFIG={} cargo run -q -- console login --key {} --url http://{addr})",
                        a.config.display(),
                        key.display()
                    );
                }
            }
            shown = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    if !shown {
        out!("   (the call was not held: check the policy)");
    }

    let Some(server) = server else {
        let _ = held.await;
        host.shutdown("the demo finished").await;
        out!(
            "\nThe story so far: cargo run -q -- audit show --task INC-2026-0042 --config {}",
            a.config.display()
        );
        return Ok(ExitCode::SUCCESS);
    };

    step(6, "Serve the host to agents")?;
    let addr = server.local_addr();
    out!(
        "   console (browser):     http://{addr}/console   (log in: `cargo run -q -- console login --key <your key> --url http://{addr}`)"
    );
    out!(
        "   MCP (streamable HTTP): http://{addr}/mcp   header  Authorization: Bearer <task token>"
    );
    out!(
        "   HTTP/JSON:             http://{addr}/v1/tools   POST http://{addr}/v1/tools/<plugin.tool>/call"
    );
    out!(
        "   operator API:          http://{addr}/v1/admin   (POST signed actions: `warrant sign-action`; reads need {})",
        server.admin_token_path().display()
    );
    out!("   metrics, health:       http://{addr}/metrics   http://{addr}/healthz");
    out!("\n   triage-bot's token for task INC-2026-0042:\n   {token}");
    out!(
        "\n   Try, in another terminal (WARRANT_CONFIG={}):",
        a.config.display()
    );
    out!("     cargo run -q -- approvals list");
    if let Some(key) = people.key(people.issuer()) {
        out!(
            "     cargo run -q -- quarantine triage-bot --key {} --reason \"prompt injection suspected\"",
            key.display()
        );
    }
    out!("     cargo run -q -- audit show --task INC-2026-0042");
    out!("     cargo run -q -- audit verify");
    out!("\n   Serving until Ctrl-C.");
    server.wait().await?;
    held.abort();
    out!("\nStopped: calls finished or cancelled, the audit chain flushed and checkpointed.");
    Ok(ExitCode::SUCCESS)
}
