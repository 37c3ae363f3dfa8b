//! A real load balancer for the fleet tests: Debian's HAProxy 2.6 (the
//! `haproxy` package, installed with apt-get when missing, like the
//! console tests' Chromium), started on a free loopback port in front of
//! the hosts, round robin without stickiness, checking each host's
//! `/readyz` — the configuration `manifests/deploy/haproxy.cfg` documents,
//! with the test's ports and faster checks. Stopped when dropped.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;

/// The `haproxy` binary; installed from Debian when missing.
///
/// # Panics
///
/// When it is missing and cannot be installed.
pub fn haproxy() -> PathBuf {
    static PATH: OnceLock<PathBuf> = OnceLock::new();
    PATH.get_or_init(|| {
        crate::debian::binary("haproxy", &["/usr/sbin/haproxy", "/usr/bin/haproxy"])
    })
    .clone()
}

/// The deployment's configuration (`manifests/deploy/haproxy.cfg`) for
/// a balancer on `port` in front of `hosts`, with checks every 200 ms, a
/// host down after 3 failed ones (a real deployment checks every 500 ms
/// and gives up after 2).
pub fn config(port: u16, hosts: &[SocketAddr]) -> String {
    let shipped =
        std::fs::read_to_string(crate::workspace_root().join("manifests/deploy/haproxy.cfg"))
            .expect("manifests/deploy/haproxy.cfg");
    let mut out = String::new();
    for line in shipped.lines() {
        let t = line.trim_start();
        if t.starts_with("bind ") {
            out.push_str(&format!("    bind 127.0.0.1:{port}\n"));
        } else if t.starts_with("server ")
            || t.starts_with("user ")
            || t.starts_with("group ")
            || t.starts_with("log ")
            || t.starts_with("stats socket")
            || t.starts_with("chroot ")
        {
            // The test's servers follow; no system paths or users.
        } else if t.starts_with("default-server ") {
            out.push_str("    default-server check inter 200ms fall 3 rise 1\n");
        } else {
            out.push_str(line);
            out.push('\n');
        }
    }
    for (i, h) in hosts.iter().enumerate() {
        out.push_str(&format!("    server h{} {h}\n", i + 1));
    }
    out
}

/// A running HAProxy.
#[derive(Debug)]
pub struct Balancer {
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    /// Its port.
    pub port: u16,
    child: Child,
    _dir: tempfile::TempDir,
}

impl Balancer {
    /// A free loopback port for a balancer (its hosts must know it before
    /// they start: `--allow-host 127.0.0.1:PORT`).
    pub fn free_port() -> u16 {
        std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port()
    }

    /// Start HAProxy on `port` in front of `hosts`, and wait until it
    /// listens.
    ///
    /// # Panics
    ///
    /// When it does not start.
    #[allow(clippy::zombie_processes)] // reaped when dropped
    pub fn start(port: u16, hosts: &[SocketAddr]) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let cfg = dir.path().join("haproxy.cfg");
        std::fs::write(&cfg, config(port, hosts)).unwrap();
        let check = Command::new(haproxy())
            .arg("-c")
            .arg("-f")
            .arg(&cfg)
            .output()
            .unwrap();
        assert!(
            check.status.success(),
            "haproxy refuses its config: {}",
            String::from_utf8_lossy(&check.stderr)
        );
        let child = Command::new(haproxy())
            .arg("-db")
            .arg("-f")
            .arg(&cfg)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("haproxy starts");
        for _ in 0..200 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return Self {
                    base: format!("http://127.0.0.1:{port}"),
                    port,
                    child,
                    _dir: dir,
                };
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        panic!("haproxy does not listen on {port}");
    }
}

impl Drop for Balancer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
