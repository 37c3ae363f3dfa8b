//! Asking witnesses to cosign: each new checkpoint is sent to every
//! configured witness (`add-checkpoint`, with a consistency proof from the
//! size the witness last cosigned), in the background — a call never waits
//! for a witness. Cosignatures that verify are added to the checkpoint's
//! note and the checkpoint is appended again, witnessed. A witness that
//! cannot be reached is asked again, backing off from one second to a
//! minute, until a newer checkpoint (which covers it) or the host's stop.

use std::collections::HashMap;
use std::io::Write as _;
use std::path::PathBuf;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use cap_std::fs::{Dir, OpenOptions, OpenOptionsExt as _};
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender, unbounded_channel};

use crate::audit::checkpoint::Checkpoint;
use crate::audit::tlog::note::{WitnessKey, add_cosignatures};
use crate::audit::tlog::tree::TreeFile;

/// The first wait before asking an unreached witness again, and the
/// longest (the wait doubles in between).
const RETRY_FIRST: Duration = Duration::from_secs(1);
const RETRY_MOST: Duration = Duration::from_secs(60);

/// A witness the host asks to cosign its checkpoints.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WitnessEndpoint {
    /// Its key name and public key.
    pub key: WitnessKey,
    /// Its submission prefix (`…/add-checkpoint` is appended).
    pub url: String,
}

impl WitnessEndpoint {
    /// The endpoints of a config's witnesses.
    pub fn of(config: &[crate::config::Witness]) -> Vec<Self> {
        config
            .iter()
            .zip(WitnessKey::of(config))
            .map(|(w, key)| Self {
                key,
                url: w.url.clone(),
            })
            .collect()
    }
}

/// The background submitter: where checkpoints go, and the task that
/// sends them (awaited at shutdown, so that the last cosignatures are
/// kept).
pub(crate) type Submitter = (UnboundedSender<Checkpoint>, tokio::task::JoinHandle<()>);

/// Start the background submitter, when there are witnesses and a runtime
/// to run it on.
pub(crate) fn start(
    witnesses: Vec<WitnessEndpoint>,
    audit_dir: PathBuf,
    copy: Option<PathBuf>,
) -> Option<Submitter> {
    if witnesses.is_empty() {
        return None;
    }
    let Ok(rt) = tokio::runtime::Handle::try_current() else {
        tracing::warn!("no async runtime: checkpoints are not sent to the witnesses");
        return None;
    };
    let (tx, rx) = unbounded_channel();
    let task = rt.spawn(run(witnesses, audit_dir, copy, rx));
    Some((tx, task))
}

async fn run(
    witnesses: Vec<WitnessEndpoint>,
    audit_dir: PathBuf,
    copy: Option<PathBuf>,
    mut rx: UnboundedReceiver<Checkpoint>,
) {
    let tls = match crate::outbound::tls_config(&[]) {
        Ok(t) => t,
        Err(e) => {
            tracing::error!("witnesses: {e}");
            return;
        }
    };
    let dir = match Dir::open_ambient_dir(&audit_dir, cap_std::ambient_authority()) {
        Ok(d) => d,
        Err(e) => {
            tracing::error!("witnesses: {}: {e}", audit_dir.display());
            return;
        }
    };
    let mut known: HashMap<String, u64> = HashMap::new();
    let mut next: Option<Checkpoint> = None;
    loop {
        let mut cp = match next.take() {
            Some(cp) => cp,
            None => match rx.recv().await {
                Some(cp) => cp,
                None => return,
            },
        };
        // Only the newest checkpoint matters: it covers the others.
        while let Ok(newer) = rx.try_recv() {
            cp = newer;
        }
        let Some(mut note) = cp.note.clone() else {
            continue;
        };
        let mut asking: Vec<&WitnessEndpoint> = witnesses.iter().collect();
        let mut delay = RETRY_FIRST;
        loop {
            let mut unreached = Vec::new();
            let mut cosigned = false;
            for w in asking {
                match submit(w, &note, cp.seq, &dir, &tls, &mut known).await {
                    Ok(answer) => match add_cosignatures(&note, &answer, &w.key) {
                        Ok(n) => {
                            note = n;
                            cosigned = true;
                        }
                        Err(e) => tracing::warn!("witness {}: {e}", w.key.name),
                    },
                    Err(Failed { why, again }) => {
                        tracing::warn!("witness {} ({}): {why}", w.key.name, w.url);
                        if again {
                            unreached.push(w);
                        }
                    }
                }
            }
            if cosigned {
                cp.note = Some(note.clone());
                if let Err(e) = append(&dir, copy.as_ref(), &cp) {
                    tracing::error!("cannot keep a witnessed checkpoint: {e}");
                }
            }
            if unreached.is_empty() {
                break;
            }
            // A witness that could not be reached (or failed on its side)
            // is asked again, backing off — unless a newer checkpoint comes first,
            // which covers this one — until the host stops.
            match tokio::time::timeout(delay, rx.recv()).await {
                Ok(Some(newer)) => {
                    next = Some(newer);
                    break;
                }
                Ok(None) => return,
                Err(_) => {
                    asking = unreached;
                    delay = (delay * 2).min(RETRY_MOST);
                }
            }
        }
    }
}

/// One `add-checkpoint` exchange, retried at once from the size the
/// witness says it holds.
async fn submit(
    w: &WitnessEndpoint,
    note: &str,
    size: u64,
    dir: &Dir,
    tls: &std::sync::Arc<rustls::ClientConfig>,
    known: &mut HashMap<String, u64>,
) -> Result<String, Failed> {
    for _ in 0..2 {
        let old = known.get(&w.key.name).copied().unwrap_or(0);
        if old > size {
            return Err(Failed::last(format!(
                "it already cosigned size {old}, beyond {size}"
            )));
        }
        let proof = TreeFile::open_read(dir)
            .and_then(|t| t.consistency(size, old))
            .map_err(Failed::last)?;
        let mut body = format!("old {old}\n");
        for h in &proof {
            body.push_str(&B64.encode(h.0));
            body.push('\n');
        }
        body.push('\n');
        body.push_str(note);
        let url = format!("{}/add-checkpoint", w.url.trim_end_matches('/'));
        let answer = crate::outbound::send(
            crate::outbound::Request {
                method: http::Method::POST,
                url: &url,
                headers: vec![("content-type", "text/plain".into())],
                body: body.into_bytes(),
                limit: 64 * 1024,
                timeout: Duration::from_secs(10),
            },
            tls,
        )
        .await
        .map_err(|why| Failed { why, again: true })?;
        let text = String::from_utf8_lossy(&answer.body).into_owned();
        match answer.status {
            200 => {
                known.insert(w.key.name.clone(), size);
                return Ok(text);
            }
            409 => match text.trim().parse::<u64>() {
                Ok(theirs) if known.get(&w.key.name) != Some(&theirs) => {
                    known.insert(w.key.name.clone(), theirs);
                }
                _ => return Err(Failed::last(format!("409: {}", text.trim()))),
            },
            s => {
                return Err(Failed {
                    why: format!("{s}: {}", text.trim()),
                    again: s >= 500,
                });
            }
        }
    }
    Err(Failed::last("the witness's size kept changing".into()))
}

/// Why a witness did not cosign, and whether asking again may help (it
/// could not be reached, or failed on its side).
struct Failed {
    why: String,
    again: bool,
}

impl Failed {
    fn last(why: String) -> Self {
        Self { why, again: false }
    }
}

fn append(dir: &Dir, copy: Option<&PathBuf>, cp: &Checkpoint) -> Result<(), String> {
    let mut line = serde_json::to_vec(cp).map_err(|e| e.to_string())?;
    line.push(b'\n');
    let mut o = OpenOptions::new();
    o.append(true).create(true).mode(0o600);
    let mut f = dir
        .open_with("checkpoints.jsonl", &o)
        .map_err(|e| format!("checkpoints.jsonl: {e}"))?;
    f.write_all(&line)
        .and_then(|()| f.sync_data())
        .map_err(|e| format!("checkpoints.jsonl: {e}"))?;
    if let Some(path) = copy {
        // The witness copy is a file the operator placed elsewhere on
        // purpose: ambient authority, as for every checkpoint.
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .create(true)
            .open(path)
            .map_err(|e| format!("{}: {e}", path.display()))?;
        f.write_all(&line)
            .and_then(|()| f.sync_data())
            .map_err(|e| format!("{}: {e}", path.display()))?;
    }
    Ok(())
}
