//! The same mediated call through the HTTP servers on loopback, with real
//! clients. Filled in once the API servers exist; `None` until then.

use warrant::Host;
use warrant_tests::Fixture;

use crate::Opts;
use crate::stats::Samples;

/// HTTP/JSON and MCP latencies, when the servers are available.
pub async fn loopback(
    _fx: &Fixture,
    _host: &Host,
    _token: &str,
    _opts: &Opts,
) -> anyhow::Result<(Option<Samples>, Option<Samples>)> {
    Ok((None, None))
}
