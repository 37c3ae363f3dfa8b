//! A fleet behind a load balancer: three `warrant serve` hosts, each with
//! its own state directory (keys, audit chain) and fixed loopback port,
//! on one PostgreSQL, behind a real HAProxy (`warrant_tests::haproxy`, the
//! shipped `manifests/deploy/haproxy.cfg`) in plain round robin. Each host
//! allows the balancer's name (`--allow-host 127.0.0.1:PORT`), names it as
//! its public URL (`[api] public-url`: the resource its tokens are for),
//! and drains for a second and a half when stopped (the balancer gives up
//! on a host after three checks 200 ms apart).

use std::path::PathBuf;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use warrant_tests::haproxy::Balancer;
use warrant_tests::{Fixture, PluginSpec};

use super::{Member, member_config, start_with};
use crate::api::support::SOC;
use crate::identity::{AUD, ISS, Jwks};

/// A fleet behind HAProxy.
pub(crate) struct Fleet {
    // Dropped in this order: the hosts stop before their directory goes.
    pub(crate) members: Vec<Option<Member>>,
    pub(crate) lb: Balancer,
    pub(crate) fx: Fixture,
    pub(crate) configs: Vec<PathBuf>,
    pub(crate) ports: Vec<u16>,
}

/// The fixture of a balanced fleet: the SOC plugins and policy; agents
/// `triage-bot` (also a workload of the test issuer, so it may exchange
/// credentials) and `budget-bot` (at most 10 calls an hour); held calls
/// wait a minute.
pub(crate) async fn fixture(jwks: &Jwks) -> Fixture {
    let fx = Fixture::builder()
        .plugin(PluginSpec::new("ioc-extract"))
        .plugin(PluginSpec::new("case-note").grants(
            "files = [{ host = \"cases\", guest = \"/cases\", access = \"read-write\" }]",
        ))
        .plugin(PluginSpec::new("adversary").limits("timeout = \"60s\""))
        .agent_toml(
            "[[agents]]\nid = \"triage-bot\"\nowner = \"o\"\nmodel = \"m\"\nmodel-owner = \"mo\"\ntools = [\"ioc-extract.*\", \"case-note.append\", \"adversary.*\"]\nworkload = [{ issuer = \"workloads\", subject = \"system:serviceaccount:soc:bot\" }]\n",
        )
        .agent_toml(
            "[[agents]]\nid = \"budget-bot\"\nowner = \"o\"\nmodel = \"m\"\nmodel-owner = \"mo\"\ntools = [\"adversary.*\"]\n",
        )
        .policy(SOC)
        .config(&format!(
            "[[issuers]]\nid = \"workloads\"\nissuer = {ISS:?}\naudiences = [{AUD:?}]\njwks-url = {:?}\njwks-refresh = \"0s\"\nmax-lifetime = \"1h\"\n\n\
             [[budgets]]\nname = \"ten-calls\"\nper = \"agent\"\nonly = \"budget-bot\"\ncalls = 10\nwindow = \"1h\"\n",
            jwks.url
        ))
        .build()
        .await;
    let cfg = std::fs::read_to_string(fx.config_path()).unwrap();
    std::fs::write(
        fx.config_path(),
        cfg.replace("wait = \"3s\"", "wait = \"60s\""),
    )
    .unwrap();
    fx
}

fn free_port() -> u16 {
    Balancer::free_port()
}

impl Fleet {
    /// Start `n` hosts of `fx` on a fresh database, and the balancer.
    pub(crate) async fn start(fx: Fixture, n: usize) -> Self {
        let url = warrant_tests::postgres::database().await;
        let lb_port = free_port();
        let ports: Vec<u16> = (0..n).map(|_| free_port()).collect();
        // Every host names the balancer as its public URL: the resource
        // its tokens are for, whichever host exchanged them.
        let configs: Vec<PathBuf> = (0..n)
            .map(|i| {
                let c = member_config(&fx, &url, &format!("h{}", i + 1));
                let text = std::fs::read_to_string(&c).unwrap();
                let api = format!("\n[api]\npublic-url = \"http://127.0.0.1:{lb_port}\"\n");
                std::fs::write(&c, text + &api).unwrap();
                c
            })
            .collect();
        let mut f = Self {
            lb: Balancer::start(
                lb_port,
                &ports
                    .iter()
                    .map(|p| format!("127.0.0.1:{p}").parse().unwrap())
                    .collect::<Vec<_>>(),
            ),
            fx,
            members: (0..n).map(|_| None).collect(),
            configs,
            ports,
        };
        for i in 0..n {
            f.launch(i);
        }
        for i in 0..n {
            f.wait_ready(i).await;
        }
        f
    }

    fn launch(&mut self, i: usize) {
        let listen = format!("127.0.0.1:{}", self.ports[i]);
        let allow = format!("127.0.0.1:{}", self.lb.port);
        self.members[i] = Some(start_with(
            self.configs[i].clone(),
            &[
                "--listen",
                &listen,
                "--allow-host",
                &allow,
                "--drain-grace",
                "1500ms",
            ],
        ));
    }

    /// Host `i`'s own address.
    pub(crate) fn base(&self, i: usize) -> String {
        format!("http://127.0.0.1:{}", self.ports[i])
    }

    /// Until host `i` says it is ready, and the balancer has seen so.
    pub(crate) async fn wait_ready(&self, i: usize) {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let ok = reqwest::get(format!("{}/readyz", self.base(i)))
                .await
                .is_ok_and(|r| r.status() == 200);
            if ok {
                break;
            }
            assert!(Instant::now() < deadline, "host {i} never became ready");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        // The balancer checks every 200 ms and needs one good check.
        tokio::time::sleep(Duration::from_millis(500)).await;
    }

    /// Stop host `i` (SIGTERM: it drains) and start it again on its port.
    pub(crate) async fn restart(&mut self, i: usize) {
        let status = self.members[i].as_mut().unwrap().terminate();
        assert!(status.success(), "host {i} stopped with {status}");
        self.members[i] = None;
        self.launch(i);
        self.wait_ready(i).await;
    }

    /// Kill host `i` without warning.
    pub(crate) fn kill9(&mut self, i: usize) {
        if let Some(mut m) = self.members[i].take() {
            m.kill9();
        }
    }

    /// A token for `agent` and `task` issued through host `i`'s config.
    pub(crate) async fn token(&self, i: usize, agent: &str, task: &str) -> String {
        super::token(&self.fx, &self.configs[i], agent, task).await
    }
}

/// Call `tool` at `base` over HTTP/JSON; status and body (a failure to
/// connect or to read is status 0).
pub(crate) async fn call(
    http: &reqwest::Client,
    base: &str,
    token: &str,
    tool: &str,
    input: Value,
) -> (u16, Value) {
    match http
        .post(format!("{base}/v1/tools/{tool}/call"))
        .bearer_auth(token)
        .json(&json!({ "input": input }))
        .send()
        .await
    {
        Ok(r) => {
            let status = r.status().as_u16();
            (status, r.json().await.unwrap_or(Value::Null))
        }
        Err(e) => (0, json!({"error": format!("{e:?}")})),
    }
}
