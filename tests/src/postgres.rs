//! A real PostgreSQL server for the fleet tests: `WARRANT_TEST_DATABASE_URL`
//! when set, else a throwaway cluster started here once per test process —
//! PostgreSQL 15's `initdb` and `postgres` in a temporary directory on a
//! free loopback port, run as the unprivileged user `postgres` (the server
//! refuses to run as root), stopped when the test process ends. Each test
//! gets its own database.

use std::process::Command;
use std::sync::OnceLock;

/// The server's base URL (without a database).
fn server() -> String {
    static URL: OnceLock<String> = OnceLock::new();
    URL.get_or_init(|| {
        if let Ok(u) = std::env::var("WARRANT_TEST_DATABASE_URL") {
            return u.trim_end_matches('/').to_owned();
        }
        start()
    })
    .clone()
}

fn as_postgres(cmd: &str) -> Command {
    let mut c = if unsafe_is_root() {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--", "sh", "-c", cmd]);
        c
    } else {
        let mut c = Command::new("sh");
        c.args(["-c", cmd]);
        c
    };
    c.env_remove("PGDATA");
    c
}

/// Wait for `child` in the background, so that it leaves no zombie.
fn reap(mut child: std::process::Child) {
    std::thread::spawn(move || {
        let _ = child.wait();
    });
}

fn unsafe_is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

fn start() -> String {
    let c = Cluster::start();
    let url = c.url.clone();
    // The shared server lives as long as the test process (its watchdog
    // stops it then).
    std::mem::forget(c);
    url
}

/// A PostgreSQL cluster of its own (for tests that stop and restart the
/// server), stopped when the test process ends.
#[derive(Debug, Clone)]
pub struct Cluster {
    /// `postgres://warrant@127.0.0.1:PORT` (no database).
    pub url: String,
    dir: std::path::PathBuf,
    port: u16,
}

impl Cluster {
    /// Initialise and start a cluster on a free loopback port.
    ///
    /// # Panics
    ///
    /// When it cannot be started.
    pub fn start() -> Self {
        static ATTEMPT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let n = ATTEMPT.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let dir = std::env::temp_dir().join(format!("warrant-pg-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let _ = Command::new("chown")
            .args(["postgres:postgres"])
            .arg(&dir)
            .status();
        let d = dir.join("data");
        let ok = as_postgres(&format!(
            "initdb -D {} -U warrant --auth=trust --no-sync -E UTF8 >{}/initdb.log 2>&1",
            d.display(),
            dir.display()
        ))
        .status()
        .expect("initdb runs");
        assert!(
            ok.success(),
            "initdb failed; see {}/initdb.log",
            dir.display()
        );
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let c = Self {
            url: format!("postgres://warrant@127.0.0.1:{port}"),
            dir,
            port,
        };
        // The server (as `postgres`), and a watchdog (as this user, so that
        // it may look at this process) that stops whichever server runs in
        // the cluster when this process ends, and then removes the cluster
        // (a test run leaves nothing behind in the temporary directory).
        let me = std::process::id();
        let script = format!(
            "{} & while kill -0 {me} 2>/dev/null; do sleep 0.5; done; \
             kill -INT $(head -1 {data}/postmaster.pid) 2>/dev/null; \
             for i in $(seq 1 100); do [ -e {data}/postmaster.pid ] || break; sleep 0.1; done; \
             rm -rf {dir}",
            c.server_command(),
            data = d.display(),
            dir = c.dir.display()
        );
        reap(
            Command::new("sh")
                .args(["-c", &script])
                .spawn()
                .expect("postgres starts"),
        );
        c.wait_up();
        c
    }

    fn server_command(&self) -> String {
        let server = format!(
            "postgres -D {dir}/data -p {port} -k {dir} -c listen_addresses=127.0.0.1 -c fsync=off \
             -c max_connections=200 >>{dir}/server.log 2>&1",
            dir = self.dir.display(),
            port = self.port
        );
        if unsafe_is_root() {
            format!("runuser -u postgres -- sh -c '{server}'")
        } else {
            server
        }
    }

    fn wait_up(&self) {
        // A busy machine (a build beside the tests) can take a while.
        for _ in 0..1200 {
            if std::net::TcpStream::connect(("127.0.0.1", self.port)).is_ok() {
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        panic!(
            "PostgreSQL did not start on port {}; see {}/server.log",
            self.port,
            self.dir.display()
        );
    }

    /// Stop the server (fast shutdown: sessions are disconnected).
    pub fn stop(&self) {
        let pid = std::fs::read_to_string(self.dir.join("data/postmaster.pid")).unwrap_or_default();
        let pid = pid.lines().next().unwrap_or("").trim().to_owned();
        let _ = Command::new("kill").args(["-INT", &pid]).status();
        for _ in 0..300 {
            if std::net::TcpStream::connect(("127.0.0.1", self.port)).is_err() {
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        panic!("PostgreSQL on port {} did not stop", self.port);
    }

    /// Start the server again on the same port and data.
    pub fn restart(&self) {
        reap(
            Command::new("sh")
                .args(["-c", &self.server_command()])
                .spawn()
                .expect("postgres starts"),
        );
        self.wait_up();
    }

    /// A fresh, empty database on this cluster; its URL.
    ///
    /// # Panics
    ///
    /// When it cannot be created.
    pub async fn database(&self) -> String {
        create_database(&self.url).await
    }
}

/// A fresh, empty database on the test server; its URL.
///
/// # Panics
///
/// When the server cannot be reached.
pub async fn database() -> String {
    create_database(&server()).await
}

async fn create_database(base: &str) -> String {
    let name = warrant::vocab::random_id("t", 8).replace('-', "_");
    // The server may still be starting: it accepts connections before it
    // accepts queries.
    let mut last = String::new();
    for _ in 0..100 {
        match tokio_postgres::connect(&format!("{base}/postgres"), tokio_postgres::NoTls).await {
            Ok((client, conn)) => {
                tokio::spawn(conn);
                match client
                    .batch_execute(&format!("CREATE DATABASE {name}"))
                    .await
                {
                    Ok(()) => return format!("{base}/{name}"),
                    Err(e) => last = e.to_string(),
                }
            }
            Err(e) => last = e.to_string(),
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("cannot create a database on the test PostgreSQL at {base}: {last}");
}
