//! `warrant policy test`: a passing and a failing case, the deciding
//! policies checked, the example SOC policies' own tests.

use warrant_tests::{Fixture, PluginSpec};

const POLICY: &str = r#"
@id("permit-all")
permit (principal, action, resource);

@id("no-secret-echo")
forbid (principal, action == Action::"adversary.echo", resource)
  when { context.args has text && context.args.text like "*secret*" };
"#;

const CASES: &str = r#"
[[case]]
name = "an ordinary echo is allowed"
agent = "bot"
tool = "adversary.echo"
args = { text = "hello" }
expect = "allow"
policies = ["permit-all"]

[[case]]
name = "an echo of a secret is refused"
agent = "bot"
tool = "adversary.echo"
args = { text = "the secret is 42" }
expect = "deny"
policies = ["no-secret-echo"]
"#;

#[tokio::test]
async fn policy_tests_pass_fail_and_name_the_deciding_policies() {
    let fx = Fixture::builder()
        .plugin(PluginSpec::new("adversary"))
        .agent("bot", &["adversary.*"])
        .policy(POLICY)
        .build()
        .await;
    std::fs::write(fx.path("good.tests.toml"), CASES).unwrap();
    let out = fx.cli(&[
        "policy",
        "test",
        "--cases",
        fx.path("good.tests.toml").to_str().unwrap(),
    ]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    assert!(text.contains("2 passed, 0 failed"), "{text}");
    // Wrong expectations: a wrong decision, and the right decision by the
    // wrong policy.
    let bad = CASES
        .replace("expect = \"allow\"", "expect = \"deny\"")
        .replace(
            "policies = [\"no-secret-echo\"]",
            "policies = [\"permit-all\"]",
        );
    std::fs::write(fx.path("bad.tests.toml"), bad).unwrap();
    let out = fx.cli(&[
        "policy",
        "test",
        "--cases",
        fx.path("bad.tests.toml").to_str().unwrap(),
    ]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        text.contains("FAIL  an ordinary echo is allowed")
            && text.contains("expected deny, got allow by permit-all"),
        "{text}"
    );
    assert!(
        text.contains("expected deny by permit-all, got it by no-secret-echo"),
        "{text}"
    );
    assert!(text.contains("0 passed, 2 failed"), "{text}");
    // A case file that names an unknown decision is refused with the file.
    std::fs::write(
        fx.path("odd.tests.toml"),
        "[[case]]\nname = \"x\"\nagent = \"bot\"\ntool = \"adversary.echo\"\nexpect = \"maybe\"\n",
    )
    .unwrap();
    let out = fx.cli(&[
        "policy",
        "test",
        "--cases",
        fx.path("odd.tests.toml").to_str().unwrap(),
    ]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success()
            && err.contains("odd.tests.toml")
            && err.contains("allow, deny or needs-approval"),
        "{err}"
    );
    // The schema a policy author can feed to Cedar's own tools.
    let out = fx.cli(&["policy", "schema"]);
    let schema = String::from_utf8_lossy(&out.stdout);
    assert!(
        schema.contains("action \"adversary.echo\"") && schema.contains("history"),
        "{schema}"
    );
}

#[tokio::test]
async fn the_example_soc_policies_pass_their_own_tests() {
    let (_tmp, config) = crate::manifests::example_copy();
    let out = std::process::Command::new(warrant_tests::fixture_cli())
        .args(["policy", "test", "--config", config.to_str().unwrap()])
        .env("RUST_LOG", "error")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains(" 0 failed"), "{text}");
}
