//! Deciding one call: the request built once (see `request`), evaluated
//! as not approved and, when denied, as approved.

use cedar_policy::{Decision, Request};

use super::{PolicyDecision, PolicyEngine, PolicyInput};

impl PolicyEngine {
    /// Decide one call.
    pub fn decide(&self, input: &PolicyInput<'_>) -> PolicyDecision {
        if self.empty {
            return PolicyDecision::Deny {
                policies: Vec::new(),
                reason: "no policy permits it: the host has no policy files, and everything not permitted is denied".into(),
            };
        }
        // Built once: a denied call is evaluated again as approved from the
        // same values.
        let call = self.prepared.call(input);
        let first = self.evaluate_request(&call.request(false));
        if first.0 == Decision::Allow {
            return PolicyDecision::Allow { policies: first.1 };
        }
        match self.evaluate_request(&call.request(true)) {
            (Decision::Allow, _) if !first.1.is_empty() => {
                PolicyDecision::NeedsApproval { policies: first.1 }
            }
            _ => PolicyDecision::Deny {
                reason: if first.1.is_empty() {
                    "no policy permits it".into()
                } else {
                    "a forbid policy matched this call".into()
                },
                policies: first.1,
            },
        }
    }

    /// The Cedar request for one call, as [`PolicyEngine::decide`] builds
    /// it (public so that `warrant-bench` can time building apart from
    /// evaluating): the parts that do not change between calls prepared
    /// with the engine, the rest built from typed values (no Cedar parsing
    /// or evaluation per call).
    pub fn request(&self, i: &PolicyInput<'_>, approved: bool) -> Request {
        self.prepared.call(i).request(approved)
    }

    /// Evaluate a request against the loaded policies: the decision and
    /// the ids of the policies that decided it.
    pub fn evaluate_request(&self, request: &Request) -> (Decision, Vec<String>) {
        let response = self
            .authorizer
            .is_authorized(request, &self.set, &self.entities);
        if let Some(err) = response.diagnostics().errors().next() {
            tracing::warn!("policy evaluation error: {err}");
        }
        let mut ids: Vec<String> = response
            .diagnostics()
            .reason()
            .map(ToString::to_string)
            .collect();
        ids.sort();
        (response.decision(), ids)
    }
}
