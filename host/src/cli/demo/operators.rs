//! The demo's operators: their keys (created in the state directory on
//! first run) and the signed actions the walkthrough takes as them.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::anyhow;

use crate::HostConfig;
use crate::authz::TaskToken;
use crate::config::{Role, create_state_dir_operator_keys};
use crate::keys::IssueRequest;
use crate::operator::{OperatorActions, OperatorSigner};

/// The example operators and their private key files.
#[derive(Debug)]
pub(super) struct DemoOperators {
    keys: Vec<(String, PathBuf)>,
    issuer: OperatorSigner,
}

impl DemoOperators {
    /// Create missing keys for the operators of the config at `path`.
    pub(super) fn create(path: &Path) -> anyhow::Result<Vec<(String, PathBuf)>> {
        Ok(create_state_dir_operator_keys(path)?)
    }

    /// The signer of the first operator who may issue tokens.
    pub(super) fn new(keys: Vec<(String, PathBuf)>, config: &HostConfig) -> anyhow::Result<Self> {
        let issuer = keys
            .iter()
            .find(|(name, _)| {
                config
                    .operator(name)
                    .is_some_and(|o| o.roles.contains(&Role::Issue))
            })
            .ok_or_else(|| {
                anyhow!(
                    "the demo needs an operator with the `issue` role whose key is in the state directory ({})",
                    config.path.display()
                )
            })?;
        let issuer = OperatorSigner::from_file(&issuer.1, config)?;
        Ok(Self { keys, issuer })
    }

    /// Print who signs with which key file.
    pub(super) fn print(&self, config: &HostConfig) -> std::io::Result<()> {
        for o in &config.operators {
            if let Some(k) = self.key(&o.name) {
                out!(
                    "   operator {} signs with {} (roles: {}; approves: {})",
                    o.name,
                    k.display(),
                    o.roles
                        .iter()
                        .map(|r| r.as_str())
                        .collect::<Vec<_>>()
                        .join(", "),
                    o.approves.join(", ")
                );
            }
        }
        Ok(())
    }

    /// Who issues the demo's tokens.
    pub(super) fn issuer(&self) -> &str {
        self.issuer.operator()
    }

    /// The key file of `name`.
    pub(super) fn key(&self, name: &str) -> Option<&Path> {
        self.keys
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, p)| p.as_path())
    }

    /// A key file for someone other than the issuer who may approve `tool`
    /// at `impact` (four eyes), or the issuer's.
    pub(super) fn approver(
        &self,
        config: &HostConfig,
        tool: &str,
        impact: &str,
    ) -> Option<(&str, &Path)> {
        let may = |name: &str| {
            config
                .operator(name)
                .is_some_and(|o| o.may_approve(tool, impact))
        };
        self.keys
            .iter()
            .find(|(n, _)| n != self.issuer() && may(n))
            .or_else(|| self.keys.iter().find(|(n, _)| may(n)))
            .map(|(n, p)| (n.as_str(), p.as_path()))
    }

    /// Issue a token, signed by the issuer.
    pub(super) async fn issue(
        &self,
        ops: &OperatorActions,
        agent: &str,
        task: &str,
        ttl: Duration,
    ) -> anyhow::Result<(String, TaskToken)> {
        let request = IssueRequest {
            agent: agent.into(),
            task: task.into(),
            tools: Vec::new(),
            ttl_secs: ttl.as_secs(),
        };
        let signed = self
            .issuer
            .clone()
            .for_audience(&ops.audience().await?)
            .sign_issue(request, "warrant demo");
        Ok(ops.issue_token(&signed).await?)
    }
}
