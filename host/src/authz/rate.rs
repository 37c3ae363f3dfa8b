//! Rate limits (sliding windows) and concurrency caps, per agent, per tool
//! and per plugin, kept in the serving process.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A limit that was hit, in words (`agent triage-bot: 120/min`).
pub type LimitHit = String;

/// Sliding-window counters and in-flight counters.
#[derive(Debug, Default)]
pub struct Limiter {
    windows: Mutex<HashMap<String, VecDeque<Instant>>>,
    inflight: Arc<Mutex<HashMap<String, u32>>>,
}

/// One limit to apply to a call.
#[derive(Debug, Clone)]
pub struct RateRule {
    /// Counter key, e.g. `agent:triage-bot`.
    pub key: String,
    /// Calls allowed per period.
    pub calls: u32,
    /// The period.
    pub per: Duration,
    /// The limit as configured, for messages.
    pub text: String,
}

/// One concurrency cap to apply to a call.
#[derive(Debug, Clone)]
pub struct ConcurrencyRule {
    /// Counter key.
    pub key: String,
    /// Calls in flight allowed.
    pub max: u32,
}

/// Releases the in-flight slots of a call when dropped.
#[derive(Debug)]
pub struct InflightGuard {
    keys: Vec<String>,
    inflight: Arc<Mutex<HashMap<String, u32>>>,
}

impl Drop for InflightGuard {
    fn drop(&mut self) {
        let mut map = self.inflight.lock().unwrap_or_else(|p| p.into_inner());
        for k in &self.keys {
            if let Some(n) = map.get_mut(k) {
                *n = n.saturating_sub(1);
            }
        }
    }
}

impl Limiter {
    /// Count a call against every rule, or refuse naming the first limit hit
    /// (and count nothing).
    ///
    /// # Errors
    ///
    /// The limit that was hit.
    pub fn admit(&self, rules: &[RateRule], now: Instant) -> Result<(), LimitHit> {
        let mut windows = self.windows.lock().unwrap_or_else(|p| p.into_inner());
        for r in rules {
            let w = windows.entry(r.key.clone()).or_default();
            while w.front().is_some_and(|t| now.duration_since(*t) >= r.per) {
                w.pop_front();
            }
            if w.len() >= r.calls as usize {
                return Err(format!(
                    "{} is limited to {}",
                    r.key.replacen(':', " ", 1),
                    r.text
                ));
            }
        }
        for r in rules {
            windows.entry(r.key.clone()).or_default().push_back(now);
        }
        Ok(())
    }

    /// Take an in-flight slot under every cap, or refuse naming the first.
    ///
    /// # Errors
    ///
    /// The cap that was hit.
    pub fn enter(&self, rules: &[ConcurrencyRule]) -> Result<InflightGuard, LimitHit> {
        let mut map = self.inflight.lock().unwrap_or_else(|p| p.into_inner());
        for r in rules {
            if map.get(&r.key).copied().unwrap_or(0) >= r.max {
                return Err(format!(
                    "{} may have at most {} calls in flight",
                    r.key.replacen(':', " ", 1),
                    r.max
                ));
            }
        }
        for r in rules {
            *map.entry(r.key.clone()).or_default() += 1;
        }
        Ok(InflightGuard {
            keys: rules.iter().map(|r| r.key.clone()).collect(),
            inflight: Arc::clone(&self.inflight),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_slide() {
        let l = Limiter::default();
        let rule = [RateRule {
            key: "agent:a".into(),
            calls: 2,
            per: Duration::from_secs(60),
            text: "2/min".into(),
        }];
        let t0 = Instant::now();
        assert!(l.admit(&rule, t0).is_ok());
        assert!(l.admit(&rule, t0).is_ok());
        let err = l.admit(&rule, t0).unwrap_err();
        assert_eq!(err, "agent a is limited to 2/min");
        assert!(l.admit(&rule, t0 + Duration::from_secs(61)).is_ok());
    }

    #[test]
    fn inflight_is_released() {
        let l = Limiter::default();
        let rule = [ConcurrencyRule {
            key: "tool:x.y".into(),
            max: 1,
        }];
        let g = l.enter(&rule).unwrap();
        assert!(l.enter(&rule).is_err());
        drop(g);
        assert!(l.enter(&rule).is_ok());
    }
}
