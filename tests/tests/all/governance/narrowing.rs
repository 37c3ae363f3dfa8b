//! What passes as narrowing — one governor's signature — is computed from
//! the whole change: a widening beside a narrowing (a field the review
//! reads, such as `require-dpop` or `mcp-prefix`, or an operator key
//! replaced under cover of its revocation) takes the full quorum, and the
//! review names it.

use super::{governed, run};

/// A key entry that is not carol's: the example publisher's public key.
const OTHER_KEY: &str = "t79dpAGyJwaXa/afok7kht6iriWj49I/4mH+Sm6ccRc=";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_widening_beside_a_narrowing_needs_the_full_quorum() {
    let fx = governed().await;
    fx.release(&["erin", "frank"]).await.unwrap();
    let needs_two = |e: warrant::operator::rules::RulesError| {
        let text = e.to_string();
        assert!(text.contains('2'), "refused for the quorum: {text}");
    };

    // DPoP required of triage-bot: narrowing, one signature.
    let dpop = "id = \"triage-bot\"\nrequire-dpop = true\n";
    fx.edit_config(|t| t.replace("id = \"triage-bot\"\n", dpop));
    let r = fx.release(&["erin"]).await.unwrap();
    assert_eq!(r.version, 2);

    // Lifting it again beside a narrowing (intel-bot loses its tool): the
    // review names it, and one signature is refused.
    fx.edit_config(|t| {
        t.replace(dpop, "id = \"triage-bot\"\n")
            .replace("tools = [\"ioc-extract.extract\"]", "tools = []")
    });
    let (ok, out) = run(&fx, &["config", "diff"]);
    assert!(
        ok && out.contains("agent triage-bot no longer needs DPoP-bound tokens")
            && out.contains("intel-bot loses tool ioc-extract.extract"),
        "{out}"
    );
    needs_two(fx.release(&["erin"]).await.unwrap_err());
    assert_eq!(fx.release(&["erin", "frank"]).await.unwrap().version, 3);

    // A plugin's tools renamed in MCP beside a narrowing: the same.
    fx.edit_config(|t| {
        t.replace(
            "manifest = \"adversary.toml\"\n",
            "manifest = \"adversary.toml\"\nmcp-prefix = false\n",
        )
        .replace("\"adversary.*\"", "\"adversary.echo\"")
    });
    let (ok, out) = run(&fx, &["config", "diff"]);
    assert!(ok && out.contains("mcp-prefix"), "{out}");
    needs_two(fx.release(&["erin"]).await.unwrap_err());
    assert_eq!(fx.release(&["erin", "frank"]).await.unwrap().version, 4);

    // carol's key replaced by another key, under a revocation far in the
    // future: not a revocation but a new key.
    fx.edit_config(|t| {
        t.replace(
            "{ id = \"carol-key\", public-key-file = \"operators/carol-key.pub\" }",
            &format!(
                "{{ id = \"carol-key\", public-key = \"{OTHER_KEY}\", revoked-at = \"2099-01-01T00:00:00Z\" }}"
            ),
        )
    });
    let (ok, out) = run(&fx, &["config", "diff"]);
    assert!(
        ok && out.contains("operator carol's key carol-key changes"),
        "{out}"
    );
    needs_two(fx.release(&["erin"]).await.unwrap_err());

    // An honest revocation still narrows: carol's own key, revoked.
    fx.edit_config(|t| {
        t.replace(
            &format!(
                "{{ id = \"carol-key\", public-key = \"{OTHER_KEY}\", revoked-at = \"2099-01-01T00:00:00Z\" }}"
            ),
            "{ id = \"carol-key\", public-key-file = \"operators/carol-key.pub\", revoked-at = \"2026-01-01T00:00:00Z\" }",
        )
    });
    let (ok, out) = run(&fx, &["config", "diff"]);
    assert!(
        ok && out.contains("operator carol's key carol-key is revoked"),
        "{out}"
    );
    assert_eq!(fx.release(&["erin"]).await.unwrap().version, 5);
    let (ok, out) = run(&fx, &["audit", "verify"]);
    assert!(ok, "{out}");
}
