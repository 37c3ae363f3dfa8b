//! Logging in to the console at a real OpenID provider (`oidc-provider`
//! from npm) in a real browser: authorization code with PKCE; the ID
//! token's subject maps to an operator of `warrant.toml`, a subject that is
//! nobody's is refused; a callback not started in this browser is refused;
//! an action in that session (halt, resume) verifies offline as granted by
//! the provider's ID token.

use std::process::Command;

use serde_json::json;
use warrant::api::{ServeOptions, serve_http};

use crate::api::support::soc;
use crate::console::browser::{chromium, driver};
use crate::console::client;
use crate::identity::oidc::start_script;

fn login_in_browser(base: &str, login: &str) -> String {
    let cfg = json!({"chromium": chromium(), "base": base, "login": login});
    let out = Command::new("node")
        .arg("oidc-login.mjs")
        .arg(cfg.to_string())
        .current_dir(driver())
        .output()
        .expect("node runs");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success() && text.contains("DONE"),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    text
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_operator_logs_in_at_the_openid_provider() {
    let fx = soc().await;
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let base = format!("http://127.0.0.1:{port}");
    let idp = start_script(
        "console-provider.mjs",
        &[
            "warrant-console",
            "console-secret",
            &format!("{base}/console/oidc/callback"),
        ],
    );
    std::fs::write(fx.path("console.secret"), "console-secret\n").unwrap();
    let cfg = std::fs::read_to_string(fx.config_path()).unwrap();
    let cfg = cfg.replacen(
        "name = \"carol\"\n",
        &format!(
            "name = \"carol\"\noidc = {{ issuer = \"{}\", subject = \"carol-sub\" }}\n",
            idp.issuer
        ),
        1,
    );
    std::fs::write(
        fx.config_path(),
        format!(
            "{cfg}\n[console.oidc]\nissuer = \"{}\"\nclient-id = \"warrant-console\"\nclient-secret-file = \"console.secret\"\n",
            idp.issuer
        ),
    )
    .unwrap();
    let host = fx.host().await;
    let opts = ServeOptions {
        listen: format!("127.0.0.1:{port}").parse().unwrap(),
        handle_signals: false,
        ..ServeOptions::default()
    };
    let running = serve_http(host.clone(), opts).await.expect("server starts");

    // Nobody's identity: refused, naming it.
    let text = tokio::task::spawn_blocking({
        let base = base.clone();
        move || login_in_browser(&base, "stranger")
    })
    .await
    .unwrap();
    assert!(
        text.contains("REFUSED") && text.contains("subject stranger is no operator's identity"),
        "{text}"
    );
    // carol's: logged in as carol.
    let text = tokio::task::spawn_blocking({
        let base = base.clone();
        move || login_in_browser(&base, "carol-sub")
    })
    .await
    .unwrap();
    assert!(
        text.contains("WHO carol") && text.contains("ACTED"),
        "{text}"
    );
    // The callback cannot be replayed or started elsewhere.
    let r = client()
        .get(format!("{base}/console/oidc/callback?code=x&state=y"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    running.shutdown().await.unwrap();
    let records = crate::api::support::records(&fx);
    let opened: Vec<_> = records
        .iter()
        .filter(|r| r.kind == "console.session-opened")
        .collect();
    assert_eq!(opened.len(), 1, "one session, carol's");
    assert_eq!(opened[0].data["method"], "oidc");
    assert_eq!(opened[0].data["operator"], "carol");
    let halted: Vec<_> = records.iter().filter(|r| r.kind == "host.halted").collect();
    assert_eq!(halted.len(), 1);
    assert_eq!(
        halted[0].data["signed"]["delegation"]["login"]["method"],
        "oidc"
    );
    // The halt verifies offline: the session key's signature, and the ID
    // token naming carol's identity with the session key as nonce.
    let out = fx.cli(&["audit", "verify"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        text.contains(&format!("OpenID login at {} as carol-sub", idp.issuer)),
        "{text}"
    );
    drop(idp);
}
