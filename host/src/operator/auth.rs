//! Authenticating a signed operator action: the key belongs to the operator
//! it names, is valid now, the signature covers exactly this action, it is
//! fresh, and it was not used before. Its nonce is used up as soon as it
//! authenticates, whether or not the action is then permitted: a signed
//! action is good for one attempt.

use chrono::{DateTime, Utc};

use crate::config::{Operator, Role};
use crate::keys::{ActionKind, SignedAction};
use crate::operator::{OperatorActions, OperatorError};

/// How far an action's time may be from the host's clock.
pub(crate) const MAX_AGE_SECS: i64 = crate::keys::MAX_ACTION_AGE_SECS;

impl OperatorActions {
    /// Check `signed` is `kind` on `target`, signed by a valid key of the
    /// operator it names, fresh and unused, and use up its nonce; returns
    /// the operator.
    ///
    /// # Errors
    ///
    /// [`OperatorError`] saying which check failed.
    pub(crate) async fn authenticate(
        &self,
        signed: &SignedAction,
        kind: ActionKind,
        target: &str,
    ) -> Result<&Operator, OperatorError> {
        let a = &signed.action;
        if a.kind != kind || a.target != target {
            return Err(OperatorError::Mismatch {
                signed: describe(a.kind, &a.target),
                asked: describe(kind, target),
            });
        }
        let here = self.audience().await?;
        match a.audience.as_deref() {
            Some(aud) if aud == here => {}
            Some(aud) => {
                return Err(OperatorError::WrongAudience {
                    signed: aud.to_owned(),
                    here_kind: if here.starts_with("fleet-") {
                        "fleet"
                    } else {
                        "host"
                    },
                    here,
                });
            }
            None => {
                return Err(OperatorError::Unauthenticated(format!(
                    "the action names no audience: sign it for this host or fleet ({here}) with a current warrant"
                )));
            }
        }
        if signed.delegation.is_some() {
            self.check_delegated(signed)?;
            let Some(op) = self.config.operator(&a.operator) else {
                return Err(OperatorError::Unauthenticated(format!(
                    "no operator {}",
                    a.operator
                )));
            };
            return self.fresh_and_unused(signed, op).await;
        }
        let Some((op, key)) = self.config.operator_key(&a.key) else {
            return Err(OperatorError::Unauthenticated(format!(
                "no operator in {} has the key {}",
                self.config.path.display(),
                a.key
            )));
        };
        if op.name != a.operator {
            return Err(OperatorError::Unauthenticated(format!(
                "key {} is {}'s, not {}'s",
                a.key, op.name, a.operator
            )));
        }
        if let Some(why) = key.unusable_at(Utc::now()) {
            return Err(OperatorError::Unauthenticated(why));
        }
        if !signed.verifies(&key.key) {
            return Err(OperatorError::Unauthenticated(format!(
                "the signature does not verify under {}'s key {} (the action was changed after signing, or signed with another key)",
                op.name, a.key
            )));
        }
        self.fresh_and_unused(signed, op).await
    }

    /// The action is fresh; use up its nonce.
    async fn fresh_and_unused<'a>(
        &self,
        signed: &SignedAction,
        op: &'a Operator,
    ) -> Result<&'a Operator, OperatorError> {
        let a = &signed.action;
        let now = Utc::now();
        if (now.timestamp() - a.time).abs() > MAX_AGE_SECS {
            return Err(OperatorError::Stale {
                signed: DateTime::<Utc>::from_timestamp(a.time, 0)
                    .map_or_else(|| a.time.to_string(), |t| t.to_rfc3339()),
                max_age_s: MAX_AGE_SECS,
            });
        }
        // Kept until it could no longer pass the freshness check anyway.
        let expires = (a.time + 2 * MAX_AGE_SECS) * 1000;
        if !self.state.use_nonce(&a.nonce, &a.operator, expires).await? {
            return Err(OperatorError::Replayed(a.nonce.clone()));
        }
        Ok(op)
    }

    /// Refuse unless `op` holds `role`.
    pub(crate) fn require(
        &self,
        op: &Operator,
        role: Role,
        action: &str,
    ) -> Result<(), OperatorError> {
        if op.roles.contains(&role) {
            return Ok(());
        }
        Err(OperatorError::NotPermitted {
            who: op.name.clone(),
            action: action.to_owned(),
            role: role.as_str(),
            config: self.config.path.display().to_string(),
        })
    }
}

fn describe(kind: ActionKind, target: &str) -> String {
    if target.is_empty() {
        kind.as_str().to_owned()
    } else {
        format!("{} {target}", kind.as_str())
    }
}
