//! Halt, quarantine, release, revoke and disable are refused without a
//! valid signature for the role, change nothing then, and work with one.

use warrant::keys::SignedAction;
use warrant::operator::Stop;
use warrant::state::StopState;

use super::{fixture, records};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_stop_button_needs_a_valid_signature_for_its_role() {
    let fx = fixture(|b| b).await;
    let (_, claims) = fx.token_as("carol", "bot", "T-1", &[], 600).await.unwrap();
    let admin = fx.admin().await;
    let state = || async { admin.state().stop_state().await.unwrap() };
    let buttons = [
        Stop::Halt,
        Stop::Quarantine("bot".into()),
        Stop::Disable("adversary".into()),
        Stop::Revoke(claims.id.clone()),
    ];
    for stop in &buttons {
        let (kind, target) = stop.action();
        let before: StopState = state().await;
        let n = records(&fx).len();
        let valid = fx.sign("carol", kind, target, "drill");
        let mut tampered = valid.clone();
        tampered.action.reason = "something else".into();
        let unsigned = SignedAction {
            action: fx.body("carol", kind, target),
            sig: String::new(),
            delegation: None,
        };
        let other = match stop {
            Stop::Halt => Stop::Quarantine("bot".into()),
            _ => Stop::Halt,
        };
        let (ok, ot) = other.action();
        let for_another_button = fx.sign("carol", ok, ot, "drill");
        let refused = [
            (fx.sign("mallory", kind, target, "drill"), "mallory may not"),
            (fx.sign("dave", kind, target, "drill"), "dave may not"),
            (tampered, "does not verify"),
            (unsigned, "does not verify"),
            (for_another_button, "the signed action is"),
        ];
        for (signed, says) in refused {
            let e = admin.stop(stop, &signed).await.unwrap_err();
            assert!(e.to_string().contains(says), "{stop:?}: {e}");
            assert_eq!(state().await, before, "{stop:?} changed the state: {e}");
            assert_eq!(records(&fx).len(), n, "{stop:?} was recorded: {e}");
        }
        // Through the CLI: no key, a key file that is no operator's.
        let name = format!("{kind:?}").to_lowercase();
        let args: Vec<&str> = match stop {
            Stop::Halt => vec!["halt"],
            Stop::Quarantine(a) => vec!["quarantine", a],
            Stop::Disable(p) => vec!["plugin", "disable", p],
            Stop::Revoke(t) => vec!["token", "revoke", t],
            _ => unreachable!(),
        };
        let out = fx.cli(&args);
        assert!(
            !out.status.success() && String::from_utf8_lossy(&out.stderr).contains("--key"),
            "{name}: {out:?}"
        );
        let mut with_bad_key = args.clone();
        with_bad_key.extend(["--key", "warrant.toml"]);
        let out = fx.cli(&with_bad_key);
        assert!(!out.status.success(), "{name}: {out:?}");
        assert_eq!(state().await, before);
        // Carol's own signature: it takes effect, and is recorded with it.
        assert!(admin.stop(stop, &valid).await.unwrap(), "{stop:?}");
        assert_ne!(state().await, before, "{stop:?}");
        let last = records(&fx).pop().unwrap();
        assert_eq!(last.data["signed"]["action"]["operator"], "carol");
    }
    // Releasing needs the role too.
    let release = Stop::Release("bot".into());
    let (kind, target) = release.action();
    let e = admin
        .stop(&release, &fx.sign("dave", kind, target, ""))
        .await
        .unwrap_err();
    assert!(e.to_string().contains("dave may not"), "{e}");
    let out = fx.cli_as("carol", &["release", "bot"]);
    assert!(out.status.success(), "{out:?}");
}
