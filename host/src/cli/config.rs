//! `warrant config diff|sign|apply|status|init`: the rules as signed,
//! versioned releases. Review what the files would change, sign exactly
//! that release as a governor, hand it (with the signatures gathered) to
//! the host, see what is in force.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::anyhow;

use crate::cli::ConfigArg;
use crate::governance::ReleaseSignature;
use crate::operator::rules::{Candidate, RulesDesk};
use crate::vocab::safe;

/// The rules as signed releases.
#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// What the files would change against the release of the rules in
    /// force, in plain words (who gains or loses which tool, operators and
    /// keys, approval rules, limits, policies with their text diff, plugins
    /// added or re-pinned), and the signatures that release needs.
    Diff(ConfigArg),
    /// Sign the release the files make, as a governor, with your own key:
    /// the signature covers exactly that release (its digest) and is kept
    /// in the shared state until the release is applied.
    Sign(SignArgs),
    /// Put the release the files make in force, with every signature
    /// gathered for it (and any given here): refused — and the refusal
    /// recorded — unless they make the quorum of the governors in force.
    Apply(ApplyArgs),
    /// The release in force, who signed it, and what the files propose.
    Status(ConfigArg),
    /// Turn an existing warrant.toml into signed releases: add a
    /// [governance] table naming the governors; the next `config sign`
    /// by each and `config apply` make its first signed release.
    Init(crate::cli::config_init::InitArgs),
    /// Print the JSON Schema of warrant.toml (for an editor's completion
    /// and validation), generated from the types the parser reads.
    Schema(FormatArg),
    /// Print the configuration reference (Markdown): every key with its
    /// type, default and meaning — the book's config-reference.md.
    Reference(FormatArg),
}

/// Which format `config schema` and `config reference` describe.
#[derive(Debug, clap::Args)]
pub struct FormatArg {
    /// The plugin manifest format instead of warrant.toml (the book's
    /// manifest-reference.md).
    #[arg(long)]
    pub manifest: bool,
}

/// Arguments of `config sign`.
#[derive(Debug, clap::Args)]
pub struct SignArgs {
    /// Your governor private key (from `warrant keygen --governor`).
    #[arg(long, value_name = "FILE")]
    pub key: PathBuf,
    /// Also write the signature to this file (for `config apply
    /// --signature` on a host whose state you cannot reach).
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    #[command(flatten)]
    pub config: ConfigArg,
}

/// Arguments of `config apply`.
#[derive(Debug, clap::Args)]
pub struct ApplyArgs {
    /// Signatures written by `config sign --out`, besides those gathered in
    /// the shared state.
    #[arg(long = "signature", value_name = "FILE")]
    pub signatures: Vec<PathBuf>,
    #[command(flatten)]
    pub config: ConfigArg,
}

pub async fn run(c: Command) -> anyhow::Result<ExitCode> {
    match c {
        Command::Schema(f) => {
            let schema = if f.manifest {
                crate::manifest::schema::json_schema()
            } else {
                crate::config::schema::json_schema()
            };
            out!("{}", serde_json::to_string_pretty(&schema)?);
            Ok(ExitCode::SUCCESS)
        }
        Command::Reference(f) => {
            let page = if f.manifest {
                crate::manifest::schema::reference()
            } else {
                crate::config::schema::reference()
            };
            print!("{page}");
            Ok(ExitCode::SUCCESS)
        }
        Command::Diff(a) => {
            let s = RulesDesk::open(&a.config)?;
            let c = s.keeper()?.candidate(&s.files).await?;
            print_candidate(&c)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Sign(a) => {
            let s = RulesDesk::open(&a.config.config)?;
            let key = crate::keys::read_key_file(&a.key)?;
            let (c, sig) = s.keeper()?.sign(&s.files, &key).await?;
            if let Some(out) = &a.out {
                std::fs::write(out, serde_json::to_string(&sig)? + "\n")?;
            }
            out!(
                "signed release {} ({}) as {}: {} of {} signature(s) needed{}",
                c.release.version,
                c.release.digest(),
                safe(&key.id),
                c.signers.len(),
                c.needed,
                if c.signers.len() >= c.needed as usize {
                    " — apply it with `warrant config apply`"
                } else {
                    ""
                }
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Apply(a) => {
            let mut extra: Vec<ReleaseSignature> = Vec::new();
            for f in &a.signatures {
                let text = std::fs::read_to_string(f)?;
                extra.push(
                    serde_json::from_str(&text)
                        .map_err(|e| anyhow!("{}: not a signature: {e}", f.display()))?,
                );
            }
            let s = RulesDesk::open(&a.config.config)?;
            match s.keeper()?.apply(&s.files, &extra, "apply").await {
                Ok(r) => {
                    out!("{r} is in force; every host on this state applies it within a second");
                    Ok(ExitCode::SUCCESS)
                }
                Err(e) => {
                    out!("REFUSED: {}", safe(&e.to_string()));
                    Ok(ExitCode::from(1))
                }
            }
        }
        Command::Status(a) => {
            let s = RulesDesk::open(&a.config)?;
            let st = s.keeper()?.status(&s.files).await?;
            match &st.in_force {
                Some((r, mode, signers, at)) => out!(
                    "in force: {r}, {mode}{}, since {}",
                    if signers.is_empty() {
                        String::new()
                    } else {
                        format!(", signed with keys {}", safe(&signers.join(", ")))
                    },
                    chrono::DateTime::<chrono::Utc>::from_timestamp_millis(*at)
                        .map(|t| t.to_rfc3339())
                        .unwrap_or_default()
                ),
                None => out!("no release of the rules is in force yet"),
            }
            if st.candidate.unchanged {
                out!("the files are the release in force");
            } else {
                out!("the files differ from it:");
                print_candidate(&st.candidate)?;
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Init(a) => crate::cli::config_init::run(&a),
    }
}

fn print_candidate(c: &Candidate) -> std::io::Result<()> {
    let r = &c.release;
    out!(
        "release {} ({}){}",
        r.version,
        r.digest(),
        c.current.as_ref().map_or_else(
            || " — the first release".to_owned(),
            |cur| format!(" after {}", cur.reference())
        )
    );
    if c.unchanged {
        out!("  no change: the files say what the release in force says");
        return Ok(());
    }
    for change in &c.diff.changes {
        let mark = if change.narrows { "-" } else { "+" };
        for (i, line) in change.text.lines().enumerate() {
            out!("  {} {}", if i == 0 { mark } else { " " }, safe(line));
        }
    }
    out!(
        "it needs {} signature(s) of the governors [{}]{}; signed so far by: {}",
        c.needed,
        safe(&c.governors.join(", ")),
        if c.narrowing {
            " (it only narrows authority: the narrowing threshold)"
        } else {
            ""
        },
        if c.signers.is_empty() {
            "nobody".to_owned()
        } else {
            safe(&c.signers.join(", "))
        }
    );
    Ok(())
}
