//! The check of one request's target against the grant: its origin must
//! equal a granted one, and a name must resolve to public addresses only
//! (unless the grant names that address or `localhost` itself).

use std::net::{IpAddr, SocketAddr};

use crate::capability::http::REQUEST_TIMEOUT;
use crate::vocab::HttpOrigin;

/// Whether an address is on the public internet (not loopback, private,
/// link-local, shared, multicast, unspecified or reserved).
pub(crate) fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            !(v4.is_private()
                || v4.is_loopback()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_multicast()
                || o[0] == 0
                || (o[0] == 100 && (o[1] & 0xc0) == 64)
                || o[0] >= 240)
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_public(IpAddr::V4(v4));
            }
            let s = v6.segments();
            !(v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (s[0] & 0xfe00) == 0xfc00
                || (s[0] & 0xffc0) == 0xfe80)
        }
    }
}

/// Check a target against the grant and resolve it to the addresses the
/// connection may use (every one of them checked), in the resolver's order.
pub(crate) async fn authorize(
    allowed: &[HttpOrigin],
    target: &HttpOrigin,
) -> Result<Vec<SocketAddr>, String> {
    check_granted(allowed, target)?;
    resolve(target).await
}

/// Whether the target's origin is exactly one the grant names.
pub(crate) fn check_granted(allowed: &[HttpOrigin], target: &HttpOrigin) -> Result<(), String> {
    let granted = allowed
        .iter()
        .any(|o| o.scheme == target.scheme && o.host == target.host && o.port == target.port);
    if !granted {
        let list: Vec<String> = allowed.iter().map(ToString::to_string).collect();
        return Err(format!(
            "{}://{}:{} is not in this plugin's http grant ({})",
            target.scheme,
            target.host,
            target.port,
            if list.is_empty() {
                "it may not use the network".to_owned()
            } else {
                format!("granted: {}", list.join(", "))
            }
        ));
    }
    Ok(())
}

/// Resolve a granted target (see [`authorize`]).
async fn resolve(target: &HttpOrigin) -> Result<Vec<SocketAddr>, String> {
    if let Ok(ip) = target.host.parse::<IpAddr>() {
        return Ok(vec![SocketAddr::new(ip, target.port)]);
    }
    let explicit_local = target.host == "localhost";
    let addrs: Vec<SocketAddr> = tokio::time::timeout(
        REQUEST_TIMEOUT,
        tokio::net::lookup_host((target.host.as_str(), target.port)),
    )
    .await
    .map_err(|_| format!("resolving {} timed out", target.host))?
    .map_err(|e| format!("cannot resolve {}: {e}", target.host))?
    .collect();
    if addrs.is_empty() {
        return Err(format!("{} has no addresses", target.host));
    }
    if !explicit_local && let Some(bad) = addrs.iter().find(|a| !is_public(a.ip())) {
        return Err(format!(
            "{} resolves to {}, a non-public address; grant that address explicitly to allow it",
            target.host,
            bad.ip()
        ));
    }
    Ok(addrs)
}

