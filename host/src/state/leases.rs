//! Leases on rate windows, so that an ordinary rate-limited call on a
//! fleet's shared state does not wait on the database.
//!
//! A host takes a *slice* of a window's free calls in one transaction —
//! counted in the window as that many events dated at the lease's end, so
//! they stay counted for a whole window after the last call the slice can
//! admit — and admits calls from it in memory until the slice is used up or
//! its lease ends. What it did not use it gives back in the transaction that
//! takes its next slice of that window (or when it stops); a host that dies
//! gives its slices back as the window slides past them.
//!
//! Exact where it matters: a window never admits more calls than it holds,
//! across every host (each admitted call is counted in the database for at
//! least a window after it). It may admit fewer for up to a lease's length
//! while other hosts hold slices they do not use; slices shrink as a window
//! fills — an eighth of what is free, and a single call (no lease at all,
//! counted at its own time, as without leases) when fewer than
//! [`MIN_FREE`] are free.

use std::collections::HashMap;
use std::sync::Mutex;

use super::RateRule;

/// Below this many free calls in a window, calls are counted one by one.
pub(crate) const MIN_FREE: i64 = 16;
/// The largest slice.
const MAX_SLICE: i64 = 64;
/// The longest lease.
const MAX_LEASE_MS: i64 = 1_000;

/// A slice of one window this host holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Slice {
    /// Its lease: the events that count it carry this id.
    pub(crate) lease: i64,
    /// Calls it can still admit.
    pub(crate) left: i64,
    /// When its lease ends (ms since the epoch): no call is admitted from
    /// it at or after this.
    pub(crate) until_ms: i64,
}

/// What one window gives a host in a transaction: how many events to count
/// now and when they are dated; the slice (if one) that admits the calls
/// after this one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Grant {
    /// Events to count in the window.
    pub(crate) events: i64,
    /// Their date (ms since the epoch).
    pub(crate) at: i64,
    /// The lease length, when this is a slice (`events` > 1).
    pub(crate) lease_ms: Option<i64>,
}

/// How much of a window with `free` calls left (of `calls`, per `window_ms`)
/// to take at `now`.
pub(crate) fn grant(free: i64, window_ms: i64, now: i64) -> Grant {
    if free < MIN_FREE {
        return Grant {
            events: 1,
            at: now,
            lease_ms: None,
        };
    }
    let lease_ms = (window_ms / 4).clamp(1, MAX_LEASE_MS);
    Grant {
        events: (free / 8).clamp(2, MAX_SLICE),
        at: now.saturating_add(lease_ms),
        lease_ms: Some(lease_ms),
    }
}

/// The slices this host holds, by window key, and the slices it replaced
/// before using them up (given back with the next transaction).
#[derive(Debug, Default)]
pub(crate) struct RateLeases {
    slices: Mutex<Held<String, Slice, (String, Slice)>>,
}

/// The slices held, by key, and those replaced before they were used up.
type Held<K, S, D> = (HashMap<K, S>, Vec<D>);

impl RateLeases {
    fn lock(&self) -> std::sync::MutexGuard<'_, Held<String, Slice, (String, Slice)>> {
        self.slices.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Admit one call under every rule from the slices held, if each rule
    /// has a live slice with a call left: all or nothing.
    pub(crate) fn take(&self, rules: &[RateRule], now: i64) -> bool {
        let (slices, _) = &mut *self.lock();
        let live = |s: Option<&Slice>| s.is_some_and(|s| s.left > 0 && now < s.until_ms);
        if !rules.iter().all(|r| live(slices.get(&r.key))) {
            return false;
        }
        for r in rules {
            if let Some(s) = slices.get_mut(&r.key) {
                s.left -= 1;
            }
        }
        true
    }

    /// Take the slices of `keys` out, with every slice replaced before it
    /// was used up, to give their unused calls back.
    pub(crate) fn surrender<'k>(
        &self,
        keys: impl IntoIterator<Item = &'k str>,
    ) -> Vec<(String, Slice)> {
        let (slices, displaced) = &mut *self.lock();
        let mut out: Vec<(String, Slice)> = std::mem::take(displaced);
        out.extend(
            keys.into_iter()
                .filter_map(|k| slices.remove(k).map(|s| (k.to_owned(), s))),
        );
        out.retain(|(_, s)| s.left > 0);
        out
    }

    /// Every slice, to give back (the host stops).
    pub(crate) fn surrender_all(&self) -> Vec<(String, Slice)> {
        let (slices, displaced) = &mut *self.lock();
        let mut out: Vec<(String, Slice)> = std::mem::take(displaced);
        out.extend(slices.drain());
        out.retain(|(_, s)| s.left > 0);
        out
    }

    /// Hold `slice` of `key` (its first call already admitted); a slice of
    /// `key` taken meanwhile by another call is given back later.
    pub(crate) fn hold(&self, key: &str, slice: Slice) {
        if slice.left > 0 {
            let (slices, displaced) = &mut *self.lock();
            if let Some(old) = slices.insert(key.to_owned(), slice) {
                displaced.push((key.to_owned(), old));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn rule(key: &str) -> RateRule {
        RateRule {
            key: key.into(),
            calls: 100,
            per: Duration::from_secs(60),
            text: "100/min".into(),
        }
    }

    #[test]
    fn slices_shrink_as_the_window_fills_and_end_with_their_lease() {
        assert_eq!(grant(15, 60_000, 10).events, 1);
        assert_eq!(grant(15, 60_000, 10).at, 10);
        let g = grant(100, 60_000, 10);
        assert_eq!((g.events, g.at, g.lease_ms), (12, 1_010, Some(1_000)));
        assert_eq!(grant(1_000_000, 2_000, 0).events, MAX_SLICE);
        assert_eq!(grant(1_000_000, 2_000, 0).lease_ms, Some(500));

        let leases = RateLeases::default();
        let (a, b) = (rule("agent:a"), rule("tool:t"));
        assert!(
            !leases.take(std::slice::from_ref(&a), 0),
            "nothing held yet"
        );
        leases.hold(
            &a.key,
            Slice {
                lease: 1,
                left: 2,
                until_ms: 100,
            },
        );
        assert!(!leases.take(&[a.clone(), b.clone()], 0), "all or nothing");
        assert!(leases.take(std::slice::from_ref(&a), 0));
        assert!(leases.take(std::slice::from_ref(&a), 99));
        assert!(!leases.take(std::slice::from_ref(&a), 99), "used up");
        leases.hold(
            &a.key,
            Slice {
                lease: 2,
                left: 5,
                until_ms: 100,
            },
        );
        assert!(
            !leases.take(std::slice::from_ref(&a), 100),
            "the lease ended"
        );
        let back = leases.surrender([a.key.as_str(), b.key.as_str()]);
        assert_eq!(
            back,
            vec![(
                a.key.clone(),
                Slice {
                    lease: 2,
                    left: 5,
                    until_ms: 100
                }
            )]
        );
        assert!(leases.surrender_all().is_empty());
    }
}

/// Calls counted ahead against a fleet's budgets: rows of `call_uses`
/// taken in one transaction for one (task, agent, tool), marked reserved
/// (counted by every budget, not yet in the task's history), each filled
/// in by the call it admits when that call ends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct UseSlice {
    /// The reserved rows not yet given to a call.
    pub(crate) ids: Vec<i64>,
    /// When the lease ends (ms since the epoch).
    pub(crate) until_ms: i64,
}

/// The key of a budget slice: the rows it reserved count for this task,
/// agent and tool alone.
pub(crate) type UseKey = (String, String, String);

/// The budget slices this host holds, and the rows of slices it replaced
/// before using them up (given back with the next transaction).
#[derive(Debug, Default)]
pub(crate) struct UseLeases {
    slices: Mutex<Held<UseKey, UseSlice, i64>>,
}

impl UseLeases {
    fn lock(&self) -> std::sync::MutexGuard<'_, Held<UseKey, UseSlice, i64>> {
        self.slices.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A reserved row for a call of `key` at `now`, if a live slice has one.
    pub(crate) fn take(&self, key: &UseKey, now: i64) -> Option<i64> {
        let (slices, _) = &mut *self.lock();
        let s = slices.get_mut(key)?;
        if now >= s.until_ms {
            return None;
        }
        s.ids.pop()
    }

    /// Whether a live slice of `key` has a row left at `now`.
    pub(crate) fn holds(&self, key: &UseKey, now: i64) -> bool {
        let (slices, _) = &*self.lock();
        slices
            .get(key)
            .is_some_and(|s| now < s.until_ms && !s.ids.is_empty())
    }

    /// The unused rows of `key`'s slice and of replaced slices, to give
    /// back.
    pub(crate) fn surrender(&self, key: &UseKey) -> Vec<i64> {
        let (slices, displaced) = &mut *self.lock();
        let mut out = std::mem::take(displaced);
        out.extend(slices.remove(key).map(|s| s.ids).unwrap_or_default());
        out
    }

    /// Every unused row, to give back (the host stops).
    pub(crate) fn surrender_all(&self) -> Vec<i64> {
        let (slices, displaced) = &mut *self.lock();
        let mut out = std::mem::take(displaced);
        out.extend(slices.drain().flat_map(|(_, s)| s.ids));
        out
    }

    /// Hold `slice` for `key`; a slice of `key` taken meanwhile by another
    /// call is given back later.
    pub(crate) fn hold(&self, key: UseKey, slice: UseSlice) {
        if !slice.ids.is_empty() {
            let (slices, displaced) = &mut *self.lock();
            if let Some(old) = slices.insert(key, slice) {
                displaced.extend(old.ids);
            }
        }
    }
}
