//! Verifying the rules in the chain (from format 7): each `config.applied`
//! record's release, read from the archive beside the chain, must hash to
//! its digest, follow the release before it by one version, and carry the
//! signatures of the governors in force before it (the narrowing
//! threshold only where the verifier itself computes that it narrows); the
//! first release is anchored to governors the auditor supplies, or to its
//! own. Each operator signature is then checked against the operators of
//! the release its record names — so a departed operator's earlier
//! signatures stay valid, and a key added later cannot vouch for a record
//! made before.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::audit::event::ConfigApplied;
use crate::audit::fault::ChainFault;
use crate::audit::record::Record;
use crate::audit::signatures::{Checked, Rules, check_under, is_operator_kind};
use crate::audit::{ReleaseArchive, VerifyKeys};
use crate::config::{
    Agent, ConfigFile, Governance, GovernanceMode, Operator, RuleFiles, operators_and_agents,
    parse_governance,
};
use crate::governance::{Release, diff, quorum};

/// A release the chain applied, as the verifier knows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedRelease {
    /// Its version.
    pub version: u64,
    /// Its digest.
    pub digest: String,
    /// `signed` or `unsigned`.
    pub mode: String,
    /// The governors whose signatures verified.
    pub signers: Vec<String>,
    /// What anchored it, for the first release in the chain.
    pub anchor: Option<String>,
}

/// The operators and agents of one release.
pub(crate) type People = Arc<(Vec<Operator>, Vec<Agent>)>;

/// What the verifier learns of the rules as it walks the chain.
#[derive(Debug)]
pub(crate) struct RulesSeen {
    archive: PathBuf,
    anchor: Option<Governance>,
    last: Option<Release>,
    people: HashMap<String, People>,
    /// When each release stopped being in force (the time of the record
    /// that applied the next).
    superseded: HashMap<String, String>,
    pub(crate) releases: Vec<VerifiedRelease>,
}

/// How long after a release is superseded a record may still name it: a
/// process that read the rules just before another applied new ones.
const SUPERSEDED_GRACE_SECS: i64 = 60;

impl RulesSeen {
    /// For the chain at `log`, anchored to `anchor` when given.
    pub(crate) fn new(log: &Path, anchor: Option<Governance>) -> Self {
        Self {
            archive: log.parent().unwrap_or(Path::new(".")).to_path_buf(),
            anchor,
            last: None,
            people: HashMap::new(),
            superseded: HashMap::new(),
            releases: Vec::new(),
        }
    }

    /// The operators and agents of release `digest`, if the chain applied
    /// it before this point.
    pub(crate) fn people(&self, digest: &str) -> Option<People> {
        self.people.get(digest).cloned()
    }

    /// The digest of the release in force: the one applied last.
    pub(crate) fn current(&self) -> Option<String> {
        self.last.as_ref().map(Release::digest)
    }

    /// Check one `config.applied` record; `Err` says why it does not hold.
    pub(crate) fn applied(&mut self, a: &ConfigApplied) -> Result<(), String> {
        let archive = ReleaseArchive::existing(&self.archive).map_err(|e| e.to_string())?;
        let doc = archive.release(&a.digest).map_err(|e| e.to_string())?;
        let release = Release::parse(&doc).map_err(|e| e.to_string())?;
        // The same release recorded again (a host that lost its note of
        // what it recorded last): still in force, nothing new.
        if let Some(l) = self.last.as_ref().filter(|l| l.digest() == a.digest) {
            if l.version != a.version || l.previous != a.previous {
                return Err(format!(
                    "the record says release {} after {:?} for the digest of release {} after {:?}",
                    a.version, a.previous, l.version, l.previous
                ));
            }
            return Ok(());
        }
        if release.version != a.version || release.previous != a.previous {
            return Err(format!(
                "the record says release {} after {:?}, its archived document {} after {:?}",
                a.version, a.previous, release.version, release.previous
            ));
        }
        let files = RuleFiles::Pinned {
            pins: release.files.clone(),
            archive: archive.files_dir(),
        };
        let own = parse_governance(&release.rules.governance, Path::new("."), &files)?;
        // The release before it: the one this chain applied last, else the
        // archived one it names (a chain that starts mid-history).
        let previous = match (&self.last, &release.previous) {
            (Some(p), _) => Some(p.clone()),
            (None, Some(d)) => archive
                .release(d)
                .ok()
                .and_then(|doc| Release::parse(&doc).ok()),
            (None, None) => None,
        };
        if let Some(p) = &previous
            && (release.version != p.version + 1
                || release.previous.as_deref() != Some(p.digest().as_str()))
        {
            return Err(format!(
                "release {} does not follow release {} ({}): a release was skipped or replaced",
                release.version,
                p.version,
                p.digest()
            ));
        }
        let mut anchor_note = None;
        // The first release this chain applied is decided by the
        // auditor's anchor when one is given — never by an archived
        // document it names, which whoever wrote the archive chose.
        let anchored = self.last.is_none() && self.anchor.is_some();
        let decider = match (&previous, &self.anchor) {
            (_, Some(g)) if anchored => {
                anchor_note = Some("anchored to the governors given".to_owned());
                g.clone()
            }
            (Some(p), _) => {
                if self.last.is_none() {
                    anchor_note = Some(format!(
                        "anchored to the governors of archived release {} (pass --governors to anchor it to yours)",
                        p.version
                    ));
                }
                let pf = RuleFiles::Pinned {
                    pins: p.files.clone(),
                    archive: archive.files_dir(),
                };
                let g = parse_governance(&p.rules.governance, Path::new("."), &pf)?;
                if g.mode == GovernanceMode::Signed {
                    g
                } else {
                    own.clone()
                }
            }
            (None, _) => {
                anchor_note = Some(
                    "anchored to its own governors (pass --governors to anchor it to yours)"
                        .to_owned(),
                );
                own.clone()
            }
        };
        let changes = diff(previous.as_ref(), &release, &|d| {
            archive.file(d).ok().and_then(|b| String::from_utf8(b).ok())
        });
        let q = quorum(&decider, &a.digest, &a.signatures, changes.narrows_only());
        if !q.met() {
            return Err(format!(
                "its signatures do not make the quorum of the governors in force before it: {} of {} needed{}",
                q.signers.len(),
                q.needed,
                if q.rejected.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", q.rejected.join("; "))
                }
            ));
        }
        // What the record says of its signatures is what they prove.
        let sorted = |l: &[String]| l.iter().cloned().collect::<std::collections::BTreeSet<_>>();
        if !anchored
            && (a.mode != decider.mode.as_str() || sorted(&a.signers) != sorted(&q.signers))
        {
            return Err(format!(
                "the record says {} and signers [{}]; its signatures prove {} and signers [{}]",
                a.mode,
                a.signers.join(", "),
                decider.mode.as_str(),
                q.signers.join(", ")
            ));
        }
        let (operators, agents) = operators_and_agents(
            &release.rules.apply_to(ConfigFile::default()),
            Path::new("release.toml"),
            &files,
        )
        .map_err(|e| format!("its rules: {e}"))?;
        self.people
            .insert(a.digest.clone(), Arc::new((operators, agents)));
        self.releases.push(VerifiedRelease {
            version: release.version,
            digest: a.digest.clone(),
            mode: decider.mode.as_str().to_owned(),
            signers: q.signers,
            anchor: anchor_note,
        });
        self.last = Some(release);
        Ok(())
    }
    /// Whether a record made at `time` may name release `digest`: the one
    /// this chain applied last, or one it superseded less than a minute
    /// before.
    fn in_force(&self, digest: &str, time: &str) -> Result<(), String> {
        if self.last.as_ref().is_some_and(|l| l.digest() == digest) {
            return Ok(());
        }
        let Some(until) = self.superseded.get(digest) else {
            return Err(format!(
                "it names release {digest}, which this chain did not apply before it"
            ));
        };
        let at = |t: &str| chrono::DateTime::parse_from_rfc3339(t).ok();
        match (at(until), at(time)) {
            (Some(u), Some(t)) if (t - u).num_seconds() <= SUPERSEDED_GRACE_SECS => Ok(()),
            _ => Err(format!(
                "it names release {digest}, which a newer release replaced at {until}"
            )),
        }
    }

    /// Check one record against the rules: a `config.applied` record's
    /// release, and an operator record's signature against the rules its
    /// record names (from format 7) or the config's (`keys`).
    pub(crate) fn check(
        &mut self,
        r: &Record,
        line_no: u64,
        v: u32,
        keys: &VerifyKeys,
    ) -> Result<Result<Checked, String>, ChainFault> {
        let rules = self;
        if v >= 7 && r.kind == "config.applied" {
            let Some(crate::audit::event::Event::ConfigApplied(a)) = r.event() else {
                return Err(ChainFault::Release {
                    seq: r.seq,
                    line: line_no,
                    version: 0,
                    why: "its data is not a release record (unknown or missing fields)".into(),
                });
            };
            let before = rules.last.as_ref().map(Release::digest);
            rules.applied(&a).map_err(|why| ChainFault::Release {
                seq: r.seq,
                line: line_no,
                version: a.version,
                why,
            })?;
            if let Some(b) = before.filter(|b| *b != a.digest) {
                rules.superseded.insert(b, r.time.clone());
            }
        } else if v >= 7
            && let Some(d) = r
                .event()
                .and_then(|e| e.release().map(|x| x.digest.clone()))
        {
            rules
                .in_force(&d, &r.time)
                .map_err(|why| ChainFault::NotInForce {
                    seq: r.seq,
                    line: line_no,
                    kind: r.kind.clone(),
                    why,
                })?;
        }
        // An operator's signature is checked against the rules its record
        // names (from format 7), else the config's.
        let named = (v >= 7 && is_operator_kind(&r.kind))
            .then(|| r.event())
            .flatten()
            .map(|e| e.release().map(|x| x.digest.clone()));
        let people = match &named {
            Some(Some(d)) => match rules.people(d) {
                Some(p) => Some(p),
                None => {
                    return Err(ChainFault::Unsigned {
                        seq: r.seq,
                        line: line_no,
                        kind: r.kind.clone(),
                        why: format!(
                            "it names release {d}, which this chain did not apply before it"
                        ),
                    });
                }
            },
            Some(None) => {
                return Err(ChainFault::Unsigned {
                    seq: r.seq,
                    line: line_no,
                    kind: r.kind.clone(),
                    why: "it names no release of the rules".into(),
                });
            }
            None => None,
        };
        let checked = match &people {
            Some(p) => check_under(
                r,
                Some(Rules {
                    operators: &p.0,
                    agents: Some(&p.1),
                }),
            ),
            None => check_under(
                r,
                keys.operators.as_deref().map(|operators| Rules {
                    operators,
                    agents: keys.agents.as_deref(),
                }),
            ),
        };
        Ok(checked)
    }
}

/// The operators and agents of releases read from a chain's archive, by
/// digest, for readers that show single records (a task's timeline): each
/// operator signature is checked against the rules its record names.
#[derive(Debug, Default)]
pub struct RuleBook {
    archive: Option<PathBuf>,
    people: HashMap<String, Option<People>>,
}

impl RuleBook {
    /// The rules archived beside the chain in `audit_dir`.
    pub fn at(audit_dir: &Path) -> Self {
        Self {
            archive: Some(audit_dir.to_path_buf()),
            people: HashMap::new(),
        }
    }

    fn people_of(&mut self, digest: &str) -> Option<People> {
        let dir = self.archive.clone()?;
        self.people
            .entry(digest.to_owned())
            .or_insert_with(|| {
                let archive = ReleaseArchive::existing(&dir).ok()?;
                let release = Release::parse(&archive.release(digest).ok()?).ok()?;
                let files = RuleFiles::Pinned {
                    pins: release.files.clone(),
                    archive: archive.files_dir(),
                };
                operators_and_agents(
                    &release.rules.apply_to(ConfigFile::default()),
                    Path::new("release.toml"),
                    &files,
                )
                .ok()
                .map(Arc::new)
            })
            .clone()
    }

    /// Check `r`'s operator signature against the rules it names (or, for
    /// a record before format 7, `operators`).
    pub(crate) fn check(
        &mut self,
        r: &Record,
        operators: Option<&[Operator]>,
    ) -> Result<Checked, String> {
        let named = (r.v.unwrap_or(1) >= 7 && is_operator_kind(&r.kind))
            .then(|| r.event())
            .flatten()
            .and_then(|e| e.release().map(|x| x.digest.clone()));
        match named {
            Some(d) => match self.people_of(&d) {
                Some(p) => check_under(
                    r,
                    Some(Rules {
                        operators: &p.0,
                        agents: Some(&p.1),
                    }),
                ),
                None if self.archive.is_none() => check_under(r, None),
                None => Err(format!("its release {d} is not in the chain's archive")),
            },
            None => crate::audit::signatures::check(r, operators),
        }
    }
}
