//! Where the book explains each command: `--help` ends with the page, and
//! an error names the page that says what to do about it.

/// The book's folder in the warrant repository (built with
/// `sh host/docs/build.sh`).
pub const BOOK: &str = "host/docs";

/// Each subcommand's page of the book: where its `--help` points, and
/// where its errors are explained.
pub const PAGES: &[(&str, &str)] = &[
    ("inspect", "author-quick-start.md"),
    ("keygen", "operator-quick-start.md"),
    ("sign", "author-quick-start.md"),
    ("verify", "operator-quick-start.md"),
    ("serve", "operator-quick-start.md"),
    ("demo", "getting-started.md"),
    ("call", "operator-walkthrough.md"),
    ("token", "agents.md"),
    ("approvals", "operator-walkthrough.md"),
    ("quarantine", "operator-walkthrough.md"),
    ("release", "operator-walkthrough.md"),
    ("halt", "operator-walkthrough.md"),
    ("resume", "operator-walkthrough.md"),
    ("plugin", "operator-walkthrough.md"),
    ("reload", "operator-walkthrough.md"),
    ("audit", "auditors.md"),
    ("policy", "policy.md"),
    ("sign-action", "operator-walkthrough.md"),
    ("console", "console.md"),
    ("config", "releases.md"),
    ("fleet", "fleet.md"),
    ("new", "authors.md"),
    ("dev", "authors.md"),
    ("test", "authors.md"),
    ("witness", "auditors.md"),
    ("evidence", "auditors.md"),
    ("assure", "auditors.md"),
];

/// The page of subcommand `name`.
pub fn page(name: &str) -> Option<&'static str> {
    PAGES.iter().find(|(n, _)| *n == name).map(|(_, p)| *p)
}

/// The CLI, each subcommand's help ending with its page of the book.
pub fn command() -> clap::Command {
    use clap::CommandFactory as _;
    let mut cmd = super::Cli::command().after_help(format!(
        "The book: {BOOK}/SUMMARY.md in the warrant repository (sh host/docs/build.sh builds it); \
         every refusal and what to do: {BOOK}/troubleshooting.md"
    ));
    for (name, page) in PAGES {
        cmd = cmd.mut_subcommand(*name, |c| {
            c.after_help(format!(
                "More: {BOOK}/{page} in the warrant book; errors: {BOOK}/troubleshooting.md"
            ))
        });
    }
    cmd
}

/// Where an error of subcommand `name` is explained.
pub fn error_hint(name: &str) -> String {
    let page = page(name).unwrap_or("troubleshooting.md");
    format!("see {BOOK}/{page} and {BOOK}/troubleshooting.md in the warrant book")
}
