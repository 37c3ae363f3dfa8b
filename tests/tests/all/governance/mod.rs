//! Governed configuration (issue 24): the rules in force are signed,
//! versioned releases in the audit chain. An insider's hand edit is not
//! applied; releases need their quorum (lower only where the host computes
//! that they narrow authority); governors rotate by the old quorum; every
//! signature is verified against the rules of its time; replay uses each
//! call's own rules; a fleet converges on the newest release; development
//! mode records every change unsigned.

mod credentials;
mod fleet;
mod history;
mod insider;
mod narrowing;
mod quorum;
mod unsigned;

use warrant_tests::{Fixture, PluginSpec};

/// A host whose rules need 2 of erin, frank and gail (1 to narrow), with
/// the SOC's plugins, agents and policies; nothing in force yet.
pub(crate) async fn governed() -> Fixture {
    Fixture::builder()
        .plugin(PluginSpec::new("ioc-extract"))
        .plugin(
            PluginSpec::new("case-note").grants(
                "files = [{ host = \"cases\", guest = \"/cases\", access = \"read-write\" }]",
            ),
        )
        .plugin(PluginSpec::new("adversary"))
        .agent(
            "triage-bot",
            &["ioc-extract.*", "case-note.append", "adversary.*"],
        )
        .agent("intel-bot", &["ioc-extract.extract"])
        .policy(crate::api::support::SOC)
        .governors(&["erin", "frank", "gail"], 2, 1)
        .build()
        .await
}

/// The CLI's stdout and stderr, and whether it succeeded.
pub(crate) fn run(fx: &Fixture, args: &[&str]) -> (bool, String) {
    let out = fx.cli(args);
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}
