//! Checking a console action's delegation against the operators of a host
//! config: signed by the session key, within the session, and the session
//! granted by the operator it names — by their own key valid at the login
//! (a link), or by an ID token of the provider their entry names with the
//! session key as nonce (OIDC).

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64URL;
use chrono::{DateTime, Utc};

use crate::config::Operator;
use crate::keys::{ActionKind, Delegation, SessionLogin, SignedAction, session_digest};

/// What a delegation proves, once checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DelegationProof {
    /// The operator.
    pub operator: String,
    /// The session key's id.
    pub session: String,
    /// How the login was proven, in words.
    pub login: String,
}

/// Check `signed` (which carries this delegation) against the
/// operators of a host config: signed by the session key, within the
/// session, and the session granted by the operator it names — by
/// their own key valid at the login (a link), or by an ID token of the
/// provider their entry names with the session key as nonce (OIDC; the
/// provider's signature over the token was checked by the host at
/// login and is not checked again here).
///
/// # Errors
///
/// Which check failed.
pub fn check_delegation(
    d: &Delegation,
    signed: &SignedAction,
    operators: &[Operator],
) -> Result<DelegationProof, String> {
    let a = &signed.action;
    if a.key != d.session || a.operator != d.operator {
        return Err(format!(
            "the action names key {} of {}, its session is {} of {}",
            a.key, a.operator, d.session, d.operator
        ));
    }
    let pk = d.key()?;
    if !signed.verifies(&pk) {
        return Err(format!(
            "the signature does not verify under the session key {}",
            d.session
        ));
    }
    if a.time < d.opened - 60 || a.time > d.not_after {
        return Err(format!(
            "signed at {}, outside the session ({} to {})",
            rfc3339(a.time),
            rfc3339(d.opened),
            rfc3339(d.not_after)
        ));
    }
    let Some(op) = operators.iter().find(|o| o.name == d.operator) else {
        return Err(format!("no operator {} in the config", d.operator));
    };
    let digest = session_digest(&pk);
    let login = match &d.login {
        SessionLogin::Link { login } => check_link(login, op, &digest, d.opened)?,
        SessionLogin::Oidc {
            issuer,
            subject,
            email,
            id_token,
        } => check_oidc(op, issuer, subject, email.as_deref(), id_token, &digest)?,
    };
    Ok(DelegationProof {
        operator: op.name.clone(),
        session: d.session.clone(),
        login,
    })
}

fn check_link(
    login: &SignedAction,
    op: &Operator,
    digest: &str,
    opened: i64,
) -> Result<String, String> {
    let l = &login.action;
    if l.kind != ActionKind::ConsoleLogin || login.delegation.is_some() {
        return Err("the session's login is not a console-login signed by the operator".into());
    }
    if l.operator != op.name || l.binding.as_deref() != Some(digest) {
        return Err("the login was signed for another operator or another session key".into());
    }
    if (opened - l.time).abs() > crate::keys::LOGIN_MAX_AGE_SECS {
        return Err("the session opened long after its login was signed".into());
    }
    let Some(key) = op.keys.iter().find(|k| k.id == l.key) else {
        return Err(format!("{} has no key {} in the config", op.name, l.key));
    };
    let at = DateTime::<Utc>::from_timestamp(l.time, 0).unwrap_or_default();
    if let Some(why) = key.unusable_at(at) {
        return Err(format!(
            "the login was signed at {}, when {why}",
            at.to_rfc3339()
        ));
    }
    if !login.verifies(&key.key) {
        return Err(format!(
            "the login's signature does not verify under {}'s key {}",
            op.name, l.key
        ));
    }
    Ok(format!("login link signed with key {}", l.key))
}

fn check_oidc(
    op: &Operator,
    issuer: &str,
    subject: &str,
    email: Option<&str>,
    id_token: &str,
    digest: &str,
) -> Result<String, String> {
    let Some(want) = &op.oidc else {
        return Err(format!("{} has no oidc identity in the config", op.name));
    };
    let same = want.issuer.trim_end_matches('/') == issuer.trim_end_matches('/')
        && (want.subject.as_deref() == Some(subject)
            || (want.email.is_some() && want.email.as_deref() == email));
    if !same {
        return Err(format!(
            "{issuer} subject {subject} is not {}'s identity",
            op.name
        ));
    }
    let claims: serde_json::Value = id_token
        .split('.')
        .nth(1)
        .and_then(|p| B64URL.decode(p).ok())
        .and_then(|b| serde_json::from_slice(&b).ok())
        .ok_or("the ID token cannot be read")?;
    let claim = |k: &str| claims.get(k).and_then(serde_json::Value::as_str);
    if claim("iss") != Some(issuer) || claim("sub") != Some(subject) {
        return Err("the ID token is for another issuer or subject".into());
    }
    if claim("nonce") != Some(digest) {
        return Err("the ID token's nonce is not this session key".into());
    }
    Ok(format!("OpenID login at {issuer} as {subject}"))
}

fn rfc3339(t: i64) -> String {
    DateTime::<Utc>::from_timestamp(t, 0).map_or_else(|| t.to_string(), |t| t.to_rfc3339())
}
