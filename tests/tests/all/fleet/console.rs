//! The console behind the balancer: a session opened through it works on
//! every host (the same CSRF token everywhere), survives a restart of the
//! host that opened it, and a logout on one host ends it on all; a halt
//! pressed in the console of one host is in force on every host; the admin
//! API's read credential of one host reads on all.

use std::time::Duration;

use reqwest::header;
use serde_json::json;
use warrant::operator::LoginGrant;

use super::lb::{Fleet, call, fixture};
use crate::console::{FORM, client, field, form};
use crate::identity::Jwks;

/// A console: its cookie and CSRF token.
struct Console {
    cookie: String,
    csrf: String,
}

async fn page(base: &str, c: &Console) -> (u16, String) {
    let r = client()
        .get(format!("{base}/console"))
        .header(header::COOKIE, &c.cookie)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

async fn post(base: &str, c: &Console, path: &str, pairs: &[(&str, &str)]) -> u16 {
    let mut f = vec![("csrf", c.csrf.as_str())];
    f.extend_from_slice(pairs);
    client()
        .post(format!("{base}{path}"))
        .header(header::COOKIE, &c.cookie)
        .header(header::ORIGIN, base)
        .header(header::CONTENT_TYPE, FORM)
        .body(form(&f))
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_console_session_works_on_every_host_and_a_halt_through_one_is_in_force_on_all() {
    let jwks = Jwks::start(&[]).await;
    let mut f = Fleet::start(fixture(&jwks).await, 3).await;
    let signer = super::signer(&f.fx, &f.configs[0], "carol").await;
    let grant = LoginGrant::new(&signer).unwrap().encode();
    let r = client()
        .post(format!("{}/console/login/link", f.lb.base))
        .header(header::ORIGIN, &f.lb.base)
        .header(header::CONTENT_TYPE, FORM)
        .body(form(&[("grant", &grant)]))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let set = r.headers()[header::SET_COOKIE].to_str().unwrap().to_owned();
    let cookie = set.split(';').next().unwrap().to_owned();
    let mut c = Console {
        cookie,
        csrf: String::new(),
    };
    // Through the balancer, round robin: every page loads.
    for _ in 0..6 {
        let (st, html) = page(&f.lb.base, &c).await;
        assert_eq!(st, 200, "{html}");
        c.csrf = field(&html, "csrf").unwrap();
    }
    // On each host itself too, with the same CSRF token.
    for i in 0..3 {
        let (st, html) = page(&f.base(i), &c).await;
        assert_eq!(st, 200, "host {i}");
        assert_eq!(field(&html, "csrf").unwrap(), c.csrf);
    }
    // A halt pressed in the console of host 2 is in force on every host.
    let st = post(
        &f.base(1),
        &c,
        "/console/actions/halt",
        &[("reason", "drill"), ("back", "/console")],
    )
    .await;
    assert_eq!(st, 303);
    let t = f.token(0, "triage-bot", "INC-300").await;
    let http = reqwest::Client::new();
    for i in 0..3 {
        loop {
            let (st, body) = call(
                &http,
                &f.base(i),
                &t,
                "ioc-extract.extract",
                json!({"text": "x"}),
            )
            .await;
            if st != 200 {
                assert!(body.to_string().contains("halted"), "host {i}: {body}");
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
    // The session outlives a restart of the host that opened it.
    f.restart(0).await;
    assert_eq!(page(&f.base(0), &c).await.0, 200);
    // Logged out on host 3: the session ends on every host.
    assert_eq!(post(&f.base(2), &c, "/console/logout", &[]).await, 200);
    for i in 0..3 {
        let (st, _) = page(&f.base(i), &c).await;
        assert_eq!(st, 303, "host {i} still knows the session");
    }
    // The admin API's read credential of one host reads on every host.
    let admin = std::fs::read_to_string(f.fx.path("state-h2/keys/admin.token")).unwrap();
    for i in 0..3 {
        let r = http
            .get(format!("{}/v1/admin/approvals", f.base(i)))
            .bearer_auth(admin.trim())
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "host {i}");
    }
}
