//! `warrant assure`: the host's rules in force and its audit chain,
//! evaluated against a catalogue of controls (data, with
//! its sources named) — each met, partly met or not met, with the config
//! lines and chain records that show it — as text, HTML, or NIST OSCAL
//! assessment results for GRC tools. The catalogue is
//! `host/src/assure/catalog.toml`.

mod chain;
mod checks;
mod oscal;
mod people;
mod render;

use std::collections::BTreeMap;

use serde::Deserialize;

pub use chain::ChainFacts;
pub use oscal::oscal;
pub use render::{html, text};

/// The catalogue shipped with the host.
pub const CATALOG: &str = include_str!("catalog.toml");

/// The catalogue: its sources and controls.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Catalog {
    /// Where the controls come from.
    pub sources: Vec<Source>,
    /// The controls.
    pub controls: Vec<Control>,
}

/// A framework the controls map to.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Source {
    /// Its id in `maps`.
    pub id: String,
    /// Its title and edition.
    pub title: String,
    /// Where to read it.
    pub url: String,
}

/// One control.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Control {
    /// Its id.
    pub id: String,
    /// Its title.
    pub title: String,
    /// What must hold.
    pub statement: String,
    /// The check that evaluates it.
    pub check: String,
    /// The framework references it maps to, by source id.
    pub maps: BTreeMap<String, Vec<String>>,
}

impl Catalog {
    /// The shipped catalogue.
    ///
    /// # Errors
    ///
    /// When the catalogue does not parse or names a check no host runs (a
    /// test pins that it never does).
    pub fn shipped() -> Result<Self, String> {
        let c: Self =
            toml::from_str(CATALOG).map_err(|e| format!("the controls catalogue: {e}"))?;
        for control in &c.controls {
            if !checks::CHECKS.contains(&control.check.as_str()) {
                return Err(format!(
                    "control {} names no known check {:?}",
                    control.id, control.check
                ));
            }
            if let Some(s) = control
                .maps
                .keys()
                .find(|s| !c.sources.iter().any(|x| &x.id == *s))
            {
                return Err(format!(
                    "control {} maps to an unknown source {s:?}",
                    control.id
                ));
            }
        }
        Ok(c)
    }
}

/// How well a control holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Status {
    /// It holds.
    Met,
    /// It holds in part.
    Partly,
    /// It does not hold.
    NotMet,
}

impl Status {
    /// In words.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Met => "met",
            Self::Partly => "partly met",
            Self::NotMet => "not met",
        }
    }
}

/// What a check finds: how well, why, and what shows it.
pub(crate) type Outcome = (Status, String, Vec<String>);

/// All, some or none of `n` items hold (`ok` of them).
pub(crate) fn share(ok: usize, n: usize) -> Status {
    match (ok, n) {
        (_, 0) => Status::NotMet,
        (a, b) if a == b => Status::Met,
        (0, _) => Status::NotMet,
        _ => Status::Partly,
    }
}

/// One control's result.
#[derive(Debug, Clone)]
pub struct Finding {
    /// The control.
    pub control: Control,
    /// How well it holds.
    pub status: Status,
    /// One sentence of why.
    pub summary: String,
    /// What shows it: config lines and chain records.
    pub evidence: Vec<String>,
}

/// The whole assessment.
#[derive(Debug, Clone)]
pub struct Assessment {
    /// The catalogue's sources.
    pub sources: Vec<Source>,
    /// One finding per control.
    pub findings: Vec<Finding>,
    /// When it was made (RFC 3339).
    pub time: String,
    /// The host's config file.
    pub config: String,
    /// The period of the chain read.
    pub period: String,
}

/// Evaluate `host`'s rules in force and `chain` against the shipped
/// catalogue.
///
/// # Errors
///
/// When the catalogue is broken.
pub fn assess(host: &crate::Host, chain: &ChainFacts) -> Result<Assessment, String> {
    let catalog = Catalog::shipped()?;
    let loaded = host.loaded();
    let findings = catalog
        .controls
        .iter()
        .map(|c| {
            let (status, summary, evidence) = checks::run(&c.check, &loaded, chain);
            Finding {
                control: c.clone(),
                status,
                summary,
                evidence,
            }
        })
        .collect();
    Ok(Assessment {
        sources: catalog.sources,
        findings,
        time: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        config: loaded.config.path.display().to_string(),
        period: chain.period.clone(),
    })
}
