//! Deciding one call: the request built from typed values (no Cedar
//! parsing per call), evaluated as not approved and, when denied, as
//! approved.

use cedar_policy::{
    Context, Decision, EntityId, EntityTypeName, EntityUid, Request, RestrictedExpression,
};
use chrono::{Datelike, Timelike};

use super::schema::typed_args;
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
        let first = match self.evaluate(input, false) {
            Ok(r) => r,
            Err(why) => {
                return PolicyDecision::Deny {
                    policies: Vec::new(),
                    reason: why,
                };
            }
        };
        if first.0 == Decision::Allow {
            return PolicyDecision::Allow { policies: first.1 };
        }
        match self.evaluate(input, true) {
            Ok((Decision::Allow, _)) if !first.1.is_empty() => {
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

    fn evaluate(
        &self,
        i: &PolicyInput<'_>,
        approved: bool,
    ) -> Result<(Decision, Vec<String>), String> {
        let request = self.request(i, approved)?;
        Ok(self.evaluate_request(&request))
    }

    /// The Cedar request for one call, as [`PolicyEngine::decide`] builds
    /// it (public so that `warrant-bench` can time building apart from
    /// evaluating).
    ///
    /// # Errors
    ///
    /// When the arguments or the history do not fit the policy schema.
    pub fn request(&self, i: &PolicyInput<'_>, approved: bool) -> Result<Request, String> {
        // Entity ids are built directly (no Cedar parsing per call) and the
        // context from typed values (no JSON round trip); both match the
        // schema the policies were validated against at start.
        let principal = fast_uid(&self.types.agent, i.agent);
        let action = fast_uid(&self.types.action, i.tool);
        let resource = fast_uid(&self.types.plugin, i.plugin);
        let string = |v: &str| RestrictedExpression::new_string(v.to_owned());
        let long = |v: i64| RestrictedExpression::new_long(v);
        let args = match self.args.get(i.tool) {
            Some(types) => typed_args(i.args, types)?,
            None => RestrictedExpression::new_record(Vec::new()).map_err(|e| e.to_string())?,
        };
        let pairs = vec![
            ("task".to_owned(), string(i.task)),
            ("tool".to_owned(), string(i.tool)),
            ("impact".to_owned(), string(i.impact)),
            ("action_owner".to_owned(), string(i.action_owner)),
            ("token_id".to_owned(), string(i.token_id)),
            (
                "scopes".to_owned(),
                RestrictedExpression::new_set(i.scopes.iter().map(|s| string(s))),
            ),
            (
                "approved".to_owned(),
                RestrictedExpression::new_bool(approved),
            ),
            ("now".to_owned(), long(i.now.timestamp())),
            ("hour".to_owned(), long(i64::from(i.now.hour()))),
            (
                "weekday".to_owned(),
                long(i64::from(i.now.weekday().num_days_from_monday())),
            ),
            ("args".to_owned(), args),
            ("history".to_owned(), history(i.history)?),
        ];
        let context = Context::from_pairs(pairs).map_err(|e| format!("the call's context: {e}"))?;
        Request::new(principal, action, resource, context, None)
            .map_err(|e| format!("the call does not fit the policy schema: {e}"))
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

fn fast_uid(kind: &EntityTypeName, id: &str) -> EntityUid {
    EntityUid::from_type_name_and_id(kind.clone(), EntityId::new(id))
}

/// `context.history`: what already happened in the task.
fn history(h: &crate::state::TaskHistory) -> Result<RestrictedExpression, String> {
    let set = |names: &std::collections::BTreeSet<String>| {
        RestrictedExpression::new_set(
            names
                .iter()
                .map(|n| RestrictedExpression::new_string(n.clone())),
        )
    };
    let long = |n: u64| RestrictedExpression::new_long(i64::try_from(n).unwrap_or(i64::MAX));
    RestrictedExpression::new_record([
        ("tools".to_owned(), set(&h.tools)),
        ("succeeded".to_owned(), set(&h.succeeded)),
        ("calls".to_owned(), long(h.calls)),
        ("high_impact_calls".to_owned(), long(h.high_impact_calls)),
    ])
    .map_err(|e| format!("the task's history: {e}"))
}
