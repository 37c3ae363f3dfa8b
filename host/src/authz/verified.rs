//! Task tokens whose signature this host already verified, by their exact
//! text: a token presented again skips decoding and the HMAC. Only the
//! signature check is skipped — the time window, the maximum lifetime and
//! revocation are checked on every call — and the cache belongs to one
//! [`crate::authz::Authz`], so a new token key (a reload) starts it empty.

use std::collections::HashMap;
use std::sync::Mutex;

use crate::authz::TaskToken;

/// At most this many tokens are remembered; when full, it starts over.
const CAPACITY: usize = 4096;

/// The verified tokens.
#[derive(Debug, Default)]
pub(crate) struct VerifiedTokens {
    tokens: Mutex<HashMap<Box<str>, TaskToken>>,
}

impl VerifiedTokens {
    /// The claims of `token` if its signature was verified before.
    pub(crate) fn get(&self, token: &str) -> Option<TaskToken> {
        self.tokens
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(token)
            .cloned()
    }

    /// Remember that `token` verified as `claims`.
    pub(crate) fn put(&self, token: &str, claims: &TaskToken) {
        let mut tokens = self.tokens.lock().unwrap_or_else(|p| p.into_inner());
        if tokens.len() >= CAPACITY {
            tokens.clear();
        }
        tokens.insert(token.into(), claims.clone());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remembers_exact_tokens_only_and_stays_bounded() {
        let v = VerifiedTokens::default();
        let t = TaskToken {
            id: "tok-1".into(),
            agent: "a".into(),
            task: "T".into(),
            tools: vec![],
            iat: 0,
            nbf: 0,
            exp: 1,
            by: None,
            aud: None,
            via: None,
            cnf: None,
            kid: None,
        };
        v.put("wt1.x.y", &t);
        assert_eq!(v.get("wt1.x.y").map(|t| t.id), Some("tok-1".into()));
        assert!(v.get("wt1.x.z").is_none());
        for i in 0..CAPACITY + 1 {
            v.put(&format!("wt1.{i}"), &t);
        }
        assert!(v.tokens.lock().unwrap().len() <= CAPACITY);
    }
}
