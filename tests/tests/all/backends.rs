//! The shared-state backends, one set of tests run against each: SQLite
//! (two handles on one file) and PostgreSQL (two handles on one database
//! of a real server, `warrant_tests::postgres`): versions, approvals, stops,
//! change notifications, rates, nonces.

use std::time::Duration;

use warrant::state::{
    ApprovalBinding, ApprovalStatus, Decided, NewApproval, PostgresConfig, PostgresState, RateRule,
    SharedState, SqliteState, StopTarget, Stops, VersionMark, now_ms,
};
use warrant::vocab::Version;

#[derive(Debug, Clone, Copy)]
pub(crate) enum Backend {
    Sqlite,
    Postgres,
}

/// Two handles on one fresh state of `kind`, and what keeps it alive.
pub(crate) async fn handles(
    kind: Backend,
) -> (
    Box<dyn SharedState>,
    Box<dyn SharedState>,
    tempfile::TempDir,
) {
    let dir = tempfile::tempdir().unwrap();
    match kind {
        Backend::Sqlite => {
            let p = dir.path().join("state.db");
            (
                Box::new(SqliteState::open(&p).unwrap()),
                Box::new(SqliteState::open(&p).unwrap()),
                dir,
            )
        }
        Backend::Postgres => {
            let url = warrant_tests::postgres::database().await;
            let c = PostgresConfig {
                url,
                password: None,
                tls: false,
                ca_files: Vec::new(),
                pool: 4,
            };
            (
                Box::new(PostgresState::open(&c).unwrap()),
                Box::new(PostgresState::open(&c).unwrap()),
                dir,
            )
        }
    }
}

fn mark(v: &str, m: &str) -> VersionMark {
    VersionMark {
        version: v.parse::<Version>().unwrap(),
        manifest_digest: m.into(),
        component_digest: format!("c-{m}"),
    }
}

fn binding(args: &str) -> ApprovalBinding {
    ApprovalBinding {
        agent: "a".into(),
        task: "t".into(),
        tool: "case-note.append".into(),
        args_digest: args.into(),
        plugin_version: "1.0.0".into(),
        component_digest: "sha256:c".into(),
        tool_digest: "td".into(),
    }
}

fn new(args: &str) -> NewApproval {
    NewApproval {
        binding: binding(args),
        required: 1,
        token_issuer: "carol".into(),
        token_id: "tok".into(),
        impact: "high".into(),
        why: "high impact".into(),
        summary: "{}".into(),
        expires_at: now_ms() + 60_000,
    }
}

async fn versions_only_go_up_and_reset(kind: Backend) {
    let (db, _b, _g) = handles(kind).await;
    assert_eq!(db.highest_version("p").await.unwrap(), None);
    db.record_version("p", &mark("1.2.0", "a")).await.unwrap();
    db.record_version("p", &mark("1.1.9", "b")).await.unwrap();
    assert_eq!(
        db.highest_version("p").await.unwrap(),
        Some(mark("1.2.0", "a"))
    );
    db.record_version("p", &mark("1.10.0", "c")).await.unwrap();
    assert_eq!(
        db.highest_version("p")
            .await
            .unwrap()
            .unwrap()
            .version
            .to_string(),
        "1.10.0"
    );
    assert_eq!(
        db.reset_version("p").await.unwrap(),
        Some(mark("1.10.0", "c"))
    );
    assert_eq!(db.highest_version("p").await.unwrap(), None);
}

async fn a_second_connection_sees_changes(kind: Backend) {
    let (a, b, _g) = handles(kind).await;
    let v = a.change_marker().await.unwrap();
    b.set_stop(&StopTarget::Halt, true, "carol", "drill")
        .await
        .unwrap();
    // Another handle's change is seen (PostgreSQL: when its NOTIFY arrives).
    let mut seen = false;
    for _ in 0..100 {
        if a.change_marker().await.unwrap() != v {
            seen = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(seen, "the other handle's change was not seen");
    assert_eq!(a.stop_state().await.unwrap().halted.unwrap().by, "carol");
    let v = a.change_marker().await.unwrap();
    a.revoke_token("tok-1", "carol", "leak").await.unwrap();
    assert_ne!(
        a.change_marker().await.unwrap(),
        v,
        "local changes count too"
    );
}

async fn approve_once_and_bound_to_the_plugin(kind: Backend) {
    let (db, _b, _g) = handles(kind).await;
    let a = db.request_approval(&new("d1")).await.unwrap();
    assert_eq!(a.status, ApprovalStatus::Pending);
    assert!(
        !db.consume_approval(&a.id).await.unwrap(),
        "pending cannot be used"
    );
    let Decided::Recorded(a2) = db
        .decide_approval(&a.id, true, "carol", "ok")
        .await
        .unwrap()
    else {
        panic!("not recorded")
    };
    assert_eq!(a2.status, ApprovalStatus::Approved);
    assert_eq!(
        db.decide_approval(&a.id, false, "dave", "no")
            .await
            .unwrap(),
        Decided::NotPending,
        "decided once"
    );
    let mut other_plugin = binding("d1");
    other_plugin.component_digest = "sha256:other".into();
    assert!(db.open_approval_for(&other_plugin).await.unwrap().is_none());
    assert!(
        db.open_approval_for(&binding("d1"))
            .await
            .unwrap()
            .is_some()
    );
    assert!(db.consume_approval(&a.id).await.unwrap());
    assert!(!db.consume_approval(&a.id).await.unwrap(), "used once");
    assert!(
        db.open_approval_for(&binding("d1"))
            .await
            .unwrap()
            .is_none()
    );
}

async fn expired_requests_cannot_be_decided(kind: Backend) {
    let (db, _b, _g) = handles(kind).await;
    let mut n = new("d2");
    n.expires_at = now_ms() - 1;
    let a = db.request_approval(&n).await.unwrap();
    assert_eq!(
        db.decide_approval(&a.id, true, "carol", "").await.unwrap(),
        Decided::NotPending
    );
    assert_eq!(a.shown_status(now_ms()), "expired");
}

async fn rate_windows_are_shared_and_slide(kind: Backend) {
    let (a, b, _g) = handles(kind).await;
    let rule = [RateRule {
        key: "agent:x".into(),
        calls: 2,
        per: Duration::from_secs(60),
        text: "2/min".into(),
    }];
    let t0 = now_ms();
    assert!(a.admit(&rule, t0).await.unwrap().is_ok());
    assert!(b.admit(&rule, t0).await.unwrap().is_ok());
    let hit = a.admit(&rule, t0).await.unwrap().unwrap_err();
    assert_eq!(hit.to_string(), "agent x is limited to 2/min");
    assert!(b.admit(&rule, t0 + 61_000).await.unwrap().is_ok());
}

async fn two_of_n_approvals_need_two_distinct_operators(kind: Backend) {
    let (db, _b, _g) = handles(kind).await;
    let mut n = new("d3");
    n.required = 2;
    let a = db.request_approval(&n).await.unwrap();
    let Decided::Recorded(one) = db
        .decide_approval(&a.id, true, "carol", "ok")
        .await
        .unwrap()
    else {
        panic!()
    };
    assert_eq!(
        (one.status, one.votes.clone()),
        (ApprovalStatus::Pending, vec!["carol".to_string()])
    );
    assert_eq!(
        db.decide_approval(&a.id, true, "carol", "again")
            .await
            .unwrap(),
        Decided::AlreadyVoted
    );
    let Decided::Recorded(two) = db.decide_approval(&a.id, true, "dave", "ok").await.unwrap()
    else {
        panic!()
    };
    assert_eq!(two.status, ApprovalStatus::Approved);
    assert_eq!(two.decided_by.as_deref(), Some("carol, dave"));
}

async fn a_nonce_is_used_once(kind: Backend) {
    let (a, b, _g) = handles(kind).await;
    let later = now_ms() + 60_000;
    assert!(a.use_nonce("n-1", "carol", later).await.unwrap());
    assert!(
        !b.use_nonce("n-1", "carol", later).await.unwrap(),
        "seen by another process"
    );
    assert!(b.use_nonce("n-2", "carol", later).await.unwrap());
    // A DPoP proof's jti, once across every host on the state; the same
    // jti under another key is another proof.
    assert!(a.use_dpop_jti("jkt-1", "jti-1", later).await.unwrap());
    assert!(
        !b.use_dpop_jti("jkt-1", "jti-1", later).await.unwrap(),
        "replayed on another host"
    );
    assert!(b.use_dpop_jti("jkt-2", "jti-1", later).await.unwrap());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_versions_only_go_up_and_reset() {
    versions_only_go_up_and_reset(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_versions_only_go_up_and_reset() {
    versions_only_go_up_and_reset(Backend::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_a_second_connection_sees_changes() {
    a_second_connection_sees_changes(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_a_second_connection_sees_changes() {
    a_second_connection_sees_changes(Backend::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_approve_once_and_bound_to_the_plugin() {
    approve_once_and_bound_to_the_plugin(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_approve_once_and_bound_to_the_plugin() {
    approve_once_and_bound_to_the_plugin(Backend::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_expired_requests_cannot_be_decided() {
    expired_requests_cannot_be_decided(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_expired_requests_cannot_be_decided() {
    expired_requests_cannot_be_decided(Backend::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_rate_windows_are_shared_and_slide() {
    rate_windows_are_shared_and_slide(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_rate_windows_are_shared_and_slide() {
    rate_windows_are_shared_and_slide(Backend::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_two_of_n_approvals_need_two_distinct_operators() {
    two_of_n_approvals_need_two_distinct_operators(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_two_of_n_approvals_need_two_distinct_operators() {
    two_of_n_approvals_need_two_distinct_operators(Backend::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_a_nonce_is_used_once() {
    a_nonce_is_used_once(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_a_nonce_is_used_once() {
    a_nonce_is_used_once(Backend::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_schema_newer_than_this_binary_is_refused_on_both_backends() {
    // SQLite: the step is the database's user_version.
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("state.db");
    drop(SqliteState::open(&p).unwrap());
    rusqlite::Connection::open(&p)
        .unwrap()
        .pragma_update(None, "user_version", 999)
        .unwrap();
    let err = SqliteState::open(&p).unwrap_err().to_string();
    assert!(
        err.contains("schema is at step 999, newer than this warrant"),
        "{err}"
    );

    // PostgreSQL: the steps recorded in warrant_schema.
    let url = warrant_tests::postgres::database().await;
    let c = PostgresConfig {
        url: url.clone(),
        password: None,
        tls: false,
        ca_files: Vec::new(),
        pool: 2,
    };
    let fresh = PostgresState::open(&c).unwrap();
    fresh.stop_state().await.unwrap();
    let (db, conn) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(conn);
    db.execute("INSERT INTO warrant_schema (version) VALUES (999)", &[])
        .await
        .unwrap();
    let newer = PostgresState::open(&c).unwrap();
    let err = newer.stop_state().await.unwrap_err().to_string();
    assert!(
        err.contains("schema is at step 999, newer than this warrant"),
        "{err}"
    );
}
