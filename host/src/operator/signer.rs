//! The operator's side: signing an action with their own private key. The
//! CLI does this on the operator's machine; the key never reaches the host.

use std::path::Path;

use crate::config::HostConfig;
use crate::keys::{
    ActionBody, ActionKind, Delegation, IssueRequest, KeyFile, SignedAction, SigningKey,
    read_key_file, session_digest,
};
use crate::operator::OperatorError;
use crate::vocab::random_id;

/// An operator's private key, and the operator it belongs to.
#[derive(Debug, Clone)]
pub struct OperatorSigner {
    operator: String,
    key_id: String,
    key: ed25519_dalek::SigningKey,
    /// For a console session's key: the operator's grant of it.
    delegation: Option<Box<Delegation>>,
    /// The host or fleet its actions are for.
    audience: Option<String>,
}

impl OperatorSigner {
    /// A signer for `operator` with an Ed25519 key file.
    ///
    /// # Errors
    ///
    /// [`OperatorError::Unauthenticated`] when the file holds no Ed25519 key.
    pub fn new(operator: &str, file: &KeyFile) -> Result<Self, OperatorError> {
        let bad = |why: String| OperatorError::Unauthenticated(why);
        match file.signing_key().map_err(|e| bad(e.to_string()))? {
            SigningKey::Ed25519(key) => Ok(Self {
                operator: operator.to_owned(),
                key_id: file.id.clone(),
                key,
                delegation: None,
                audience: None,
            }),
            SigningKey::Hmac(_) => Err(bad(format!(
                "key {} is an HMAC key; operators sign with Ed25519 keys (warrant keygen --operator)",
                file.id
            ))),
        }
    }

    /// A signer from a key file, for the operator the host config gives
    /// that key to.
    ///
    /// # Ambient Authority
    ///
    /// Reads `path`, which the operator names.
    ///
    /// # Errors
    ///
    /// When the file cannot be read or no operator in `config` has the key.
    pub fn from_file(path: &Path, config: &HostConfig) -> Result<Self, OperatorError> {
        let file =
            read_key_file(path).map_err(|e| OperatorError::Unauthenticated(e.to_string()))?;
        let Some((op, _)) = config.operator_key(&file.id) else {
            return Err(OperatorError::Unauthenticated(format!(
                "no operator in {} has the key {} (from {}); add its .pub under the operator's keys",
                config.path.display(),
                file.id,
                path.display()
            )));
        };
        Self::new(&op.name.clone(), &file)
    }

    /// A console session's signer: its key, granted by `delegation`.
    pub(crate) fn session(key: ed25519_dalek::SigningKey, delegation: Delegation) -> Self {
        Self {
            operator: delegation.operator.clone(),
            key_id: delegation.session.clone(),
            key,
            delegation: Some(Box::new(delegation)),
            audience: None,
        }
    }

    /// Sign for `audience`: the host id, or the fleet's id, of the state
    /// the actions act on ([`OperatorActions::audience`](crate::operator::OperatorActions::audience)).
    /// A host refuses an action signed for another.
    #[must_use]
    pub fn for_audience(mut self, audience: &str) -> Self {
        self.audience = Some(audience.to_owned());
        self
    }

    /// Sign a console login for the session key `session` (the login link
    /// of `warrant console login`).
    pub fn sign_login(&self, session: &ed25519_dalek::VerifyingKey) -> SignedAction {
        self.sign_body(
            ActionKind::ConsoleLogin,
            "",
            Some(session_digest(session)),
            None,
            "console login",
        )
    }

    /// The operator.
    pub fn operator(&self) -> &str {
        &self.operator
    }

    /// Sign `kind` on `target` now, with a fresh nonce.
    pub fn sign(&self, kind: ActionKind, target: &str, reason: &str) -> SignedAction {
        self.sign_body(kind, target, None, None, reason)
    }

    /// Sign an approval or denial of `approval_id`, bound to what the held
    /// call is bound to (`binding`: [`ApprovalBinding::digest`](crate::state::ApprovalBinding::digest)).
    pub fn sign_decision(
        &self,
        approve: bool,
        approval_id: &str,
        binding: &str,
        reason: &str,
    ) -> SignedAction {
        let kind = if approve {
            ActionKind::Approve
        } else {
            ActionKind::Deny
        };
        self.sign_body(kind, approval_id, Some(binding.to_owned()), None, reason)
    }

    /// Sign a request to issue a token.
    pub fn sign_issue(&self, request: IssueRequest, reason: &str) -> SignedAction {
        self.sign_body(ActionKind::Issue, "", None, Some(request), reason)
    }

    fn sign_body(
        &self,
        kind: ActionKind,
        target: &str,
        binding: Option<String>,
        issue: Option<IssueRequest>,
        reason: &str,
    ) -> SignedAction {
        let mut signed = ActionBody {
            kind,
            target: target.to_owned(),
            binding,
            issue,
            reason: reason.to_owned(),
            audience: self.audience.clone(),
            operator: self.operator.clone(),
            key: self.key_id.clone(),
            time: chrono::Utc::now().timestamp(),
            nonce: random_id("n", 16),
        }
        .sign(&self.key);
        signed.delegation.clone_from(&self.delegation);
        signed
    }
}
