//! Sender-constrained tokens (DPoP, RFC 9449): a token may be bound to the
//! key its client proves possession of (`cnf.jkt`, the key's RFC 7638
//! thumbprint), and an agent's config may require binding. This is the one
//! place a binding is checked: for calls by [`Authz::authorize`], for other
//! requests by the HTTP server through [`Authz::check_binding`]. The proof
//! itself (its signature, method, URL, time, nonce, access-token hash,
//! single use) is checked by the HTTP server, which alone sees the request.

use serde::{Deserialize, Serialize};

use crate::authz::{Authz, Refusal, TaskToken};
use crate::config::Agent;

/// The confirmation claim of a bound token (RFC 7800 `cnf`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Confirmation {
    /// The SHA-256 JWK thumbprint (RFC 7638) of the key the token is bound to.
    pub jkt: String,
}

/// What a caller proved about the key it holds.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Sender {
    /// No proof: a local caller (CLI, stdio, library), or an HTTP request
    /// without a `DPoP` header.
    #[default]
    Unproven,
    /// A valid DPoP proof for this very request, by the key with this
    /// thumbprint, with the token presented under the `DPoP` scheme.
    Proof {
        /// RFC 7638 thumbprint of the proof's key.
        jkt: String,
    },
    /// A DPoP proof that was refused, and why.
    BadProof(String),
}

/// The signing algorithms accepted for DPoP proofs (asymmetric only).
pub const DPOP_ALGORITHMS: &[&str] = &["ES256", "ES384", "EdDSA", "RS256", "PS256"];

impl Authz {
    /// Whether `sender` may present `token` of `agent`: a bound token needs
    /// a proof by its key; an agent that requires binding needs a bound
    /// token; a refused proof refuses the request.
    ///
    /// # Errors
    ///
    /// [`Refusal::Sender`] saying which.
    pub fn check_binding(
        &self,
        token: &TaskToken,
        agent: &Agent,
        sender: &Sender,
    ) -> Result<(), Refusal> {
        check(token, agent, sender)
    }
}

/// [`Authz::check_binding`], the rule itself.
fn check(token: &TaskToken, agent: &Agent, sender: &Sender) -> Result<(), Refusal> {
    let refuse = |why: String| {
        Err(Refusal::Sender {
            token_id: token.id.clone(),
            why,
        })
    };
    if let Sender::BadProof(why) = sender {
        return refuse(why.clone());
    }
    match (&token.cnf, sender) {
            (Some(cnf), Sender::Proof { jkt }) if *jkt == cnf.jkt => Ok(()),
            (Some(_), Sender::Proof { .. }) => {
                refuse("the DPoP proof is signed by another key than the one the token is bound to".into())
            }
            (Some(_), _) => refuse(
                "the token is bound to a DPoP key: send it as `Authorization: DPoP <token>` with a `DPoP` proof by that key".into(),
            ),
            (None, _) if agent.require_dpop => refuse(format!(
                "agent {} requires DPoP-bound tokens: exchange the credential with a DPoP proof",
                agent.id
            )),
            (None, _) => Ok(()),
        }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token(cnf: Option<&str>) -> TaskToken {
        TaskToken {
            id: "tok-1".into(),
            agent: "bot".into(),
            task: "T".into(),
            tools: vec![],
            iat: 0,
            nbf: 0,
            exp: 1,
            by: None,
            aud: None,
            via: None,
            cnf: cnf.map(|j| Confirmation { jkt: j.into() }),
            kid: None,
        }
    }

    fn agent(require_dpop: bool) -> Agent {
        Agent {
            id: "bot".into(),
            owner: "o".into(),
            model: "m".into(),
            model_owner: "mo".into(),
            tools: vec![],
            rate: None,
            max_concurrent: None,
            require_dpop,
        }
    }

    #[test]
    fn a_bound_token_needs_a_proof_by_its_key_and_nothing_else_does() {
        let proof = |k: &str| Sender::Proof { jkt: k.into() };
        let ok = |t: &TaskToken, a: &Agent, s: &Sender| check(t, a, s).is_ok();
        let (bound, plain) = (token(Some("k1")), token(None));
        let (free, strict) = (agent(false), agent(true));
        assert!(ok(&bound, &free, &proof("k1")));
        assert!(!ok(&bound, &free, &proof("k2")), "another key");
        assert!(!ok(&bound, &free, &Sender::Unproven), "no proof");
        assert!(!ok(&bound, &free, &Sender::BadProof("stale".into())));
        assert!(ok(&plain, &free, &Sender::Unproven), "unbound still works");
        assert!(
            !ok(&plain, &free, &Sender::BadProof("stale".into())),
            "a bad proof is refused"
        );
        assert!(
            !ok(&plain, &strict, &proof("k1")),
            "the agent requires binding"
        );
        assert!(ok(&bound, &strict, &proof("k1")));
    }
}
