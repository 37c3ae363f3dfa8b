//! What policies can speak of: every plugin and tool the config declares —
//! from the loaded plugins, and from the manifests of refused ones (as they
//! were read at load), so that one refused plugin does not make its
//! policies fail to type-check. Nothing is read from disk again.

use std::collections::BTreeSet;

use crate::registry::Registry;
use crate::vocab::Rate;

/// A plugin as policy sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyPlugin {
    /// Plugin id.
    pub id: String,
    /// Publisher.
    pub publisher: String,
    /// Version.
    pub version: String,
    /// Signing key id (empty when not verified).
    pub signer: String,
    /// Calls per period across all agents.
    pub rate: Option<Rate>,
}

/// One tool as policy sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyTool {
    /// `plugin.tool`.
    pub qualified: String,
    /// The tool's input JSON Schema (text).
    pub input_schema: String,
}

/// The plugins and tools policies are checked against.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PolicyView {
    /// Plugins.
    pub plugins: Vec<PolicyPlugin>,
    /// Tools.
    pub tools: Vec<PolicyTool>,
}

impl PolicyView {
    /// Add a plugin's manifest (once per plugin id).
    fn add(
        &mut self,
        seen: &mut BTreeSet<String>,
        m: &crate::manifest::Manifest,
        rate: Option<Rate>,
        signer: &str,
    ) {
        if !seen.insert(m.plugin.id.clone()) {
            return;
        }
        self.plugins.push(PolicyPlugin {
            id: m.plugin.id.clone(),
            publisher: m.plugin.publisher.clone(),
            version: m.plugin.version.clone(),
            signer: signer.to_owned(),
            rate,
        });
        for t in &m.tools {
            self.tools.push(PolicyTool {
                qualified: format!("{}.{}", m.plugin.id, t.name),
                input_schema: t.input_schema.clone(),
            });
        }
    }

    /// The view of plugins known only by their manifests (a past release's,
    /// for replaying the calls made under it).
    pub fn of_manifests(
        manifests: &[(crate::manifest::Manifest, crate::manifest::ManifestTerms)],
    ) -> Self {
        let mut view = Self::default();
        let mut seen = BTreeSet::new();
        for (m, terms) in manifests {
            let signer = m.signature.as_ref().map_or("", |s| s.key.as_str());
            view.add(&mut seen, m, terms.rate.clone(), signer);
        }
        view
    }
}

impl Registry {
    /// The policy view of the loaded and the refused plugins.
    pub fn policy_view(&self) -> PolicyView {
        let mut view = PolicyView::default();
        let mut seen = BTreeSet::new();
        let mut add = |m: &crate::manifest::Manifest, rate: Option<Rate>, signer: &str| {
            view.add(&mut seen, m, rate, signer);
        };
        for p in self.plugins() {
            add(
                p.manifest.manifest(),
                p.manifest.terms().rate.clone(),
                p.manifest.signer().unwrap_or(""),
            );
        }
        for r in self.refusals() {
            if let Some(m) = &r.manifest {
                add(&m.0, m.1.rate.clone(), "");
            }
        }
        for (m, terms) in &self.disabled {
            add(m, terms.rate.clone(), "");
        }
        view
    }
}
