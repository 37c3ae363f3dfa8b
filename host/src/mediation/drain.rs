//! Leaving gracefully, and saying whether to send requests here: a host
//! that is asked to stop first stops being *ready* (its load balancer's
//! check fails, so new requests go to other hosts), then lets the calls in
//! flight finish — for at most a given time, after which the rest are
//! cancelled and audited as such — flushes and ships its chain, and leaves
//! the fleet. A host is ready when it is not draining, its shared state
//! answers, and the plugins it was configured with are loaded.

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use crate::mediation::Host;

/// Why a host is not ready to serve, when it is not.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotReady(pub Vec<String>);

impl Host {
    /// Stop being ready: the load balancer's check fails from now on, so
    /// new requests go elsewhere. Calls still arriving are served.
    pub fn start_draining(&self) {
        self.inner.draining.store(true, Ordering::SeqCst);
    }

    /// Whether this host is draining (or stopped).
    pub fn draining(&self) -> bool {
        self.inner.draining.load(Ordering::SeqCst) || self.inner.shutdown.is_cancelled()
    }

    /// Whether this host should be sent requests now.
    ///
    /// # Errors
    ///
    /// [`NotReady`] naming each reason it is not.
    pub async fn ready(&self) -> Result<(), NotReady> {
        let mut why = Vec::new();
        if self.draining() {
            why.push("draining: the host is stopping".to_owned());
        }
        match self.stops().await {
            Err(e) => why.push(format!("the shared state cannot be read: {e}")),
            Ok(_) => {
                if let Some(d) = self.inner.stops.degraded() {
                    why.push(d);
                }
            }
        }
        let registry = self.registry();
        if registry.plugins().next().is_none()
            && self.config().file.plugins.iter().any(|p| p.enabled)
        {
            why.push("no plugin is loaded (every configured plugin was refused)".to_owned());
        }
        if why.is_empty() {
            Ok(())
        } else {
            Err(NotReady(why))
        }
    }

    /// Drain and stop: not ready any more, the calls in flight given up to
    /// `finish` to end by themselves, then [`Host::shutdown`] with `reason`
    /// (the rest cancelled and audited, the chain flushed and shipped, the
    /// fleet left).
    pub async fn drain(&self, reason: &str, finish: Duration) {
        self.start_draining();
        let until = Instant::now() + finish;
        while self.inflight() > 0 && Instant::now() < until {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        self.shutdown(reason).await;
    }
}
