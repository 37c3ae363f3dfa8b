//! OAuth discovery: the documents a client reads to find out how to get a
//! credential for this host.
//!
//! - Protected Resource Metadata (RFC 9728) at
//!   `/.well-known/oauth-protected-resource/mcp` for the MCP resource, and
//!   at `/.well-known/oauth-protected-resource` for the origin (§3.3: the
//!   `resource` is the identifier the well-known URL was formed from). The
//!   organisation's authorization servers whose access tokens the host
//!   accepts come first — a client that can use the organisation's IdP
//!   must not pick a server it cannot get a token from — and warrant's own
//!   workload token exchange last. `scopes_supported` lists the scopes
//!   tokens may carry: `plugin.*` and `plugin.tool` of every loaded plugin.
//! - Authorization Server Metadata (RFC 8414) at
//!   `/.well-known/oauth-authorization-server`: warrant as what it is, a
//!   token endpoint exchanging workload credentials (RFC 8693) — no
//!   authorization endpoint, so no response types and no PKCE methods.
//!   Its `jwks_uri`, `/.well-known/jwks.json`, lists the token public keys
//!   of every host of the fleet (revoked ones left out): a resource server
//!   verifies warrant's task tokens (RFC 9068 JWTs) with them.

use axum::extract::State;
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::api::app::AppState;

/// The grant type of RFC 8693.
pub(crate) const EXCHANGE: &str = "urn:ietf:params:oauth:grant-type:token-exchange";

/// This host's base URL (`[api] public-url`, else the URL the request
/// reached) and resource identifier (`[api] resource`, else the base and
/// `/mcp`) for a request.
pub(crate) fn resource_of(s: &AppState, headers: &HeaderMap) -> (String, String) {
    let config = s.host.config();
    let api = &config.file.api;
    let base = match &api.public_url {
        Some(u) => u.trim_end_matches('/').to_owned(),
        None => {
            let host = headers
                .get(header::HOST)
                .and_then(|h| h.to_str().ok())
                .unwrap_or("127.0.0.1");
            format!("http://{host}")
        }
    };
    let resource = api
        .resource
        .clone()
        .unwrap_or_else(|| format!("{base}/mcp"));
    (base, resource)
}

/// The origin (`scheme://host[:port]`) of a URL, or the URL itself.
fn origin(url: &str) -> String {
    match url.parse::<http::Uri>() {
        Ok(u) => match (u.scheme_str(), u.authority()) {
            (Some(s), Some(a)) => format!("{s}://{a}"),
            _ => url.to_owned(),
        },
        Err(_) => url.to_owned(),
    }
}

/// The scopes a token for this host may carry: `plugin.*` and each
/// `plugin.tool` of the plugins loaded now, and the step-up scopes the
/// policies name (`@scope`), in a stable order.
pub(crate) fn scopes_supported(s: &AppState) -> Vec<String> {
    let registry = s.host.registry();
    let mut out = Vec::new();
    for p in registry.plugins() {
        out.push(format!("{}.*", p.id()));
        for t in &p.manifest.manifest().tools {
            out.push(format!("{}.{}", p.id(), t.name));
        }
    }
    out.extend(s.host.loaded().authz.policy().step_up_scopes());
    out.sort();
    out.dedup();
    out
}

/// RFC 9728 Protected Resource Metadata.
#[derive(Debug, Serialize)]
struct ResourceMetadata {
    resource: String,
    authorization_servers: Vec<String>,
    scopes_supported: Vec<String>,
    bearer_methods_supported: [&'static str; 1],
    /// RFC 9449 §5.1 / RFC 9728: every agent here needs bound tokens.
    dpop_bound_access_tokens_required: bool,
    dpop_signing_alg_values_supported: &'static [&'static str],
    resource_name: &'static str,
    resource_documentation: String,
}

fn resource_metadata(s: &AppState, headers: &HeaderMap, resource: String) -> Response {
    let (base, _) = resource_of(s, headers);
    let config = s.host.config();
    let mut servers: Vec<String> = config
        .issuers
        .iter()
        .filter(|i| i.access_tokens)
        .map(|i| i.issuer.clone())
        .collect();
    servers.push(base.clone());
    axum::Json(ResourceMetadata {
        resource,
        authorization_servers: servers,
        scopes_supported: scopes_supported(s),
        bearer_methods_supported: ["header"],
        dpop_bound_access_tokens_required: !config.agents.is_empty()
            && config.agents.iter().all(|a| a.require_dpop),
        dpop_signing_alg_values_supported: crate::authz::DPOP_ALGORITHMS,
        resource_name: "warrant",
        resource_documentation: format!("{base}/v1/tools"),
    })
    .into_response()
}

/// `/.well-known/oauth-protected-resource/mcp`: the MCP resource.
pub(crate) async fn mcp_resource_metadata(
    State(s): State<AppState>,
    headers: HeaderMap,
) -> Response {
    let (_, resource) = resource_of(&s, &headers);
    resource_metadata(&s, &headers, resource)
}

/// `/.well-known/oauth-protected-resource`: the origin.
pub(crate) async fn origin_resource_metadata(
    State(s): State<AppState>,
    headers: HeaderMap,
) -> Response {
    let (_, resource) = resource_of(&s, &headers);
    resource_metadata(&s, &headers, origin(&resource))
}

/// RFC 8414 Authorization Server Metadata of warrant's token endpoint.
#[derive(Debug, Serialize)]
struct ServerMetadata {
    issuer: String,
    token_endpoint: String,
    grant_types_supported: [&'static str; 1],
    token_endpoint_auth_methods_supported: [&'static str; 1],
    response_types_supported: [&'static str; 0],
    scopes_supported: Vec<String>,
    dpop_signing_alg_values_supported: &'static [&'static str],
    jwks_uri: String,
    service_documentation: &'static str,
}

pub(crate) async fn server_metadata(State(s): State<AppState>, headers: HeaderMap) -> Response {
    let (base, _) = resource_of(&s, &headers);
    axum::Json(ServerMetadata {
        issuer: base.clone(),
        token_endpoint: format!("{base}/oauth/token"),
        grant_types_supported: [EXCHANGE],
        token_endpoint_auth_methods_supported: ["none"],
        response_types_supported: [],
        scopes_supported: scopes_supported(&s),
        dpop_signing_alg_values_supported: crate::authz::DPOP_ALGORITHMS,
        jwks_uri: format!("{base}/.well-known/jwks.json"),
        service_documentation: "https://github.com/warrant/warrant/blob/main/host/docs/mcp-and-oauth.md",
    })
    .into_response()
}

/// `/.well-known/jwks.json`: the token public keys of every host of the
/// fleet (RFC 7517, Ed25519 as RFC 8037's `OKP`), revoked ones left out.
pub(crate) async fn jwks(State(s): State<AppState>) -> Response {
    let keys = match s.host.state().token_keys().await {
        Ok(k) => k,
        Err(e) => {
            return crate::api::security::error(
                axum::http::StatusCode::SERVICE_UNAVAILABLE,
                "state",
                &format!("the token keys cannot be read: {e}"),
            );
        }
    };
    let revoked = s
        .host
        .stops()
        .await
        .map(|st| st.revoked_keys.keys().cloned().collect::<Vec<_>>())
        .unwrap_or_default();
    let keys: Vec<serde_json::Value> = keys
        .into_iter()
        .filter(|k| !revoked.contains(&k.kid))
        .map(|k| {
            serde_json::json!({
                "kty": "OKP", "crv": "Ed25519", "x": k.public_key, "kid": k.kid,
                "alg": "EdDSA", "use": "sig",
            })
        })
        .collect();
    axum::Json(serde_json::json!({ "keys": keys })).into_response()
}

#[cfg(test)]
mod tests {
    #[test]
    fn origins() {
        assert_eq!(super::origin("https://w.example/mcp"), "https://w.example");
        assert_eq!(
            super::origin("http://127.0.0.1:8787/mcp"),
            "http://127.0.0.1:8787"
        );
    }
}
