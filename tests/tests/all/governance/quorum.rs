//! The quorum a release needs: 1 of 2 is refused and 2 of 2 applies
//! (through the CLI: `config sign`, `config apply`); a release that only
//! narrows authority takes the narrowing threshold, computed by the host;
//! an older release is refused; a rotation of the governors signed by the
//! old quorum applies, and one signed by the new keys alone is refused.

use warrant::governance::{Release, ReleaseSignature};
use warrant::operator::rules::RulesDesk;

use super::{governed, run};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_release_takes_effect_only_with_its_quorum() {
    let fx = governed().await;
    let key = |n: &str| fx.governor_key(n).display().to_string();
    // Release 1: erin alone is not enough.
    let (ok, out) = run(&fx, &["config", "diff"]);
    assert!(
        ok && out.contains("release 1") && out.contains("the first release"),
        "{out}"
    );
    let (ok, out) = run(&fx, &["config", "sign", "--key", &key("erin")]);
    assert!(ok && out.contains("1 of 2"), "{out}");
    let (ok, out) = run(&fx, &["config", "apply"]);
    assert!(
        !ok && out.contains("REFUSED") && out.contains("needs the signatures of 2"),
        "{out}"
    );
    // A key that is no governor's cannot sign.
    let (ok, out) = run(
        &fx,
        &["config", "sign", "--key", fx.key("carol").to_str().unwrap()],
    );
    assert!(!ok && out.contains("no governor's key"), "{out}");
    let (ok, out) = run(&fx, &["config", "sign", "--key", &key("frank")]);
    assert!(ok && out.contains("2 of 2"), "{out}");
    let (ok, out) = run(&fx, &["config", "apply"]);
    assert!(ok && out.contains("release 1"), "{out}");

    // Widening (a tool for intel-bot) with one signature: refused.
    fx.edit_config(|t| {
        t.replace(
            "tools = [\"ioc-extract.extract\"]",
            "tools = [\"ioc-extract.extract\", \"adversary.echo\"]",
        )
    });
    let (ok, out) = run(&fx, &["config", "diff"]);
    assert!(
        ok && out.contains("agent intel-bot gains tool adversary.echo"),
        "{out}"
    );
    assert!(fx.release(&["gail"]).await.is_err());
    let r2 = fx.release(&["gail", "erin"]).await.unwrap();
    assert_eq!(r2.version, 2);

    // Narrowing (the tool taken away again) with one: the host computes
    // that it only narrows.
    fx.edit_config(|t| {
        t.replace(
            "tools = [\"ioc-extract.extract\", \"adversary.echo\"]",
            "tools = [\"ioc-extract.extract\"]",
        )
    });
    let r3 = fx.release(&["frank"]).await.unwrap();
    assert_eq!(r3.version, 3);

    // An older release, with its genuine signatures, is refused.
    let desk = RulesDesk::open(&fx.config_path()).unwrap();
    let keeper = desk.keeper().unwrap();
    let archive = warrant::audit::ReleaseArchive::existing(&fx.config().audit_dir()).unwrap();
    let old = Release::parse(&archive.release(&r2.digest).unwrap()).unwrap();
    let sigs: Vec<ReleaseSignature> = crate::hardening::records(&fx)
        .iter()
        .find(|r| r.kind == "config.applied" && r.str("digest") == Some(r2.digest.as_str()))
        .map(|r| serde_json::from_value(r.data["signatures"].clone()).unwrap())
        .unwrap();
    let err = keeper
        .apply_document(&old, &sigs, "apply")
        .await
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("does not follow the release in force"),
        "{err}"
    );
    drop(keeper);
    drop(desk);

    // A rotation to two new governors, signed by the new keys alone:
    // refused. Signed by the old quorum: applied.
    let gov = |names: &[&str]| {
        names
            .iter()
            .map(|n| format!("  {{ id = \"{n}-gov\", name = \"{n}\", public-key-file = \"governors/{n}-gov.pub\" }},\n"))
            .collect::<String>()
    };
    for n in ["hank", "ivy"] {
        let k = warrant::keys::generate(&format!("{n}-gov"), warrant::keys::Algorithm::Ed25519)
            .unwrap();
        warrant::keys::write_key_files(&k, &fx.path("governors")).unwrap();
    }
    fx.edit_config(|t| t.replace(&gov(&["erin", "frank", "gail"]), &gov(&["hank", "ivy"])));
    let (ok, out) = run(&fx, &["config", "diff"]);
    assert!(ok && out.contains("the governance changes"), "{out}");
    let err = fx.release(&["hank", "ivy"]).await.unwrap_err();
    assert!(err.to_string().contains("no governor's key"), "{err}");
    let r4 = fx.release(&["erin", "gail"]).await.unwrap();
    assert_eq!(r4.version, 4);
    // Now only the new governors count: erin cannot sign even a narrowing
    // change (intel-bot removed); hank can, alone.
    fx.edit_config(|t| {
        let start = t.find("[[agents]]\nid = \"intel-bot\"").unwrap();
        let end = start + t[start..].find("\n\n").unwrap() + 2;
        format!("{}{}", &t[..start], &t[end..])
    });
    let err = fx.release(&["erin"]).await.unwrap_err();
    assert!(err.to_string().contains("no governor's key"), "{err}");
    let r5 = fx.release(&["hank"]).await.unwrap();
    assert_eq!(r5.version, 5);

    let (ok, out) = run(&fx, &["audit", "verify"]);
    assert!(ok, "{out}");
    for v in 1..=5 {
        assert!(out.contains(&format!("rules: release {v} ")), "{out}");
    }
    assert!(
        out.contains("signed by frank") && out.contains("signed by erin, gail"),
        "{out}"
    );
    assert!(out.contains("anchored to its own governors"), "{out}");
    // An auditor anchors the first release to the governors they know:
    // the right ones pass, others are reported.
    let anchor = |names: &[&str]| {
        let path = fx.path(&format!("anchor-{}.toml", names.join("-")));
        std::fs::write(
            &path,
            format!(
                "[governance]\nthreshold = 2\ngovernors = [\n{}]\n",
                gov(names)
            ),
        )
        .unwrap();
        path
    };
    let mine = anchor(&["erin", "frank", "gail"]);
    let (ok, out) = run(
        &fx,
        &["audit", "verify", "--governors", mine.to_str().unwrap()],
    );
    assert!(
        ok && out.contains("anchored to the governors given"),
        "{out}"
    );
    let theirs = anchor(&["hank", "ivy"]);
    let (ok, out) = run(
        &fx,
        &["audit", "verify", "--governors", theirs.to_str().unwrap()],
    );
    assert!(
        !ok && out.contains("release 1 of the rules does not hold"),
        "{out}"
    );
    let refused = crate::hardening::records(&fx)
        .into_iter()
        .filter(|r| r.kind == "config.refused")
        .count();
    assert!(refused >= 3, "each refusal is recorded: {refused}");
}
