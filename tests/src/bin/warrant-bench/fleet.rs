//! The fleet on PostgreSQL (a throwaway cluster started here, as the tests
//! do): the mediated call with the PostgreSQL backend against the same call
//! with SQLite, in the same run; and halt propagation — pressed through one
//! host, seen by the other (its LISTEN connection hears the NOTIFY, its
//! watcher reloads the stop state).

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use warrant::keys::{ActionKind, IssueRequest};
use warrant::operator::{OperatorActions, Stop};
use warrant::{Host, HostConfig, HostOptions};
use warrant_tests::Fixture;

use crate::Opts;
use crate::scenarios::mediated;
use crate::stats::{Samples, ratio, round, row};

fn member(fx: &Fixture, url: &str, name: &str) -> anyhow::Result<HostConfig> {
    let base = std::fs::read_to_string(fx.config_path())?;
    let cfg = base.replacen(
        "state-dir = \"state\"",
        &format!("state-dir = \"state-{name}\""),
        1,
    );
    let path = fx.path(&format!("host-{name}.toml"));
    std::fs::write(
        &path,
        format!("{cfg}\n[state]\nurl = \"{url}\"\npool = 8\n"),
    )?;
    Ok(HostConfig::load(&path)?)
}

async fn token(fx: &Fixture, cfg: &HostConfig) -> anyhow::Result<String> {
    let request = IssueRequest {
        agent: "bench".into(),
        task: "BENCH-FLEET".into(),
        tools: Vec::new(),
        ttl_secs: 3600,
    };
    let ops = OperatorActions::open(cfg.clone()).await?;
    let signed = fx
        .signer("carol")
        .for_audience(&ops.audience().await?)
        .sign_issue(request, "bench");
    Ok(ops.issue_token(&signed).await?.0)
}

/// Wait until `host` sees the halt as `on`.
async fn seen(host: &Host, on: bool) -> anyhow::Result<()> {
    let deadline = Instant::now() + Duration::from_secs(5);
    while host.stops().await?.halted.is_some() != on {
        anyhow::ensure!(
            Instant::now() < deadline,
            "the other host did not see the halt within 5 s"
        );
        tokio::time::sleep(Duration::from_micros(200)).await;
    }
    Ok(())
}

/// Run the fleet measurements; `sqlite` is the SQLite host (audit not
/// fsynced) with its token.
pub async fn fleet(opts: &Opts, sqlite: (&Host, &str)) -> anyhow::Result<Value> {
    let cluster = tokio::task::spawn_blocking(warrant_tests::postgres::Cluster::start).await?;
    let url = cluster.database().await;
    let fx = crate::scenarios::fixture().await;
    let (ca, cb) = (member(&fx, &url, "a")?, member(&fx, &url, "b")?);
    let options = HostOptions {
        unsafe_no_fsync: true,
        ..HostOptions::default()
    };
    let a = Host::open(ca.clone(), options).await?;
    let b = Host::open(cb.clone(), options).await?;
    let ta = token(&fx, &ca).await?;
    mediated(&a, &ta).await?;

    // The same call on both backends, interleaved.
    let (mut pg, mut lite) = (Samples::default(), Samples::default());
    for _ in 0..opts.rounds {
        for _ in 0..opts.per_round {
            let t = Instant::now();
            mediated(&a, &ta).await?;
            pg.push(t.elapsed());
            let t = Instant::now();
            mediated(sqlite.0, sqlite.1).await?;
            lite.push(t.elapsed());
        }
    }
    println!(
        "\nfleet on PostgreSQL (µs)                                      p50        p99        n"
    );
    row("mediated, SQLite backend (audit not fsynced)", &lite);
    row("mediated, PostgreSQL backend (audit not fsynced)", &pg);

    // Halt through A, seen on B; resume likewise.
    let presses = if opts.smoke { 5 } else { 100 };
    let (mut halt, mut resume) = (Samples::default(), Samples::default());
    let ops = a.operator();
    let carol = fx.signer("carol").for_audience(&ops.audience().await?);
    for _ in 0..presses {
        let t = Instant::now();
        ops.stop(&Stop::Halt, &carol.sign(ActionKind::Halt, "", "bench"))
            .await?;
        seen(&b, true).await?;
        halt.push(t.elapsed());
        let t = Instant::now();
        ops.stop(&Stop::Resume, &carol.sign(ActionKind::Resume, "", "bench"))
            .await?;
        seen(&b, false).await?;
        resume.push(t.elapsed());
    }
    row("halt pressed on host A until host B sees it", &halt);
    row("resume pressed on host A until host B sees it", &resume);
    let within = pg.p50() / lite.p50();
    ratio(
        "PostgreSQL ÷ SQLite, mediated call p50",
        within,
        "≤ 1.10",
        within <= 1.10,
    );
    let p99_ms = halt.p99() / 1000.0;
    ratio(
        "halt propagation across hosts, p99 (ms)",
        p99_ms,
        "< 100",
        p99_ms < 100.0,
    );
    a.shutdown("bench done").await;
    b.shutdown("bench done").await;
    Ok(json!({
        "mediated_sqlite": lite.json(),
        "mediated_postgres": pg.json(),
        "postgres_over_sqlite_p50": round(within),
        "halt_propagation": halt.json(),
        "resume_propagation": resume.json(),
    }))
}
