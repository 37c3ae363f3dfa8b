//! A real Prometheus for the metrics tests: Debian's Prometheus 2.42 (the
//! `prometheus` package, installed with apt-get when missing, see
//! [`crate::debian`]) scraping the hosts under test every second, so a
//! test asserts on what an operator's Prometheus would really see —
//! the exposition parsed by Prometheus itself, the bearer token accepted,
//! PromQL over the scraped series — rather than on the text alone.
//!
//! Each [`Prometheus`] is its own process with its own configuration,
//! data directory and log in a temporary directory, listening on a free
//! loopback port: a `prometheus` service that installing the package may
//! have started (Debian's listens on 9090, its node exporter on 9100) is
//! neither used nor disturbed. Nothing leaves the machine: the
//! configuration has no remote storage, alerting or service discovery,
//! only the test's static targets. Stopped when dropped.
//!
//! Timing: Prometheus is ready a tenth of a second after it starts, but
//! hands new targets to its scrapers at most every 5 s, so the first
//! scrape comes about 5–6 s after the start and the next ones every
//! second; [`Prometheus::targets_up`] waits for that first scrape.

use std::fs::File;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use serde_json::Value;

/// How long [`Prometheus::start`] waits for `/-/ready`.
const READY_TIMEOUT: Duration = Duration::from_secs(60);
/// How long [`Prometheus::targets_up`] waits for every target to be up.
const TARGETS_TIMEOUT: Duration = Duration::from_secs(30);
/// How much of Prometheus's log a panic message shows.
const LOG_TAIL: usize = 4000;

/// The `prometheus` binary; Debian's package is installed when missing.
///
/// # Panics
///
/// When it is missing and cannot be installed.
pub fn binary() -> PathBuf {
    static PATH: OnceLock<PathBuf> = OnceLock::new();
    PATH.get_or_init(|| crate::debian::binary("prometheus", &["/usr/bin/prometheus"]))
        .clone()
}

/// The configuration of a Prometheus that scrapes `targets` at
/// `metrics_path` every second, with `Authorization: Bearer <bearer>`
/// when `bearer` is given (Prometheus 2.x's `prometheus.yml`; the one
/// job is named `warrant`).
pub fn config(targets: &[SocketAddr], metrics_path: &str, bearer: Option<&str>) -> String {
    // A JSON string is a YAML double-quoted scalar: no quoting mistakes.
    let quote = |s: &str| Value::from(s).to_string();
    let targets = targets
        .iter()
        .map(|t| quote(&t.to_string()))
        .collect::<Vec<_>>()
        .join(", ");
    let mut out = String::from(
        "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n  evaluation_interval: 1s\n\
         scrape_configs:\n  - job_name: warrant\n",
    );
    out.push_str(&format!("    metrics_path: {}\n", quote(metrics_path)));
    if let Some(token) = bearer {
        out.push_str(&format!(
            "    authorization:\n      type: Bearer\n      credentials: {}\n",
            quote(token)
        ));
    }
    out.push_str(&format!(
        "    static_configs:\n      - targets: [{targets}]\n"
    ));
    out
}

/// A running Prometheus, scraping the test's targets every second.
#[derive(Debug)]
pub struct Prometheus {
    port: u16,
    child: Child,
    http: reqwest::Client,
    targets: usize,
    dir: tempfile::TempDir,
}

impl Prometheus {
    /// Start a Prometheus that scrapes `targets` (`host:port`, plain
    /// HTTP) at `metrics_path` every second, sending
    /// `Authorization: Bearer <bearer>` when `bearer` is given, and wait
    /// until it is ready (`/-/ready` answers 200). Its configuration,
    /// data (`data/`) and log (`prometheus.log`) are in a temporary
    /// directory removed when it is dropped.
    ///
    /// Blocks (an install, the start): from async code it is called as
    /// it is, the way the tests start HAProxy, and takes a second or so.
    ///
    /// # Panics
    ///
    /// When the binary is missing and cannot be installed, refuses the
    /// configuration, exits, or is not ready within a minute; the
    /// message has the tail of its log.
    pub fn start(targets: &[SocketAddr], metrics_path: &str, bearer: Option<&str>) -> Self {
        let binary = binary();
        let dir = tempfile::tempdir().expect("a temporary directory for Prometheus");
        let cfg = dir.path().join("prometheus.yml");
        std::fs::write(&cfg, config(targets, metrics_path, bearer))
            .unwrap_or_else(|e| panic!("cannot write {}: {e}", cfg.display()));
        let log = dir.path().join("prometheus.log");
        let http = reqwest::Client::builder()
            .no_proxy()
            .timeout(Duration::from_secs(10))
            .build()
            .expect("a reqwest client");
        // A free port may be taken between looking and binding: try again
        // with another one when that is why Prometheus stopped.
        let mut attempt = 0;
        loop {
            attempt += 1;
            let port = free_port();
            let mut child = spawn(&binary, &cfg, dir.path(), port, &log);
            match wait_ready(&mut child, port) {
                Ok(()) => {
                    return Self {
                        port,
                        child,
                        http,
                        targets: targets.len(),
                        dir,
                    };
                }
                Err(why) => {
                    let _ = child.kill();
                    let _ = child.wait();
                    let tail = log_tail(&log);
                    if attempt < 3 && tail.contains("address already in use") {
                        continue;
                    }
                    panic!(
                        "Prometheus ({}) on 127.0.0.1:{port} {why}; its log ends:\n{tail}",
                        binary.display()
                    );
                }
            }
        }
    }

    /// Its base URL, `http://127.0.0.1:PORT` (the web UI and `/api/v1`).
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Its port on 127.0.0.1.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The temporary directory with its configuration, data and log.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// The last few kilobytes of its log (stdout and stderr).
    pub fn log_tail(&self) -> String {
        log_tail(&self.dir.path().join("prometheus.log"))
    }

    /// An instant PromQL query (`GET /api/v1/query`) at the current time;
    /// returns `data.result`: for a vector, an array of
    /// `{"metric": {labels}, "value": [time, "value"]}` ([`sample_value`]
    /// reads the first one's value).
    ///
    /// # Panics
    ///
    /// When Prometheus cannot be reached or its answer's `status` is not
    /// `success` (a bad query: the message has its error).
    pub async fn query(&self, promql: &str) -> Value {
        let mut url = reqwest::Url::parse(&format!("{}/api/v1/query", self.url()))
            .expect("Prometheus's query URL");
        url.query_pairs_mut().append_pair("query", promql);
        let body = self.get_json(url).await;
        if body["status"] != "success" {
            panic!("Prometheus refused the query {promql:?}: {body}");
        }
        body["data"]["result"].clone()
    }

    /// Query `promql` every 500 ms until `pred` holds for its result
    /// (see [`Prometheus::query`]), and return that result. Prometheus
    /// scrapes every second, so a new value shows within about two — but
    /// the first scrape comes only 5–6 s after the start: allow 15 s or
    /// so, or wait for [`Prometheus::targets_up`] first.
    ///
    /// # Panics
    ///
    /// When `pred` does not hold within `timeout` (the message has the
    /// last result), or a query fails.
    pub async fn wait_for(
        &self,
        promql: &str,
        pred: impl Fn(&Value) -> bool,
        timeout: Duration,
    ) -> Value {
        let deadline = Instant::now() + timeout;
        loop {
            let result = self.query(promql).await;
            if pred(&result) {
                return result;
            }
            if Instant::now() >= deadline {
                panic!(
                    "Prometheus: {promql:?} did not give the expected result within \
                     {timeout:?}; the last result: {result}\ntargets: {}",
                    self.get_json(self.targets_url()).await["data"]["activeTargets"]
                );
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    }

    /// Wait (up to 30 s) until Prometheus has scraped each of its targets
    /// successfully: every one of `/api/v1/targets`' active targets has
    /// `health` `up`.
    ///
    /// # Panics
    ///
    /// When some target is not up in time: the message names each one
    /// that is not, with its `lastError` (a refused bearer token shows as
    /// `server returned HTTP status 401 Unauthorized`).
    pub async fn targets_up(&self) {
        self.targets_up_within(TARGETS_TIMEOUT).await;
    }

    /// [`Prometheus::targets_up`], waiting up to `timeout`.
    ///
    /// # Panics
    ///
    /// As [`Prometheus::targets_up`].
    pub async fn targets_up_within(&self, timeout: Duration) {
        let deadline = Instant::now() + timeout;
        loop {
            let body = self.get_json(self.targets_url()).await;
            let active = body["data"]["activeTargets"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            let not_up: Vec<String> = active
                .iter()
                .filter(|t| t["health"] != "up")
                .map(|t| {
                    format!(
                        "{} is {} (lastError: {})",
                        t["scrapeUrl"].as_str().unwrap_or("?"),
                        t["health"].as_str().unwrap_or("?"),
                        t["lastError"]
                    )
                })
                .collect();
            if active.len() == self.targets && not_up.is_empty() {
                return;
            }
            if Instant::now() >= deadline {
                panic!(
                    "Prometheus's targets are not all up after {timeout:?} \
                     ({} of {} known): {}",
                    active.len(),
                    self.targets,
                    not_up.join("; ")
                );
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }

    fn targets_url(&self) -> reqwest::Url {
        reqwest::Url::parse(&format!("{}/api/v1/targets?state=active", self.url()))
            .expect("Prometheus's targets URL")
    }

    async fn get_json(&self, url: reqwest::Url) -> Value {
        let response = match self.http.get(url.clone()).send().await {
            Ok(r) => r,
            Err(e) => panic!(
                "Prometheus does not answer GET {url}: {e}; its log ends:\n{}",
                self.log_tail()
            ),
        };
        let status = response.status();
        let text = response
            .text()
            .await
            .unwrap_or_else(|e| panic!("reading Prometheus's answer to GET {url}: {e}"));
        serde_json::from_str(&text).unwrap_or_else(|e| {
            panic!("Prometheus answered GET {url} with {status}, not JSON ({e}): {text}")
        })
    }
}

impl Drop for Prometheus {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The value of the first sample of a query's result (`result[0].value[1]`,
/// which Prometheus gives as a string), as a number.
pub fn sample_value(result: &Value) -> Option<f64> {
    result.get(0)?.get("value")?.get(1)?.as_str()?.parse().ok()
}

/// Poll `/-/ready` until it answers 200, the process exits, or the time
/// is up.
fn wait_ready(child: &mut Child, port: u16) -> Result<(), String> {
    let deadline = Instant::now() + READY_TIMEOUT;
    loop {
        if let Ok(Some(status)) = child.try_wait() {
            return Err(format!("exited ({status})"));
        }
        if ready(port) {
            return Ok(());
        }
        if Instant::now() >= deadline {
            return Err(format!("is not ready after {READY_TIMEOUT:?}"));
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// The last [`LOG_TAIL`] bytes of the log at `path` (empty when unreadable).
fn log_tail(path: &Path) -> String {
    let mut text = String::new();
    if let Ok(mut f) = File::open(path) {
        let _ = f.read_to_string(&mut text);
    }
    let cut = text.len().saturating_sub(LOG_TAIL);
    let cut = (cut..text.len())
        .find(|&i| text.is_char_boundary(i))
        .unwrap_or(text.len());
    text[cut..].to_string()
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free loopback port")
        .port()
}

#[allow(clippy::zombie_processes)] // reaped when the Prometheus is dropped
fn spawn(binary: &Path, cfg: &Path, dir: &Path, port: u16, log: &Path) -> Child {
    let out = File::create(log).unwrap_or_else(|e| panic!("cannot create {}: {e}", log.display()));
    let err = out.try_clone().expect("the log's file handle");
    Command::new(binary)
        .arg(format!("--config.file={}", cfg.display()))
        .arg(format!(
            "--storage.tsdb.path={}",
            dir.join("data").display()
        ))
        .arg(format!("--web.listen-address=127.0.0.1:{port}"))
        .stdin(Stdio::null())
        .stdout(out)
        .stderr(err)
        .current_dir(dir)
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {}: {e}", binary.display()))
}

/// Whether `GET /-/ready` answers 200 (plain HTTP/1.0 over a socket, so
/// that starting needs no async runtime).
fn ready(port: u16) -> bool {
    let Ok(mut stream) = TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
    let _ = stream.set_write_timeout(Some(Duration::from_secs(2)));
    if stream
        .write_all(b"GET /-/ready HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n")
        .is_err()
    {
        return false;
    }
    let mut head = [0u8; 16];
    let mut got = 0;
    while got < head.len() {
        match stream.read(&mut head[got..]) {
            Ok(0) | Err(_) => break,
            Ok(n) => got += n,
        }
    }
    head[..got].starts_with(b"HTTP/1.0 200") || head[..got].starts_with(b"HTTP/1.1 200")
}
