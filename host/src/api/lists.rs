//! `notifications/tools/list_changed`: when a reload, a release of the
//! rules, a quarantine, a release of an agent, or a plugin disabled or
//! enabled changes what a token may see, its client is told, and lists the
//! tools again — on MCP sessions (protocol versions with the `initialize`
//! handshake) and on 2026-07-28's `subscriptions/listen` streams (stateless
//! clients). A watcher looks at what the host runs with and at the stop
//! state (both in memory) four times a second, and recomputes a token's
//! tools only when either changed.

use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use rmcp::Peer;
use rmcp::service::RoleServer;

use crate::Host;

/// How often the watcher looks.
const EVERY: Duration = Duration::from_millis(250);

#[derive(Debug)]
struct Watched {
    peer: Peer<RoleServer>,
    token: String,
    /// The tool names it saw last.
    seen: Vec<String>,
}

/// The sessions of one server whose tool lists are watched.
#[derive(Debug, Default)]
pub(crate) struct ListWatch {
    sessions: Mutex<Vec<Watched>>,
    started: std::sync::atomic::AtomicBool,
}

async fn names(host: &Host, token: &str) -> Vec<String> {
    let mut v: Vec<String> = host
        .tools_for(token)
        .await
        .map(|t| t.into_iter().map(|t| t.qualified).collect())
        .unwrap_or_default();
    v.sort();
    v
}

impl ListWatch {
    /// Watch the session of `peer`, acting under `token`.
    pub(crate) async fn watch(
        self: &Arc<Self>,
        host: &Host,
        peer: Peer<RoleServer>,
        token: String,
    ) {
        let seen = names(host, &token).await;
        self.lock().push(Watched { peer, token, seen });
        if !self.started.swap(true, std::sync::atomic::Ordering::AcqRel) {
            tokio::spawn(run(Arc::downgrade(self), host.clone()));
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Watched>> {
        self.sessions.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// What the host runs with and its stop state: either is replaced as a
/// whole when it changes. Held (not only their addresses) so that a
/// replacement can never reuse the address of the one it is compared with.
struct Generation {
    loaded: Arc<crate::mediation::Loaded>,
    stops: Option<Arc<crate::state::StopState>>,
}

impl Generation {
    async fn of(host: &Host) -> Self {
        Self {
            loaded: host.loaded(),
            stops: host.stops().await.ok(),
        }
    }

    fn same(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.loaded, &other.loaded)
            && match (&self.stops, &other.stops) {
                (Some(a), Some(b)) => Arc::ptr_eq(a, b),
                (None, None) => true,
                _ => false,
            }
    }
}

async fn run(watch: Weak<ListWatch>, host: Host) {
    let mut last = Generation::of(&host).await;
    loop {
        tokio::time::sleep(EVERY).await;
        let Some(watch) = watch.upgrade() else {
            return;
        };
        let now = Generation::of(&host).await;
        if now.same(&last) {
            continue;
        }
        last = now;
        // Gone sessions leave; the others are looked at outside the lock.
        let sessions: Vec<(Peer<RoleServer>, String, Vec<String>)> = {
            let mut s = watch.lock();
            s.retain(|w| !w.peer.is_transport_closed());
            s.iter()
                .map(|w| (w.peer.clone(), w.token.clone(), w.seen.clone()))
                .collect()
        };
        for (peer, token, seen) in sessions {
            let fresh = names(&host, &token).await;
            if fresh == seen {
                continue;
            }
            let _ = peer.notify_tool_list_changed().await;
            for w in watch.lock().iter_mut() {
                if w.token == token && w.seen == seen {
                    w.seen.clone_from(&fresh);
                }
            }
        }
    }
}

/// Serve one `subscriptions/listen` stream (2026-07-28) under `token`
/// until the client closes it or the server stops: a
/// `notifications/tools/list_changed` (tagged with the subscription's id)
/// whenever what the token may see changes.
pub(crate) async fn listen(host: &Host, token: String, sub: rmcp::service::SubscriptionContext) {
    let mut seen = names(host, &token).await;
    let mut last = Generation::of(host).await;
    loop {
        tokio::select! {
            () = sub.cancelled() => return,
            () = tokio::time::sleep(EVERY) => {}
        }
        let now = Generation::of(host).await;
        if now.same(&last) {
            continue;
        }
        last = now;
        let fresh = names(host, &token).await;
        if fresh == seen {
            continue;
        }
        seen = fresh;
        if sub.sink().notify_tool_list_changed().await.is_err() {
            return;
        }
    }
}
