//! The console's protections over real HTTP against a real server: login
//! links used once, CSRF tokens, same-origin, sessions ended at logout,
//! roles, HTML shown as text, strict headers; every action in the chain,
//! signed by the session the operator opened.

use std::time::Duration;

use reqwest::header;
use serde_json::json;
use warrant::CallRequest;

use crate::api::support::{serve, soc};
use crate::console::{FORM, client, field, form, grant_of, link, login, post_login};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_a_logged_in_operator_from_this_origin_with_the_token_acts() {
    let fx = soc().await;
    let s = serve(&fx).await;
    let base = &s.base;

    // Not logged in: the pages send to the login page; actions are refused.
    let r = client()
        .get(format!("{base}/console"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()[header::LOCATION], "/console/login");
    let csp = r.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"),
        "{csp}"
    );
    assert_eq!(r.headers()["x-frame-options"], "DENY");

    // A login link works once.
    let l = link(&fx, base, "carol");
    let first = post_login(base, grant_of(&l)).await;
    assert_eq!(first.status(), 200);
    let cookie = first.headers()[header::SET_COOKIE]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        cookie.contains("HttpOnly")
            && cookie.contains("SameSite=Strict")
            && cookie.contains("Path=/console"),
        "{cookie}"
    );
    assert!(
        !cookie.contains("Secure"),
        "plain HTTP on loopback: {cookie}"
    );
    let again = post_login(base, grant_of(&l)).await;
    assert_eq!(again.status(), 401);
    assert!(again.text().await.unwrap().contains("used before"));
    // A login form posted from another origin is refused.
    let other = client()
        .post(format!("{base}/console/login/link"))
        .header(header::ORIGIN, "http://evil.example")
        .header(header::CONTENT_TYPE, FORM)
        .body(form(&[("grant", grant_of(&link(&fx, base, "carol")))]))
        .send()
        .await
        .unwrap();
    assert_eq!(other.status(), 403);

    let c = login(&fx, base, "carol").await;
    let halt = [("reason", "drill"), ("back", "/console")];
    // Without the CSRF token, from another Origin, or without one: refused.
    let (st, body) = c.post_raw("/console/actions/halt", Some(base), &halt).await;
    assert_eq!(st, 403, "{body}");
    assert!(body.contains("CSRF"), "{body}");
    let mut with = vec![("csrf", c.csrf.as_str())];
    with.extend_from_slice(&halt);
    let (st, body) = c
        .post_raw(
            "/console/actions/halt",
            Some("http://localhost:9999"),
            &with,
        )
        .await;
    assert_eq!(st, 403);
    assert!(body.contains("own origin"), "{body}");
    let (st, _) = c.post_raw("/console/actions/halt", None, &with).await;
    assert_eq!(st, 403);
    let (st, body) = c
        .post_raw(
            "/console/actions/halt",
            Some(base),
            &[("csrf", "0000"), ("reason", "x")],
        )
        .await;
    assert_eq!(st, 403, "{body}");
    // No reason: refused.
    let (st, _) = c.post("/console/actions/halt", &[("reason", " ")]).await;
    assert_eq!(st, 400);
    assert!(
        s.host.stops().await.unwrap().halted.is_none(),
        "nothing was halted"
    );

    // The real thing: halted, attributed to carol.
    let (st, body) = c.post("/console/actions/halt", &halt).await;
    assert_eq!(st, 303, "{body}");
    let stops = s.host.stops().await.unwrap();
    let h = stops.halted.as_ref().expect("halted");
    assert_eq!((h.by.as_str(), h.reason.as_str()), ("carol", "drill"));
    let (_, page) = c.get("/console").await;
    assert!(
        page.contains("HALTED by carol") && page.contains("host halted"),
        "{page}"
    );
    let (st, _) = c
        .post("/console/actions/resume", &[("reason", "drill over")])
        .await;
    assert_eq!(st, 303);

    // Logged out: the same cookie and token act on nothing.
    let (st, _) = c.post("/console/logout", &[]).await;
    assert_eq!(st, 200);
    let (st, body) = c.post("/console/actions/halt", &halt).await;
    assert_eq!(st, 401, "{body}");
    assert!(s.host.stops().await.unwrap().halted.is_none());
    let (st, _) = c.get("/console").await;
    assert_eq!(st, 303);

    // The chain: the session opened and closed, the actions signed by
    // carol's session key granted by her own key; it all verifies offline.
    s.running.shutdown().await.unwrap();
    let out = fx.cli(&["audit", "verify"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        text.contains("session-") && text.contains("login link signed with key"),
        "{text}"
    );
    let kinds: Vec<String> = crate::api::support::records(&fx)
        .into_iter()
        .map(|r| r.kind)
        .filter(|k| k.starts_with("console.") || k.starts_with("host."))
        .collect();
    assert_eq!(
        kinds,
        [
            "console.session-opened",
            "console.session-opened",
            "host.halted",
            "host.resumed",
            "console.session-closed"
        ]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_non_approver_sees_the_request_but_cannot_decide_and_html_stays_text() {
    let fx = soc().await;
    let s = serve(&fx).await;
    let base = &s.base;
    let token = fx.token("triage-bot", "INC-7", &[]).await;
    let host = s.host.clone();
    let note = "<script>alert('args')</script><img src=x onerror=alert(3)>";
    let held = tokio::spawn(async move {
        host.call(CallRequest {
            token,
            tool: "case-note.append".into(),
            input: json!({"case_id": "INC-7", "note": note}).into(),
            prompt: Some("<b onmouseover=alert(4)>contain</b>".into()),
            channel: "lib",
            ..CallRequest::default()
        })
        .await
    });
    let id = loop {
        if let Some(a) = fx.admin().await.approvals(false).await.unwrap().first() {
            break a.id.clone();
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };

    let m = login(&fx, base, "mallory").await;
    let (st, page) = m.get("/console").await;
    assert_eq!(st, 200);
    assert!(page.contains(&id), "mallory sees the request");
    assert!(
        page.contains("&lt;script&gt;alert('args')&lt;/script&gt;"),
        "{page}"
    );
    assert!(
        page.contains("&lt;b onmouseover=alert(4)&gt;contain&lt;/b&gt;"),
        "{page}"
    );
    assert_eq!(
        page.matches("<script").count(),
        1,
        "only the console's own script"
    );
    assert!(!page.contains("<img src=x"));
    assert!(page.contains("You (mallory) may not decide this request."));
    // The decision itself is refused by the library, naming why.
    let binding = fx
        .admin()
        .await
        .approval(&id)
        .await
        .unwrap()
        .binding
        .digest();
    let form = [
        ("decision", "approve"),
        ("binding", binding.as_str()),
        ("reason", "sure"),
    ];
    let (st, body) = m
        .post(&format!("/console/approvals/{id}/decide"), &form)
        .await;
    assert_eq!(st, 403, "{body}");
    assert!(body.contains("mallory may not decide"), "{body}");
    // Plugin descriptions are text too.
    let (_, agents) = m.get("/console/agents").await;
    assert!(
        agents.contains("Panic &lt;img src=x onerror=alert(1)&gt; on purpose"),
        "{agents}"
    );
    assert!(!agents.contains("<img"));

    // carol may: approved, the held call runs.
    let c = login(&fx, base, "carol").await;
    let (_, page) = c.get("/console").await;
    assert_eq!(field(&page, "binding").as_deref(), Some(binding.as_str()));
    let (st, body) = c
        .post(&format!("/console/approvals/{id}/decide"), &form)
        .await;
    assert_eq!(st, 303, "{body}");
    let a = fx.admin().await.approval(&id).await.unwrap();
    assert_eq!(a.votes, ["carol"]);
    let _ = held.await;
    s.running.shutdown().await.unwrap();
    let out = fx.cli(&["audit", "verify"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
