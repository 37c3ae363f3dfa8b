//! Step-up scopes. A forbid policy annotated `@scope("name")` is lifted by
//! a token that carries that scope — its condition reads
//! `context.scopes`, e.g.
//!
//! ```cedar
//! @id("external-cases-need-step-up")
//! @scope("external-case")
//! forbid (principal, action == Action::"case-note.append", resource)
//!   when { context.args has case_id && context.args.case_id like "EXT-*" }
//!   unless { context.scopes.contains("external-case") };
//! ```
//!
//! When every policy that denied a call names such a scope, and the call
//! would be permitted (or held for a human) with those scopes added to the
//! token's, the refusal names them: the scopes that policy derives from
//! this call's arguments, impact or task. A client that got its token by
//! OAuth is answered `403 insufficient_scope` listing every scope the call
//! needs, and may exchange for a token with exactly those.

use std::collections::BTreeMap;

use cedar_policy::PolicySet;

use super::{PolicyDecision, PolicyEngine, PolicyInput};

/// The step-up scope each annotated policy names, by policy id; or the
/// policy whose annotation is not a scope name, and why.
pub(super) fn annotated(set: &PolicySet) -> Result<BTreeMap<String, String>, (String, String)> {
    let mut out = BTreeMap::new();
    for p in set.policies() {
        let Some(scope) = p.annotation("scope") else {
            continue;
        };
        let id = p.id().to_string();
        if p.effect() != cedar_policy::Effect::Forbid {
            return Err((
                id,
                "@scope names the scope that lifts a forbid policy; this policy permits".into(),
            ));
        }
        if !is_scope_name(scope) {
            return Err((
                id,
                format!(
                    "@scope({scope:?}) is not a step-up scope name: 1 to 64 of a-z, 0-9, '-', '_' or ':' (a name with a dot would read as a tool)"
                ),
            ));
        }
        out.insert(id, scope.to_owned());
    }
    Ok(out)
}

/// Whether `s` can name a step-up scope: never a tool's name (tools have
/// a dot), never anything a scope list would split.
pub fn is_scope_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"-_:".contains(&b))
}

impl PolicyEngine {
    /// Whether any policy names a step-up scope (a check on every OAuth
    /// client's MCP call, so it allocates nothing).
    pub fn has_step_up(&self) -> bool {
        !self.step_up.is_empty()
    }

    /// Every step-up scope the policies name, sorted.
    pub fn step_up_scopes(&self) -> Vec<String> {
        let mut v: Vec<String> = self.step_up.values().cloned().collect();
        v.sort();
        v.dedup();
        v
    }

    /// The step-up scopes a call denied by `denied_by` lacks, when those
    /// scopes are what stands in its way: every denying policy names one,
    /// and with them added the call is no longer denied.
    pub fn scopes_needed(
        &self,
        input: &PolicyInput<'_>,
        denied_by: &[String],
    ) -> Option<Vec<String>> {
        if denied_by.is_empty() {
            return None;
        }
        let mut needed: Vec<String> = Vec::new();
        for id in denied_by {
            let scope = self.step_up.get(id)?;
            if !input.scopes.contains(scope) && !needed.contains(scope) {
                needed.push(scope.clone());
            }
        }
        if needed.is_empty() {
            return None;
        }
        needed.sort();
        let mut with = input.scopes.to_vec();
        with.extend(needed.iter().cloned());
        let stepped = PolicyInput {
            scopes: &with,
            ..input.clone()
        };
        match self.decide(&stepped) {
            PolicyDecision::Deny { .. } => None,
            PolicyDecision::Allow { .. } | PolicyDecision::NeedsApproval { .. } => Some(needed),
        }
    }
}
