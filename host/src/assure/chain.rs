//! What the chain says, counted once for every check: records by kind,
//! calls by decision, approvals and who signed them, stop buttons
//! pressed, tokens' lifetimes, releases — and whether it verifies.

use std::collections::BTreeMap;
use std::path::Path;

use crate::audit::{Record, VerifyKeys, VerifyOptions, read_records, verify_chain};

/// Counts over the chain (or the part read).
#[derive(Debug, Clone)]
pub struct ChainFacts {
    /// Records by kind.
    pub kinds: BTreeMap<String, u64>,
    /// High-impact calls allowed, and how many of them on an approval.
    pub high_allowed: (u64, u64),
    /// Operator signatures verified, by record kind.
    pub signed: BTreeMap<String, u64>,
    /// The longest task token issued, in seconds.
    pub longest_token: Option<i64>,
    /// `Ok(records)` when the chain verifies, else the fault.
    pub verified: Result<u64, String>,
    /// Checkpoints cosigned, by witness.
    pub cosigned: BTreeMap<String, u64>,
    /// What was read, in words.
    pub period: String,
}

impl ChainFacts {
    /// Read the chain in `audit_dir` with `keys`.
    pub fn read(audit_dir: &Path, keys: &VerifyKeys) -> Self {
        let log = audit_dir.join("audit.jsonl");
        let mut f = Self {
            kinds: BTreeMap::new(),
            high_allowed: (0, 0),
            signed: BTreeMap::new(),
            longest_token: None,
            verified: Ok(0),
            cosigned: BTreeMap::new(),
            period: format!("the whole chain at {}", log.display()),
        };
        let records = read_records(&log, &crate::audit::Filter::default()).unwrap_or_default();
        for r in &records {
            *f.kinds.entry(r.kind.clone()).or_default() += 1;
            f.count(r);
        }
        f.verified = verify_chain(
            &log,
            &audit_dir.join("checkpoints.jsonl"),
            keys,
            &VerifyOptions::default(),
            &mut |_, _| {},
        )
        .map(|s| {
            for r in &s.signed {
                *f.signed.entry(r.kind.clone()).or_default() += 1;
            }
            f.cosigned = s.cosigned.clone();
            s.records
        })
        .map_err(|e| e.to_string());
        f
    }

    fn count(&mut self, r: &Record) {
        match r.kind.as_str() {
            "call" | "call.decided" if r.str("impact") == Some("high") => {
                let d = r.data["decision"]["result"].as_str().unwrap_or_default();
                if d.starts_with("allow") {
                    self.high_allowed.0 += 1;
                    self.high_allowed.1 += u64::from(d == "allow-with-approval");
                }
            }
            "token.issued" | "token.exchanged" => {
                let at = |k: &str| {
                    r.str(k)
                        .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
                };
                if let (Some(from), Some(to)) = (
                    chrono::DateTime::parse_from_rfc3339(&r.time).ok(),
                    at("expires"),
                ) {
                    let s = (to - from).num_seconds();
                    self.longest_token = Some(self.longest_token.map_or(s, |m| m.max(s)));
                }
            }
            _ => {}
        }
    }

    /// Records of `kind`.
    pub fn n(&self, kind: &str) -> u64 {
        self.kinds.get(kind).copied().unwrap_or(0)
    }
}
