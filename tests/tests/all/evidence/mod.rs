//! Evidence an outsider can verify (issue 30): the chain as a transparency
//! log whose checkpoints a real witness process cosigns only when a
//! consistency proof shows they extend what it cosigned, checked by an
//! independent RFC 9162 implementation; a fork that no witness signs; a
//! task's evidence verified on a clean directory with public keys only,
//! and every kind of tampering with it named.

mod assure;
mod console;
mod export;
mod witness;

use std::io::{BufRead as _, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use warrant_tests::Fixture;

/// A `warrant witness` process, its public key and what it logged.
pub(crate) struct WitnessProcess {
    child: Child,
    /// Where it listens.
    pub(crate) url: String,
    pub(crate) key: String,
    pub(crate) log: Arc<Mutex<String>>,
}

impl Drop for WitnessProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub(crate) const WITNESS: &str = "witness.test/w1";

/// The host's checkpoint public key (made now if the host has not run).
pub(crate) fn host_key(fx: &Fixture) -> String {
    let dir = warrant::statedir::StateDir::create(&fx.path("state")).unwrap();
    warrant::audit::AuditKeys::load_or_create(&dir)
        .unwrap()
        .checkpoint_public()
}

/// Start a witness of `fx`'s host in `fx`'s directory and tell the host
/// to ask it (`[[audit.witnesses]]`).
pub(crate) fn witness(fx: &Fixture) -> WitnessProcess {
    witness_on(fx, "127.0.0.1:0", true)
}

/// A witness of `fx`'s host listening on `listen`: the first of `fx`
/// (a new key, named in the config) or, with `first` false, the same
/// witness started again (its key and state kept).
pub(crate) fn witness_on(fx: &Fixture, listen: &str, first: bool) -> WitnessProcess {
    let public_file = fx.path("witness/public.b64");
    let public = if first {
        let k = warrant::keys::generate("w1", warrant::keys::Algorithm::Ed25519).unwrap();
        warrant::keys::write_key_files(&k, &fx.path("witness")).unwrap();
        let public = match k.signing_key().unwrap().verifying_key() {
            warrant::keys::VerifyingKey::Ed25519(v) => B64.encode(v.to_bytes()),
            warrant::keys::VerifyingKey::Hmac(_) => unreachable!(),
        };
        std::fs::write(&public_file, &public).unwrap();
        public
    } else {
        std::fs::read_to_string(&public_file).unwrap()
    };
    let mut c = Command::new(warrant_tests::fixture_cli());
    if warrant_tests::embeds_cli() {
        c.env(warrant_tests::EMBEDDED_CLI_ENV, "1");
    }
    let mut child = c
        .args(["witness", "--name", WITNESS, "--listen", listen, "--log"])
        .arg(host_key(fx))
        .arg("--key")
        .arg(fx.path("witness/w1.key"))
        .arg("--state")
        .arg(fx.path("witness/state"))
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // The pipe stays read to its end: a witness that cannot write the
    // lines after its first (a closed pipe) stops.
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut banner = String::new();
    out.read_line(&mut banner).unwrap();
    std::thread::spawn(move || std::io::copy(&mut out, &mut std::io::sink()));
    let url = banner
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .unwrap_or_else(|| panic!("the witness did not say where it listens: {banner:?}"))
        .trim_end_matches("/add-checkpoint")
        .to_owned();
    let log = Arc::new(Mutex::new(String::new()));
    let (l, err) = (Arc::clone(&log), child.stderr.take().unwrap());
    std::thread::spawn(move || {
        for line in BufReader::new(err).lines().map_while(Result::ok) {
            eprintln!("[witness] {line}");
            l.lock().unwrap().push_str(&(line + "\n"));
        }
    });
    if first {
        let cfg = std::fs::read_to_string(fx.config_path()).unwrap();
        std::fs::write(
            fx.config_path(),
            format!("{cfg}\n[[audit.witnesses]]\nname = \"{WITNESS}\"\nurl = \"{url}\"\npublic-key = \"{public}\"\n"),
        )
        .unwrap();
    }
    WitnessProcess {
        child,
        url,
        key: public,
        log,
    }
}

/// Wait until the chain's newest checkpoint (of size `size` or more) is
/// cosigned by the witness.
pub(crate) async fn witnessed(audit_dir: &Path) -> u64 {
    let last = || {
        std::fs::read_to_string(audit_dir.join("audit.jsonl"))
            .unwrap_or_default()
            .lines()
            .count() as u64
    };
    // A busy machine (builds beside the tests) can take a while.
    for _ in 0..1200 {
        let size = last();
        let cps = std::fs::read_to_string(audit_dir.join("checkpoints.jsonl")).unwrap_or_default();
        let done = cps.lines().any(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            v["seq"] == size
                && v["note"]
                    .as_str()
                    .is_some_and(|n| n.contains(&format!("— {WITNESS} ")))
        });
        if done && size > 0 {
            return size;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!(
        "the chain's last checkpoint was never cosigned; checkpoints: {}",
        std::fs::read_to_string(audit_dir.join("checkpoints.jsonl")).unwrap_or_default()
    );
}

/// Run a CLI command; its success and output.
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

/// Run the independent RFC 9162 check.
pub(crate) fn rfc9162(args: &[&str]) -> String {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("python/rfc6962_check.py");
    let out = Command::new("python3")
        .arg(script)
        .args(args)
        .output()
        .unwrap();
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "the independent check failed: {text}");
    text
}
