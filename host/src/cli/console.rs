//! `warrant console login`: a one-time login link for the console.

use std::process::ExitCode;

use crate::HostConfig;
use crate::cli::ConfigArg;
use crate::operator::{LoginGrant, OperatorSigner};

/// The operator console in the browser.
#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Print a one-time login link for the console, signed with your own
    /// key: good for 5 minutes, once. It makes a fresh session key and signs
    /// a console login over it; the console then signs each of your actions
    /// with that session key. Open it in your browser; the part after `#`
    /// never reaches a server log.
    Login(LoginArgs),
}

/// Arguments of `console login`.
#[derive(Debug, clap::Args)]
pub struct LoginArgs {
    /// Your operator private key (from `warrant keygen --operator`).
    #[arg(long, env = "WARRANT_OPERATOR_KEY", value_name = "FILE")]
    pub key: std::path::PathBuf,
    /// The console's base URL. Default: `[api] public-url`, else
    /// http://127.0.0.1:8787.
    #[arg(long)]
    pub url: Option<String>,
    /// The host or fleet the console serves (`host-…` or `fleet-…`).
    /// Default: that of the state the config names, when it can be opened
    /// from here.
    #[arg(long)]
    pub audience: Option<String>,
    #[command(flatten)]
    pub config: ConfigArg,
}

pub async fn run(c: Command) -> anyhow::Result<ExitCode> {
    match c {
        Command::Login(a) => {
            let config = HostConfig::load(&a.config.config)?;
            let audience = crate::cli::audience_of(a.audience.clone(), &config).await?;
            let signer = OperatorSigner::from_file(&a.key, &config)?.for_audience(&audience);
            let base = a
                .url
                .or_else(|| config.file.api.public_url.clone())
                .unwrap_or_else(|| "http://127.0.0.1:8787".into());
            out!("{}", login_link(&base, &signer)?);
            eprintln!(
                "a console login for {}: open the link within 5 minutes; it works once",
                signer.operator()
            );
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// A login link to the console at `base` for `signer`'s operator.
///
/// # Errors
///
/// When the OS has no randomness for the session key.
pub fn login_link(base: &str, signer: &OperatorSigner) -> anyhow::Result<String> {
    let grant = LoginGrant::new(signer)?;
    Ok(format!(
        "{}/console/login#grant={}",
        base.trim_end_matches('/'),
        grant.encode()
    ))
}
