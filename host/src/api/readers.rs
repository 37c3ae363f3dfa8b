//! The admin API's read credential across a fleet: each host's own
//! (`state_dir/keys/admin.token`) reads on that host, and — on a fleet's
//! shared state — on every other while its host is a member (each host
//! publishes the credential's SHA-256 with its heartbeat; a host that left
//! the fleet takes its credential with it). So one credential reads
//! through a load balancer, whichever host answers.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::api::security::same_secret;
use crate::keys::sha256_hex;

/// How long the fleet's credentials are used before they are read again.
const FRESH: Duration = Duration::from_secs(5);

/// The fleet's read credentials, as last read.
#[derive(Debug, Default)]
pub(crate) struct Readers {
    digests: Mutex<Option<(Instant, Vec<String>)>>,
}

impl Readers {
    /// Whether `presented` is a read credential on `host`: its own
    /// (`own`), or that of a host of its fleet.
    pub(crate) async fn accepts(&self, host: &crate::Host, own: &str, presented: &str) -> bool {
        if same_secret(presented, own) {
            return true;
        }
        let Some(fleet) = host.state().fleet() else {
            return false;
        };
        let cached = {
            let d = self.digests.lock().unwrap_or_else(|p| p.into_inner());
            d.as_ref()
                .filter(|(at, _)| at.elapsed() < FRESH)
                .map(|(_, v)| v.clone())
        };
        let digests = match cached {
            Some(d) => d,
            None => {
                let Ok(hosts) = fleet.hosts().await else {
                    return false;
                };
                let d: Vec<String> = hosts
                    .into_iter()
                    .filter(|h| h.left_ms.is_none() && !h.admin_digest.is_empty())
                    .map(|h| h.admin_digest)
                    .collect();
                *self.digests.lock().unwrap_or_else(|p| p.into_inner()) =
                    Some((Instant::now(), d.clone()));
                d
            }
        };
        let mine = sha256_hex(presented.as_bytes());
        digests.iter().any(|d| same_secret(d, &mine))
    }
}
