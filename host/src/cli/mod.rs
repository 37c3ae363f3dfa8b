//! The `warrant` command line: argument parsing and printing, one file per
//! subcommand, no logic beyond that — every action is a library call. It
//! lives in the library so that tests can build the same CLI as a binary.

/// `println!` that hands a closed stdout (`warrant … | head`) back as an
/// error, which `main` treats as success, instead of panicking.
macro_rules! out {
    () => {{
        use std::io::Write as _;
        writeln!(std::io::stdout())?
    }};
    ($($t:tt)*) => {{
        use std::io::Write as _;
        writeln!(std::io::stdout(), $($t)*)?
    }};
}

mod approvals;
mod assure;
mod audit;
mod audit_paths;
mod audit_prove;
mod audit_reindex;
mod audit_segments;
mod audit_verify;
pub mod book;
mod call;
pub mod config;
mod config_init;
pub mod console;
mod demo;
mod dev;
mod evidence;
mod fleet;
mod fleet_verify;
mod inspect;
mod keygen;
mod logging;
mod new;
mod policy;
mod policy_replay;
mod serve;
mod sign;
mod sign_action;
mod stop;
mod test;
mod token;
mod verify;
mod witness;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::HostConfig;
use crate::operator::{OperatorActions, OperatorSigner, Stop};

/// warrant — a WebAssembly plugin host for AI-agent tools.
///
/// Tools run as WebAssembly components that may do only what a signed
/// manifest grants. Every call is checked (task token, agent grant, policy,
/// approval), run in a fresh sandbox, and recorded in a tamper-evident audit
/// chain.
#[derive(Debug, Parser)]
#[command(name = "warrant", version, about, long_about = None, propagate_version = true)]
pub struct Cli {
    /// More log output on stderr (-v info, -vv debug). RUST_LOG overrides.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    #[command(subcommand)]
    pub command: Command,
}

/// Where the host config is, for commands that need one.
#[derive(Debug, clap::Args)]
pub struct ConfigArg {
    /// The host config (warrant.toml).
    #[arg(
        long,
        short = 'c',
        env = "WARRANT_CONFIG",
        default_value = "warrant.toml"
    )]
    pub config: PathBuf,
}

/// The operator taking an action, proven by their own key.
#[derive(Debug, clap::Args)]
pub struct Operator {
    /// Your operator private key (from `warrant keygen --operator`); its
    /// public half must be under your [[operators]] entry in warrant.toml.
    /// The action is signed with it; the host believes no name.
    #[arg(long, env = "WARRANT_OPERATOR_KEY", value_name = "FILE")]
    pub key: PathBuf,
    /// Why (signed, and recorded in the audit chain).
    #[arg(long, default_value = "")]
    pub reason: String,
}

impl Operator {
    /// The signer for this key, for the host (or fleet) `ops` acts on.
    ///
    /// # Errors
    ///
    /// When the key cannot be read or belongs to no operator of the config,
    /// or the state cannot say whose it is.
    pub async fn signer(&self, ops: &OperatorActions) -> anyhow::Result<OperatorSigner> {
        Ok(
            OperatorSigner::from_file(&self.key, ops.config())?
                .for_audience(&ops.audience().await?),
        )
    }
}

/// The audience to sign for: `given`, else that of the state `config`
/// names (which must then be reachable from here).
///
/// # Errors
///
/// When none is given and the state cannot be opened.
pub async fn audience_of(given: Option<String>, config: &HostConfig) -> anyhow::Result<String> {
    if let Some(a) = given {
        return Ok(a);
    }
    let ops = OperatorActions::open(config.clone()).await.map_err(|e| {
        anyhow::anyhow!(
            "pass --audience (the host's or fleet's id; a refusal names it): this machine cannot open the state to look it up: {e}"
        )
    })?;
    Ok(ops.audience().await?)
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Explain a component (.wasm) or a manifest (.toml): what it imports,
    /// which tools it offers, and everything it could do once loaded.
    Inspect(inspect::Args),
    /// Create a signing key: ed25519 for publishers, hmac-sha256 for keys
    /// the operator holds.
    Keygen(keygen::Args),
    /// Sign a manifest: fill in the component's digest and the tools it
    /// reports, then sign with a key file.
    Sign(sign::Args),
    /// Check that a manifest would load under a host config; exit 0 if so.
    Verify(verify::Args),
    // The help text is on `serve::Args`.
    Serve(serve::Args),
    /// The main job with a walkthrough: load the signed example plugins,
    /// make real calls as two agents (allowed, refused, held), then serve
    /// the host to agents over MCP and HTTP until Ctrl-C.
    Demo(demo::Args),
    /// Call one tool through the host (token, policy, approval, sandbox,
    /// audit) and print its JSON output.
    Call(call::Args),
    /// Issue or revoke per-task tokens.
    #[command(subcommand)]
    Token(token::Command),
    /// List, approve or deny calls held for a human's approval.
    #[command(subcommand)]
    Approvals(approvals::Command),
    /// Quarantine an agent: its new calls are refused and its calls in
    /// flight cancelled, by every process sharing this state, within 100 ms.
    Quarantine(stop::AgentArgs),
    /// Release a quarantined agent.
    Release(stop::AgentArgs),
    /// Halt the host: every call is refused and calls in flight are
    /// cancelled, within 100 ms, until `warrant resume`.
    Halt(stop::HostArgs),
    /// Resume after a halt.
    Resume(stop::HostArgs),
    /// Disable or re-enable a plugin, or reset its version mark.
    #[command(subcommand)]
    Plugin(stop::PluginCommand),
    /// Make every host on this state reload its config and trust: plugins
    /// are verified again and what no longer verifies (a revoked or expired
    /// key, a removed entry) is unloaded and its calls cancelled.
    Reload(stop::HostArgs),
    /// Verify, show or export the audit chain.
    #[command(subcommand)]
    Audit(audit::Command),
    /// Test policies, print their schema, replay the chain against
    /// candidates.
    #[command(subcommand)]
    Policy(policy::Command),
    /// Sign an operator action with your key and print it as JSON, for the
    /// HTTP operator API (`POST /v1/admin/…`).
    SignAction(sign_action::Args),
    /// The operator console in the browser: `console login` prints a
    /// one-time login link signed with your key.
    #[command(subcommand)]
    Console(console::Command),
    /// The rules as signed, versioned releases: review what the files
    /// would change (diff), sign it as a governor (sign), put it in force
    /// with its signatures (apply), see what is in force (status), or add
    /// governors to an existing config (init).
    #[command(subcommand)]
    Config(config::Command),
    /// The hosts sharing this config's PostgreSQL state: `fleet status`.
    #[command(subcommand)]
    Fleet(fleet::Command),
    /// Make a new tool project in Rust, Python or TypeScript: source, WIT,
    /// a least-privilege manifest, test cases and a build script.
    New(new::Args),
    /// Run a tool project's component locally under its unsigned manifest,
    /// in the host's sandbox; shows every capability use and refusal.
    /// Nothing it does is signed or audited.
    #[command(subcommand)]
    Dev(dev::Command),
    /// Run a tool project's test cases (tests.toml) against its built
    /// component under its manifest, in the host's sandbox; exit 1 if any
    /// fails.
    Test(test::Args),
    /// Run a transparency-log witness: cosign hosts' audit checkpoints,
    /// each only when a consistency proof shows it extends the last.
    Witness(witness::Args),
    /// Evidence of one task an outsider verifies with public keys only:
    /// `evidence export`, `evidence verify`, `evidence keys`.
    #[command(subcommand)]
    Evidence(evidence::Command),
    /// Evaluate the rules in force and the audit chain against a catalogue
    /// of controls: text, HTML, or NIST OSCAL assessment results.
    Assure(assure::Args),
}

/// The whole program: parse arguments, run, print errors, give the exit
/// code.
pub fn main() -> ExitCode {
    use clap::FromArgMatches as _;
    let matches = book::command().get_matches();
    let name = matches.subcommand_name().unwrap_or_default().to_owned();
    let args = match Cli::from_arg_matches(&matches) {
        Ok(a) => a,
        Err(e) => e.exit(),
    };
    let telemetry = logging::telemetry_of(&args.command);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(1);
        }
    };
    let done = runtime.block_on(async {
        logging::init_tracing(args.verbose, &telemetry);
        let done = run(args).await;
        // The last spans go out before the process ends.
        let _ = tokio::task::spawn_blocking(crate::telemetry::shutdown).await;
        done
    });
    match done {
        Ok(code) => code,
        // A reader that went away (`| head`) is not an error.
        Err(e) if is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            // Errors can quote what a plugin, manifest or agent sent.
            eprintln!("error: {}", crate::vocab::safe(&format!("{e:#}")));
            eprintln!("  ({})", book::error_hint(&name));
            ExitCode::from(1)
        }
    }
}

/// Run a parsed command.
///
/// # Errors
///
/// Any failure, for `main` to print.
pub async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Inspect(a) => inspect::run(a).await,
        Command::Keygen(a) => keygen::run(a),
        Command::Sign(a) => sign::run(a).await,
        Command::Verify(a) => verify::run(a).await,
        Command::Serve(a) => serve::run(a).await,
        Command::Demo(a) => demo::run(a).await,
        Command::Call(a) => call::run(a).await,
        Command::Token(c) => token::run(c).await,
        Command::Approvals(c) => approvals::run(c).await,
        Command::Quarantine(a) => stop::run(Stop::Quarantine(a.agent), a.op, a.config).await,
        Command::Release(a) => stop::run(Stop::Release(a.agent), a.op, a.config).await,
        Command::Halt(a) => stop::run(Stop::Halt, a.op, a.config).await,
        Command::Resume(a) => stop::run(Stop::Resume, a.op, a.config).await,
        Command::Plugin(c) => stop::plugin(c).await,
        Command::Reload(a) => stop::reload(a).await,
        Command::Audit(c) => audit::run(c).await,
        Command::Policy(c) => policy::run(c).await,
        Command::SignAction(a) => sign_action::run(a).await,
        Command::Console(c) => console::run(c).await,
        Command::Config(c) => config::run(c).await,
        Command::Fleet(c) => fleet::run(c).await,
        Command::New(a) => new::run(a),
        Command::Dev(c) => dev::run(c).await,
        Command::Test(a) => test::run(a).await,
        Command::Witness(a) => witness::run(a).await,
        Command::Evidence(c) => evidence::run(c).await,
        Command::Assure(a) => assure::run(a).await,
    }
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}
