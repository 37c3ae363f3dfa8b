//! The soak's faults, one every few seconds, in turn.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use warrant::Host;
use warrant::keys::ActionKind;
use warrant::operator::Stop;
use warrant_tests::{Fixture, SmallVolume};

use crate::Tally;
use crate::load::{Tokens, fresh};

fn note(tally: &Tally, what: &'static str) {
    *tally.faults.lock().unwrap().entry(what).or_default() += 1;
}

/// Inject faults until `deadline`.
pub async fn inject(
    fx: &Fixture,
    volume: &SmallVolume,
    host: &Host,
    tokens: &Tokens,
    tally: &Arc<Tally>,
    stop: &Arc<AtomicBool>,
    deadline: Instant,
) {
    let mut turn: u64 = 0;
    let mut last_report = Instant::now();
    while Instant::now() < deadline && !stop.load(Ordering::Relaxed) {
        tokio::time::sleep(Duration::from_secs(3)).await;
        turn += 1;
        match turn % 5 {
            0 => {
                // The audit volume full for a moment.
                let v = volume;
                tokio::task::block_in_place(|| v.fill(0));
                tokio::time::sleep(Duration::from_millis(500)).await;
                v.empty();
                note(tally, "audit volume full");
            }
            1 => {
                // The state database locked by another process.
                let db = fx.path("state/state.db");
                let _ = tokio::task::spawn_blocking(move || lock_for_a_moment(&db)).await;
                note(tally, "state database locked");
            }
            2 => {
                let _ = fx
                    .stop("carol", &Stop::Disable("adversary".into()), "soak")
                    .await;
                tokio::time::sleep(Duration::from_millis(300)).await;
                let _ = fx
                    .stop("carol", &Stop::Enable("adversary".into()), "soak")
                    .await;
                note(tally, "plugin disabled and re-enabled");
            }
            3 => {
                let _ = fx.stop("carol", &Stop::Halt, "soak").await;
                tokio::time::sleep(Duration::from_millis(300)).await;
                let _ = fx.stop("carol", &Stop::Resume, "soak").await;
                note(tally, "halt and resume");
            }
            _ => {
                // Revoke one agent's token and issue it a new one.
                let i = (turn as usize / 5) % 8;
                let old = tokens.get(i);
                if let Ok(t) = host.loaded().authz.token_claims(&old).await {
                    let signed = fx.sign("carol", ActionKind::Revoke, &t.id, "soak");
                    let _ = fx
                        .admin()
                        .await
                        .stop(&Stop::Revoke(t.id.clone()), &signed)
                        .await;
                }
                let new = fresh(fx, i).await;
                tokens.0.lock().unwrap()[i] = new;
                note(tally, "token revoked and re-issued");
            }
        }
        if last_report.elapsed() > Duration::from_secs(60) {
            last_report = Instant::now();
            let total: u64 = tally.outcomes.lock().unwrap().values().sum();
            println!(
                "  … {total} calls so far, {} acknowledged",
                tally.acked.lock().unwrap().len()
            );
        }
    }
}

/// Hold an exclusive lock on the SQLite database at `path` for half a
/// second, from another process (as an operator's tool would; the sqlite3
/// shell is not on every machine, Python's sqlite3 module is).
fn lock_for_a_moment(path: &std::path::Path) -> std::io::Result<std::process::ExitStatus> {
    std::process::Command::new("python3")
        .args([
            "-c",
            "import sqlite3,sys,time; c=sqlite3.connect(sys.argv[1], timeout=5); c.execute('BEGIN EXCLUSIVE'); time.sleep(0.5); c.rollback()",
        ])
        .arg(path)
        .status()
}
