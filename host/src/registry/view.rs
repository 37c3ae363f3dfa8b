//! What policies can speak of: every plugin and tool the config declares —
//! from the loaded plugins, and from the manifests of refused ones (as they
//! were read at load), so that one refused plugin does not make its
//! policies fail to type-check. Nothing is read from disk again.

use std::collections::BTreeSet;

use crate::registry::Registry;
use crate::vocab::{Impact, Rate};

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
    /// Its impact level (`context.impact`).
    pub impact: Impact,
    /// Its action owner, after the operator's override
    /// (`context.action_owner`).
    pub action_owner: String,
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
        owners: Option<&std::collections::BTreeMap<String, String>>,
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
            let owner = owners.and_then(|o| o.get(&t.name));
            self.tools.push(PolicyTool {
                qualified: format!("{}.{}", m.plugin.id, t.name),
                input_schema: t.input_schema.clone(),
                impact: t.impact,
                action_owner: owner.unwrap_or(&t.action_owner).clone(),
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
            view.add(&mut seen, m, terms.rate.clone(), signer, None);
        }
        view
    }
}

impl Registry {
    /// The policy view of the loaded and the refused plugins.
    pub fn policy_view(&self) -> PolicyView {
        let mut view = PolicyView::default();
        let mut seen = BTreeSet::new();
        for p in self.plugins() {
            view.add(
                &mut seen,
                p.manifest.manifest(),
                p.manifest.terms().rate.clone(),
                p.manifest.signer().unwrap_or(""),
                Some(&p.action_owners),
            );
        }
        for r in self.refusals() {
            if let Some(m) = &r.manifest {
                view.add(&mut seen, &m.0, m.1.rate.clone(), "", None);
            }
        }
        for (m, terms) in &self.disabled {
            view.add(&mut seen, m, terms.rate.clone(), "", None);
        }
        view
    }
}
