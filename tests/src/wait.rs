//! Waiting for a host to see a change another process made: its watcher
//! looks every 20 ms, and its calls read the stop state from memory.

use std::time::{Duration, Instant};

use warrant::Host;
use warrant::state::StopState;

/// Wait (up to 5 s) until `host`'s stop state satisfies `pred`.
///
/// # Errors
///
/// When it does not within 5 s, or the state cannot be read.
pub async fn stops_seen(host: &Host, pred: impl Fn(&StopState) -> bool) -> Result<(), String> {
    let start = Instant::now();
    loop {
        if pred(&*host.stops().await.map_err(|e| e.to_string())?) {
            return Ok(());
        }
        if start.elapsed() >= Duration::from_secs(5) {
            return Err("not within 5 s".into());
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
}
