//! `warrant witness`: run a transparency-log witness for hosts' audit
//! chains (`c2sp.org/tlog-witness`), on another machine or another
//! operator's account than the hosts it witnesses.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context as _, anyhow};

use crate::audit::parse_public_key;
use crate::audit::tlog::{Witness, WitnessedLog, origin_of_key};
use crate::keys::{SigningKey, read_key_file};

/// Cosign the checkpoints of hosts' audit chains, each only when it
/// extends the one cosigned before (a consistency proof): two forks of one
/// chain are never both witnessed. Hosts send their checkpoints here
/// (`[[audit.witnesses]]`); auditors trust this witness's public key.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The witness's name, a schema-less URL such as
    /// `witness.example/w1` (its cosignatures carry it).
    #[arg(long)]
    pub name: String,
    /// Its Ed25519 private key (`warrant keygen --algorithm ed25519 --id
    /// ID --out DIR`; hand out `ID.pub`).
    #[arg(long, value_name = "FILE")]
    pub key: PathBuf,
    /// A host whose chain it witnesses: its checkpoint public key (base64,
    /// or a file holding it — `warrant audit verify` prints it, and a
    /// host's state directory has it). Repeat for each host.
    #[arg(long = "log", value_name = "KEY", required = true)]
    pub logs: Vec<String>,
    /// Where it keeps the latest checkpoint it cosigned for each host.
    #[arg(long, value_name = "DIR")]
    pub state: PathBuf,
    /// Where to listen.
    #[arg(long, default_value = "127.0.0.1:9400")]
    pub listen: SocketAddr,
}

pub async fn run(a: Args) -> anyhow::Result<ExitCode> {
    let key = match read_key_file(&a.key)
        .map_err(|e| anyhow!(e))?
        .signing_key()
        .map_err(|e| anyhow!(e))?
    {
        SigningKey::Ed25519(k) => k,
        SigningKey::Hmac(_) => return Err(anyhow!("a witness key is ed25519")),
    };
    let logs = a
        .logs
        .iter()
        .map(|k| {
            let key = parse_public_key(k).map_err(|e| anyhow!("--log {k}: {e}"))?;
            Ok(WitnessedLog {
                origin: origin_of_key(&key),
                key,
            })
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    let state = crate::privfs::create_private_dir(&a.state)
        .with_context(|| format!("the state directory {}", a.state.display()))?;
    let witness = Arc::new(Witness::new(&a.name, key, logs.clone(), state));
    let (addr, task) = crate::api::serve_witness(Arc::clone(&witness), a.listen)
        .await
        .with_context(|| format!("cannot listen on {}", a.listen))?;
    // One write, and a reader that goes away afterwards (a supervisor
    // that read the address) does not stop the witness.
    let mut banner = format!(
        "witness {} on http://{addr}/add-checkpoint — public key {}\n",
        crate::vocab::safe(witness.name()),
        base64::Engine::encode(
            &base64::engine::general_purpose::STANDARD,
            witness.public_key().to_bytes()
        )
    );
    for l in &logs {
        banner.push_str(&format!("  witnessing {}\n", l.origin));
    }
    {
        use std::io::Write as _;
        let mut stdout = std::io::stdout().lock();
        if let Err(e) = stdout
            .write_all(banner.as_bytes())
            .and_then(|()| stdout.flush())
        {
            tracing::warn!("cannot print the witness's address: {e}");
        }
    }
    tokio::select! {
        _ = task => {}
        _ = tokio::signal::ctrl_c() => {}
    }
    Ok(ExitCode::SUCCESS)
}
