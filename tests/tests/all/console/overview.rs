//! The console's overview: real calls — allowed, refused by scope and by
//! policy, held — and stop buttons, then the page in headless Chromium
//! (`tests/console/overview.mjs`): its charts show those numbers, a
//! screenshot is saved (`target/console/console-overview.png`, the one in
//! the book is a copy), and the bar of policy refusals leads to exactly
//! those calls, each linked to its task. Over plain HTTP: the page and its
//! lists need a session and carry the console's strict headers.

use std::process::Command;

use reqwest::header;
use serde_json::{Value, json};
use warrant::{CallRequest, Host};
use warrant_tests::workspace_root;

use crate::api::support::{serve, soc};
use crate::console::browser::{chromium, driver};
use crate::console::{client, link, login};

/// The CSP every console response carries (unchanged by the overview).
const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; \
                   connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

async fn call(host: &Host, token: &str, tool: &str, input: Value) -> Result<String, String> {
    host.call(CallRequest {
        token: token.into(),
        tool: tool.into(),
        input: input.into(),
        channel: "lib",
        ..CallRequest::default()
    })
    .await
    .outcome
    .map_err(|e| e.to_string())
}

/// Four allowed calls (three by triage-bot, one by intel-bot), two refused
/// by the token's scope, three by policy, one held; halt and resume.
async fn traffic(fx: &warrant_tests::Fixture, s: &crate::api::support::Server) {
    let h = &s.host;
    let triage = fx.token("triage-bot", "INC-2026-0300", &[]).await;
    let intel = fx.token("intel-bot", "INC-2026-0301", &[]).await;
    let narrow = fx
        .token("triage-bot", "INC-2026-0302", &["ioc-extract.extract"])
        .await;
    let chore = fx.token("triage-bot", "chore-7", &[]).await;
    let text = json!({"text": "beacon to 203.0.113.45"});
    for t in [&triage, &triage, &triage, &intel] {
        call(h, t, "ioc-extract.extract", text.clone())
            .await
            .unwrap();
    }
    for _ in 0..2 {
        let e = call(h, &narrow, "adversary.echo", json!({"text": "x"})).await;
        assert!(e.is_err(), "refused by scope");
    }
    for _ in 0..3 {
        let note = json!({"case_id": "C-1", "note": "x"});
        let e = call(h, &chore, "case-note.append", note).await.unwrap_err();
        assert!(e.contains("case-note-only-for-incidents"), "{e}");
    }
    let note = json!({"case_id": "INC-2026-0300", "note": "Blocked 203.0.113.45"});
    let e = call(h, &triage, "case-note.append", note)
        .await
        .unwrap_err();
    assert!(e.contains("approval"), "held: {e}");
    let c = login(fx, &s.base, "carol").await;
    for b in ["halt", "resume"] {
        let (st, body) = c
            .post(&format!("/console/actions/{b}"), &[("reason", "drill")])
            .await;
        assert_eq!(st, 303, "{body}");
    }
}

/// The rows of a chart as (key, value shown).
fn rows(v: &Value) -> Vec<(String, String)> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["key"].as_str().unwrap().to_owned(),
                r["value"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_overview_charts_the_calls_and_each_bar_leads_to_them() {
    let fx = soc().await;
    let s = serve(&fx).await;
    traffic(&fx, &s).await;
    let shots = workspace_root().join("target/console");
    std::fs::create_dir_all(&shots).unwrap();
    let config = json!({
        "chromium": chromium(), "link": link(&fx, &s.base, "carol"), "base": s.base,
        "shots": shots, "layer": "policy",
    });
    let out = Command::new("node")
        .arg("overview.mjs")
        .arg(config.to_string())
        .current_dir(driver())
        .output()
        .expect("node runs");
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text
        .lines()
        .find_map(|l| l.strip_prefix("RESULT "))
        .unwrap_or_else(|| panic!("{text}\n{}", String::from_utf8_lossy(&out.stderr)));
    let seen: Value = serde_json::from_str(line).unwrap();

    assert_eq!(seen["total"], "10", "{seen}");
    assert_eq!(
        seen["legend"],
        json!({"allowed": "4", "approved": "0", "held": "1", "refused": "5"})
    );
    let columns: u64 = seen["columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n.as_u64().unwrap())
        .sum();
    assert_eq!(columns, 10, "the bars over time add up");
    assert_eq!(
        seen["columns"].as_array().unwrap().len(),
        60,
        "one a minute"
    );
    assert_eq!(
        rows(&seen["refused"]),
        pairs(&[("layer:policy", "3"), ("layer:scope", "2")])
    );
    assert_eq!(
        seen["refused"][0]["label"], "policy: 3 refused",
        "each bar says its numbers in words"
    );
    assert_eq!(
        rows(&seen["agents"]),
        pairs(&[("agent:triage-bot", "9"), ("agent:intel-bot", "1")])
    );
    assert_eq!(
        seen["agents"][0]["label"],
        "triage-bot: 3 allowed, 1 held, 5 refused"
    );
    assert_eq!(
        rows(&seen["tools"]),
        pairs(&[
            ("tool:case-note.append", "4"),
            ("tool:ioc-extract.extract", "4"),
            ("tool:adversary.echo", "2"),
        ]),
        "most first, ties by name"
    );
    assert_eq!(
        rows(&seen["stops"]),
        pairs(&[("action:halt", "1"), ("action:resume", "1")])
    );
    assert_eq!(seen["waiting"], "1");
    let approval = &seen["approvals"][0];
    assert!(
        approval["href"]
            .as_str()
            .unwrap()
            .starts_with("/console/approvals/"),
        "{approval}"
    );
    assert!(
        approval["label"]
            .as_str()
            .unwrap()
            .starts_with("case-note.append: waiting"),
        "{approval}"
    );
    // Coloured by the stylesheet (the CSP allows no inline style).
    assert_eq!(seen["painted"][0], "rgb(179, 38, 30)", "{seen}");
    assert_eq!(seen["chartTitles"].as_array().unwrap().len(), 6);
    assert_eq!(
        seen["errors"],
        json!([]),
        "no CSP violation or script error"
    );

    // The policy bar's list: exactly the three calls policy refused.
    let url = seen["listUrl"].as_str().unwrap();
    assert!(
        url.contains("/console/calls?decision=deny&layer=policy&since="),
        "{url}"
    );
    assert_eq!(seen["count"], "3");
    let listed = seen["listed"].as_array().unwrap();
    assert_eq!(listed.len(), 3);
    for r in listed {
        assert_eq!(
            (
                &r["decision"],
                &r["layer"],
                &r["agent"],
                &r["tool"],
                &r["task"]
            ),
            (
                &json!("deny"),
                &json!("policy"),
                &json!("triage-bot"),
                &json!("case-note.append"),
                &json!("chore-7")
            ),
            "{r}"
        );
    }
    assert_eq!(seen["timeline"], "chore-7", "a call leads to its task");
    assert_eq!(
        (&seen["dayTotal"], &seen["dayColumns"]),
        (&json!("10"), &json!(96)),
        "the day: the same calls, 96 bars of 15 minutes"
    );

    let shot = shots.join("console-overview.png");
    assert!(shot.metadata().unwrap().len() > 10_000, "screenshot saved");
    s.running.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_overview_and_its_lists_need_a_session_and_keep_the_strict_headers() {
    let fx = soc().await;
    let s = serve(&fx).await;
    traffic(&fx, &s).await;
    let paths = [
        "/console/overview",
        "/console/overview?window=day",
        "/console/calls?decision=deny&layer=scope",
        "/console/stops?action=halt",
    ];
    for p in paths {
        let r = client().get(format!("{}{p}", s.base)).send().await.unwrap();
        assert_eq!(r.status(), 303, "{p}");
        assert_eq!(r.headers()[header::LOCATION], "/console/login", "{p}");
        assert_eq!(r.headers()["content-security-policy"], CSP, "{p}");
    }
    let c = login(&fx, &s.base, "carol").await;
    for p in paths {
        let r = c
            .http
            .get(format!("{}{p}", s.base))
            .header(header::COOKIE, &c.cookie)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{p}");
        assert_eq!(r.headers()["content-security-policy"], CSP, "{p}");
        let page = r.text().await.unwrap();
        assert!(!page.contains("style="), "no inline style: {p}");
        assert!(!page.contains("<script>"), "no inline script: {p}");
    }
    // The lists read what they are asked for.
    let (_, page) = c.get("/console/calls?decision=deny&layer=scope").await;
    assert_eq!(page.matches("<tr class=\"call\"").count(), 2, "{page}");
    assert!(page.contains("adversary.echo"), "{page}");
    let (_, page) = c.get("/console/calls?agent=intel-bot").await;
    assert_eq!(page.matches("<tr class=\"call\"").count(), 1, "{page}");
    let (_, page) = c.get("/console/stops?action=halt").await;
    assert_eq!(page.matches("<tr class=\"stop\"").count(), 1, "{page}");
    assert!(page.contains("drill"), "{page}");
    let (_, day) = c.get("/console/overview?window=day").await;
    assert!(day.contains("Overview: the last 24 hours"), "{day}");
    // Time ticks: every 10 minutes of the hour, every 4 hours of the day.
    let ticks = |page: &str| page.matches("text-anchor=\"middle\"").count();
    assert!((5..=6).contains(&ticks(&day)), "{day}");
    let (_, hour) = c.get("/console/overview").await;
    assert_eq!(ticks(&hour), 6, "{hour}");
    let (st, _) = c.get("/console/calls?since=yesterday").await;
    assert_eq!(st, 400, "a time that is not RFC 3339 is refused");
    s.running.shutdown().await.unwrap();
}
