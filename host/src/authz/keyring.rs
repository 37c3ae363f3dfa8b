//! The token keys of the fleet as one host sees them: every host's public
//! half, read from the shared state by key id the first time a token names
//! it and kept (a published key never changes; rotating it out or
//! revoking it is a stop, pushed like the others). A key id nobody
//! published is looked up again at most once a second, so a stream of
//! tokens naming made-up keys costs the database little.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use crate::authz::Authz;
use crate::state::{PublishedKey, SharedState, StateError};

/// How long a key id found nowhere is not looked up again.
const MISS_FOR: Duration = Duration::from_secs(1);
/// Unknown key ids remembered at most (then it starts over).
const MISSES: usize = 1024;

/// The published token keys, by key id.
#[derive(Debug)]
pub(crate) struct Keyring {
    state: Arc<dyn SharedState>,
    known: RwLock<HashMap<String, PublishedKey>>,
    missed: Mutex<HashMap<String, Instant>>,
}

impl Keyring {
    pub(crate) fn new(state: Arc<dyn SharedState>) -> Self {
        Self {
            state,
            known: RwLock::default(),
            missed: Mutex::default(),
        }
    }

    /// The published key `kid`, if any host of this state published it.
    pub(crate) async fn key(&self, kid: &str) -> Result<Option<PublishedKey>, StateError> {
        if let Some(k) = self
            .known
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(kid)
        {
            return Ok(Some(k.clone()));
        }
        {
            let missed = self.missed.lock().unwrap_or_else(|p| p.into_inner());
            if missed.get(kid).is_some_and(|at| at.elapsed() < MISS_FOR) {
                return Ok(None);
            }
        }
        let found = self.state.token_key(kid).await?;
        match &found {
            Some(k) => {
                self.known
                    .write()
                    .unwrap_or_else(|p| p.into_inner())
                    .insert(kid.to_owned(), k.clone());
            }
            None => {
                let mut missed = self.missed.lock().unwrap_or_else(|p| p.into_inner());
                if missed.len() >= MISSES {
                    missed.clear();
                }
                missed.insert(kid.to_owned(), Instant::now());
            }
        }
        Ok(found)
    }

    /// Remember a key this process published itself.
    pub(crate) fn know(&self, k: PublishedKey) {
        self.known
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .insert(k.kid.clone(), k);
    }
}

impl Authz {
    /// The issuer the tokens of this host's fleet name (`iss`): the
    /// fleet's id on a fleet's shared state, else this host's id.
    ///
    /// # Errors
    ///
    /// When the fleet's id cannot be read.
    pub async fn issuer_id(&self) -> Result<String, StateError> {
        self.issuer_id
            .get_or_try_init(|| async {
                match self.state.fleet() {
                    Some(f) => f.fleet_id().await,
                    None => Ok(self.signer.host().to_owned()),
                }
            })
            .await
            .cloned()
    }

    /// Publish this host's token public key in the shared state (once per
    /// process), so that every host verifies the tokens it signs.
    ///
    /// # Errors
    ///
    /// When the shared state fails.
    pub async fn publish_key(&self) -> Result<(), StateError> {
        self.published
            .get_or_try_init(|| async {
                let k = self.signer.published();
                self.state.publish_token_key(&k).await?;
                self.keyring.know(k);
                Ok(())
            })
            .await
            .map(|_| ())
    }

    /// The claims of a token this fleet issued (or an access token this
    /// host accepts), once its signature and issuer verified; nothing
    /// else (time, revocation, scope) is checked.
    ///
    /// # Errors
    ///
    /// The [`crate::authz::Refusal`] of the token layer.
    pub async fn token_claims(
        &self,
        token: &str,
    ) -> Result<crate::authz::TaskToken, crate::authz::Refusal> {
        self.decode_bearer(token, chrono::Utc::now()).await
    }
}
