//! The WASI context of one call, built deny-by-default from grants.

use wasmtime_wasi::{WasiCtx, WasiCtxBuilder};

use crate::capability::Capabilities;
use crate::sandbox::LoadError;
use crate::sandbox::stdio::BoundedPipe;

/// Random bytes a guest may ask for in one host call.
pub(crate) const MAX_RANDOM_BYTES: u64 = 64 * 1024;

/// Build the WASI context for one call.
///
/// Starts from nothing — no arguments, no environment, stdin closed, no
/// preopened directories, no sockets, no name lookups — and adds exactly
/// what each capability grants ([`Capabilities::wasi`]): environment
/// variables, preopened directories with their access, the real clocks and
/// real randomness only when granted (a frozen clock and a fixed sequence
/// otherwise).
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
    caps.wasi(&mut b).map_err(LoadError::Grant)?;
    Ok(b.build())
}
