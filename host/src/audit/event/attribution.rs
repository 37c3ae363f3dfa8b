//! Who made a call, for which task, with which credential, under which
//! signed grant: the fields every call record (and approval request)
//! carries, each one as soon as it is known.

use serde::{Deserialize, Serialize};

use crate::vocab::Impact;

/// The attribution of one call. Fields are filled in as the call path
/// learns them; one still `None` when a record is written was not known
/// then (e.g. the plugin of a call refused for its token) and is left out.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attribution {
    /// The call's id, in every record of the call.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub call_id: Option<String>,
    /// How it arrived: `cli`, `mcp`, `http` or `lib`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel: Option<String>,
    /// The agent the task token names.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent: Option<String>,
    /// Who owns the agent (from the host config).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent_owner: Option<String>,
    /// The model the agent runs on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// Who owns the model.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model_owner: Option<String>,
    /// The task the token is for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub task: Option<String>,
    /// The task token's id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_id: Option<String>,
    /// The identity credential the token came from (a workload credential
    /// it was exchanged for, or an accepted access token).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credential: Option<super::CredentialRef>,
    /// `plugin.tool` as asked for (capped).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool: Option<String>,
    /// The plugin that offers the tool.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plugin: Option<String>,
    /// Its version, from the signed manifest.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plugin_version: Option<String>,
    /// `sha256:` of the component's bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub component_digest: Option<String>,
    /// `sha256:` of the signed manifest (its canonical bytes) whose grants
    /// were in force.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manifest_digest: Option<String>,
    /// The id of the key that signed the manifest.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signer: Option<String>,
    /// Who answers for the tool's actions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action_owner: Option<String>,
    /// The tool's impact level.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub impact: Option<Impact>,
    /// The release of the rules in force when it was decided (from
    /// format 7).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub release: Option<crate::governance::ReleaseRef>,
    /// What a credential that did not verify claimed — the task, agent
    /// and token id it names, as written in it and never believed (from
    /// format 8): a failed attempt stays in the story of the task it
    /// named. `task`, `agent` and `token_id` above are only ever verified.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub claimed: Option<Claimed>,
    /// The caller's W3C trace context (MCP `params._meta.traceparent`,
    /// HTTP `traceparent`), when it sent a valid one: the chain and the
    /// trace meet (from format 8).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trace: Option<TraceRef>,
    /// The caller's correlation id (`X-Correlation-ID`, `X-Request-ID`, or
    /// MCP `_meta` `warrant/correlation_id`), as sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub correlation_id: Option<String>,
}

/// A caller's W3C Trace Context (`traceparent`, `tracestate`), as sent.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TraceRef {
    /// The trace id: 32 lowercase hex digits.
    pub trace_id: String,
    /// The caller's span: 16 lowercase hex digits.
    pub parent_id: String,
    /// `tracestate`, when sent (at most 512 characters, as W3C allows).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
}

impl TraceRef {
    /// Parse a `traceparent` (W3C Trace Context §3.2) and its
    /// `tracestate`; `None` when the `traceparent` is not valid, which the
    /// standard says to ignore (and then `tracestate` too).
    pub fn parse(traceparent: &str, tracestate: Option<&str>) -> Option<Self> {
        let hex = |s: &str, n: usize| {
            s.len() == n
                && s.bytes()
                    .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        };
        let mut parts = traceparent.trim().split('-');
        let (version, trace_id, parent_id, flags) =
            (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
        let rest = parts.next();
        let valid = hex(version, 2)
            && version != "ff"
            && (rest.is_none() || version != "00")
            && hex(trace_id, 32)
            && trace_id.bytes().any(|b| b != b'0')
            && hex(parent_id, 16)
            && parent_id.bytes().any(|b| b != b'0')
            && hex(flags, 2);
        valid.then(|| Self {
            trace_id: trace_id.to_owned(),
            parent_id: parent_id.to_owned(),
            state: tracestate
                .map(str::trim)
                .filter(|s| !s.is_empty() && s.len() <= 512 && s.is_ascii())
                .map(str::to_owned),
        })
    }
}

#[cfg(test)]
mod trace_tests {
    use super::TraceRef;

    #[test]
    fn parses_w3c_traceparents_and_ignores_invalid_ones() {
        let t = TraceRef::parse(
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            Some("congo=t61rcWkgMzE"),
        )
        .unwrap();
        assert_eq!(t.trace_id, "4bf92f3577b34da6a3ce929d0e0e4736");
        assert_eq!(t.parent_id, "00f067aa0ba902b7");
        assert_eq!(t.state.as_deref(), Some("congo=t61rcWkgMzE"));
        for bad in [
            "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
            "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7",
            "",
        ] {
            assert!(TraceRef::parse(bad, Some("a=b")).is_none(), "{bad}");
        }
        // A later version may carry more fields.
        assert!(
            TraceRef::parse(
                "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-more",
                None
            )
            .is_some()
        );
    }
}

/// What an unverified credential names of itself.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claimed {
    /// The task it names.
    pub task: String,
    /// The agent it names.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent: Option<String>,
    /// Its token id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_id: Option<String>,
}
