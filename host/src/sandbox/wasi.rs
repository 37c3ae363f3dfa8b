//! The WASI context of one call, built deny-by-default from grants.

use std::time::Duration;

use wasmtime_wasi::{FsPerms, HostMonotonicClock, HostWallClock, WasiCtx, WasiCtxBuilder};

use crate::sandbox::LoadError;
use crate::sandbox::capabilities::Capabilities;
use crate::sandbox::stdio::BoundedPipe;
use crate::vocab::Access;

/// Random bytes a guest may ask for in one host call.
pub(crate) const MAX_RANDOM_BYTES: u64 = 64 * 1024;

/// Build the WASI context for one call.
///
/// Starts from nothing — no arguments, no environment, stdin closed, no
/// preopened directories, no sockets, no name lookups — and adds exactly the
/// grants: environment variables, preopened directories with their access,
/// the real clocks and real randomness only when granted. Without a clock
/// grant the wall clock reads the Unix epoch and the monotonic clock stands
/// still; without a randomness grant the generators return a fixed sequence.
pub(crate) fn build_wasi(
    caps: &Capabilities,
    stdout: &BoundedPipe,
    stderr: &BoundedPipe,
) -> Result<WasiCtx, LoadError> {
    let mut b = WasiCtxBuilder::new();
    b.stdout(stdout.clone())
        .stderr(stderr.clone())
        // Sockets are linked (language runtimes import them) but can never
        // be used: creating a TCP or UDP socket is refused before any OS
        // socket exists, no address passes the check, names are not
        // looked up. No grant changes this; HTTP goes through wasi:http.
        .allow_tcp(false)
        .allow_udp(false)
        .allow_ip_name_lookup(false)
        .socket_addr_check(|_, _| Box::pin(async { false }))
        .max_random_size(MAX_RANDOM_BYTES);
    for (k, v) in &caps.env {
        b.env(k, v);
    }
    for grant in &caps.files {
        let perms = match grant.access {
            Access::Read => FsPerms::ReadOnly,
            Access::ReadWrite => FsPerms::ReadWrite,
        };
        b.preopened_dir(&grant.host, &grant.guest, perms)
            .map_err(|e| {
                LoadError::Grant(format!(
                    "cannot open granted directory {} (for {}): {e}",
                    grant.host.display(),
                    grant.guest
                ))
            })?;
    }
    if !caps.clock {
        b.wall_clock(EpochClock).monotonic_clock(FrozenClock);
    }
    if !caps.random {
        b.secure_random(wasmtime_wasi::Deterministic::new(vec![0x5a; 32]))
            .insecure_random(wasmtime_wasi::Deterministic::new(vec![0xa5; 32]))
            .insecure_random_seed(0);
    }
    Ok(b.build())
}

/// A wall clock that always reads 1970-01-01T00:00:00Z.
struct EpochClock;

impl HostWallClock for EpochClock {
    fn resolution(&self) -> Duration {
        Duration::from_secs(1)
    }

    fn now(&self) -> Duration {
        Duration::ZERO
    }
}

/// A monotonic clock that never advances.
struct FrozenClock;

impl HostMonotonicClock for FrozenClock {
    fn resolution(&self) -> u64 {
        1_000_000_000
    }

    fn now(&self) -> u64 {
        0
    }
}
