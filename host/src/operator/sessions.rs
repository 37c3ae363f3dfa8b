//! Console sessions: an operator logs in once — with a login link signed by
//! their own key, or at their OpenID provider — and the console then signs
//! each of their actions with the session's own key, whose grant every
//! action carries ([`Delegation`]). The live sessions are in the shared
//! state (`session_store`): an action signed with the key of a session that
//! ended anywhere (logout, expiry, the operator's key revoked or their
//! entry removed) is refused.

use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD as B64, URL_SAFE_NO_PAD as B64URL};
use chrono::Utc;

use crate::audit::event::{ConsoleSession, Event};
use crate::keys::{ActionKind, Delegation, SessionLogin, SignedAction, session_digest, session_id};
use crate::operator::{OperatorActions, OperatorError, OperatorSigner, Sessions};
use crate::vocab::cap;

/// A live console session.
#[derive(Debug, Clone)]
pub struct Session {
    /// The session key's id.
    pub id: String,
    /// The operator.
    pub operator: String,
    /// How they logged in (`link`, `oidc`).
    pub method: &'static str,
    /// When it ends, seconds since the epoch.
    pub not_after: i64,
    pub(crate) signer: OperatorSigner,
    pub(crate) delegation: Arc<Delegation>,
}

impl Session {
    /// The signer of this session's actions.
    pub fn signer(&self) -> &OperatorSigner {
        &self.signer
    }
}

/// An OpenID Connect login the console verified: the ID token's signature,
/// issuer, audience, expiry and nonce.
#[derive(Debug, Clone)]
pub(crate) struct VerifiedLogin {
    pub(crate) issuer: String,
    pub(crate) subject: String,
    pub(crate) email: Option<String>,
    pub(crate) id_token: String,
}

/// A fresh Ed25519 key from the OS's randomness.
///
/// # Errors
///
/// When the OS has no randomness to give.
pub fn session_key() -> Result<ed25519_dalek::SigningKey, OperatorError> {
    let mut secret = [0u8; 32];
    getrandom::fill(&mut secret)
        .map_err(|e| OperatorError::Invalid(format!("no randomness for a session key: {e}")))?;
    Ok(ed25519_dalek::SigningKey::from_bytes(&secret))
}

impl OperatorActions {
    /// The live sessions (shared with the host's next reload).
    pub fn sessions(&self) -> &Arc<Sessions> {
        &self.sessions
    }

    /// Keep the sessions of `before` (a reload).
    pub(crate) fn keep_sessions(&mut self, before: &OperatorActions) {
        self.sessions = Arc::clone(&before.sessions);
    }

    /// Open a session from a login link: `login` is a `console-login`
    /// signed by the operator's own key over the digest of `key`'s public
    /// half, fresh and never used before.
    ///
    /// # Errors
    ///
    /// When the login does not authenticate or does not bind `key`.
    pub async fn open_link_session(
        &self,
        login: &SignedAction,
        key: ed25519_dalek::SigningKey,
    ) -> Result<Session, OperatorError> {
        if login.delegation.is_some() {
            return Err(OperatorError::Unauthenticated(
                "a console session cannot open another one".into(),
            ));
        }
        let digest = session_digest(&key.verifying_key());
        if login.action.binding.as_deref() != Some(digest.as_str()) {
            return Err(OperatorError::Mismatch {
                signed: "a login for another session key".into(),
                asked: "a login for the key in this link".into(),
            });
        }
        let op = self
            .authenticate(login, ActionKind::ConsoleLogin, "")
            .await?;
        let name = op.name.clone();
        let login = SessionLogin::Link {
            login: Box::new(login.clone()),
        };
        self.open_session(&name, key, login, None).await
    }

    /// Open a session for a verified OpenID Connect login whose nonce was
    /// the digest of `key`'s public half.
    ///
    /// # Errors
    ///
    /// When no operator of the config has that identity.
    pub(crate) async fn open_oidc_session(
        &self,
        v: VerifiedLogin,
        key: ed25519_dalek::SigningKey,
    ) -> Result<Session, OperatorError> {
        let Some(op) = self.config.operators.iter().find(|o| {
            o.oidc.as_ref().is_some_and(|w| {
                w.issuer.trim_end_matches('/') == v.issuer.trim_end_matches('/')
                    && (w.subject.as_deref() == Some(v.subject.as_str())
                        || (w.email.is_some() && w.email == v.email))
            })
        }) else {
            return Err(OperatorError::Unauthenticated(format!(
                "{} subject {} is no operator's identity in {} (oidc = {{ issuer, subject | email }})",
                v.issuer,
                v.subject,
                self.config.path.display()
            )));
        };
        let name = op.name.clone();
        let identity = format!("{} {}", v.issuer, v.subject);
        let login = SessionLogin::Oidc {
            issuer: v.issuer,
            subject: v.subject,
            email: v.email,
            id_token: v.id_token,
        };
        self.open_session(&name, key, login, Some(identity)).await
    }

    async fn open_session(
        &self,
        operator: &str,
        key: ed25519_dalek::SigningKey,
        login: SessionLogin,
        identity: Option<String>,
    ) -> Result<Session, OperatorError> {
        if self.config.operator(operator).is_some_and(|o| o.automation) {
            return Err(OperatorError::Unauthenticated(format!(
                "{operator} is an automation; automations do not log in to the console"
            )));
        }
        let pk = key.verifying_key();
        let now = Utc::now().timestamp();
        let lifetime = i64::try_from(self.config.console.session.as_secs()).unwrap_or(i64::MAX);
        let method = match login {
            SessionLogin::Link { .. } => "link",
            SessionLogin::Oidc { .. } => "oidc",
        };
        let delegation = Delegation {
            session: session_id(&pk),
            session_key: B64.encode(pk.as_bytes()),
            operator: operator.to_owned(),
            opened: now,
            not_after: now.saturating_add(lifetime),
            login,
        };
        self.audit
            .append(
                &Event::SessionOpened(record(
                    &delegation,
                    method,
                    identity,
                    None,
                    self.release.clone(),
                )),
                true,
            )
            .await?;
        let session = Session {
            id: delegation.session.clone(),
            operator: operator.to_owned(),
            method,
            not_after: delegation.not_after,
            signer: OperatorSigner::session(key, delegation.clone())
                .for_audience(&self.audience().await?),
            delegation: Arc::new(delegation),
        };
        self.share_session(&session).await?;
        self.sessions.insert(session.clone());
        Ok(session)
    }

    /// The live session `id`: `None` once it ended (and then its end is
    /// recorded), or when the operator can no longer act (their login key
    /// revoked or expired, their entry or identity removed). A session
    /// another host opened is served here with `key`, its session key from
    /// the request's cookie.
    pub async fn session(
        &self,
        id: &str,
        key: Option<ed25519_dalek::SigningKey>,
    ) -> Option<Session> {
        let s = self.shared_session(id, key).await?;
        let why = if s.not_after <= Utc::now().timestamp() {
            Some("expired".to_owned())
        } else {
            self.still_granted(&s.delegation).err()
        };
        match why {
            None => Some(s),
            Some(why) => {
                self.close_session(id, &why).await;
                None
            }
        }
    }

    /// End session `id` (logout) on every host; recorded. Returns whether
    /// it was live.
    pub async fn close_session(&self, id: &str, why: &str) -> bool {
        let shared = self.unshare_session(id).await;
        let local = self.sessions.remove(id);
        let (delegation, method) = match (local, shared) {
            (Some(s), _) => ((*s.delegation).clone(), s.method),
            (None, Some(k)) => {
                let m = if k.method == "oidc" { "oidc" } else { "link" };
                (k.delegation, m)
            }
            (None, None) => return false,
        };
        let ended = record(
            &delegation,
            method,
            None,
            Some(cap(why)),
            self.release.clone(),
        );
        if let Err(e) = self.audit.append(&Event::SessionClosed(ended), true).await {
            tracing::error!("console session {id} ended but could not be recorded: {e}");
        }
        true
    }

    /// Check a delegated action: its session is live here, is the one the
    /// action carries, and its grant still holds under this config.
    pub(crate) fn check_delegated(&self, signed: &SignedAction) -> Result<(), OperatorError> {
        let Some(d) = &signed.delegation else {
            return Ok(());
        };
        let unauth = OperatorError::Unauthenticated;
        let live = self
            .sessions
            .get(&d.session)
            .filter(|s| *s.delegation == **d);
        let Some(live) = live.filter(|s| s.not_after > Utc::now().timestamp()) else {
            return Err(unauth(format!(
                "the console session {} has ended (logged out or expired); log in again",
                d.session
            )));
        };
        self.still_granted(&live.delegation).map_err(unauth)?;
        crate::audit::check_delegation(d, signed, &self.config.operators)
            .map(|_| ())
            .map_err(unauth)
    }

    /// Whether the operator's grant of a session still holds now.
    fn still_granted(&self, d: &Delegation) -> Result<(), String> {
        let Some(op) = self.config.operator(&d.operator) else {
            return Err(format!("{} is no longer an operator", d.operator));
        };
        match &d.login {
            SessionLogin::Link { login } => {
                let key = op.keys.iter().find(|k| k.id == login.action.key);
                match key.map(|k| k.unusable_at(Utc::now())) {
                    Some(None) => Ok(()),
                    Some(Some(why)) => Err(why),
                    None => Err(format!(
                        "{}'s key {} was removed",
                        op.name, login.action.key
                    )),
                }
            }
            SessionLogin::Oidc { .. } if op.oidc.is_none() => {
                Err(format!("{}'s OpenID identity was removed", op.name))
            }
            SessionLogin::Oidc { .. } => Ok(()),
        }
    }
}

fn record(
    d: &Delegation,
    method: &str,
    identity: Option<String>,
    ended: Option<String>,
    release: Option<crate::governance::ReleaseRef>,
) -> ConsoleSession {
    ConsoleSession {
        release,
        operator: d.operator.clone(),
        session: d.session.clone(),
        method: method.to_owned(),
        identity,
        not_after: chrono::DateTime::<Utc>::from_timestamp(d.not_after, 0)
            .unwrap_or_default()
            .to_rfc3339(),
        ended,
    }
}

/// What a login link carries (after `#grant=`, so it never reaches a
/// server log): the operator's signed `console-login` and the session key
/// it grants, which the CLI made.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoginGrant {
    /// The signed `console-login`.
    pub login: SignedAction,
    /// The session's Ed25519 secret key, base64.
    pub session_key: String,
}

impl LoginGrant {
    /// A grant signed by `signer` for a fresh session key.
    ///
    /// # Errors
    ///
    /// When the OS has no randomness.
    pub fn new(signer: &OperatorSigner) -> Result<Self, OperatorError> {
        let key = session_key()?;
        Ok(Self {
            login: signer.sign_login(&key.verifying_key()),
            session_key: B64.encode(key.to_bytes()),
        })
    }

    /// As text for a link: base64url of its JSON.
    pub fn encode(&self) -> String {
        B64URL.encode(serde_json::to_vec(self).unwrap_or_default())
    }

    /// Read a grant back, and its session key.
    ///
    /// # Errors
    ///
    /// When the text is not a grant.
    pub fn decode(text: &str) -> Result<(SignedAction, ed25519_dalek::SigningKey), String> {
        let bytes = B64URL
            .decode(
                text.trim()
                    .trim_start_matches("#grant=")
                    .trim_start_matches("grant="),
            )
            .map_err(|e| format!("the login code is not base64url: {e}"))?;
        let g: Self = serde_json::from_slice(&bytes)
            .map_err(|e| format!("the login code is not a login grant: {e}"))?;
        let secret = B64
            .decode(g.session_key.trim())
            .ok()
            .and_then(|b| <[u8; 32]>::try_from(b.as_slice()).ok())
            .ok_or("the login code's session key is not an Ed25519 key")?;
        Ok((g.login, ed25519_dalek::SigningKey::from_bytes(&secret)))
    }
}
