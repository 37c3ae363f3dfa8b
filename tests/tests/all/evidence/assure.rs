//! `warrant assure` on the example setup (signed rules, approvals for every
//! high-impact tool) and on a deliberately weak config (no approval
//! policy, week-long tokens, unsigned rules): the differences are named,
//! and the OSCAL output validates against NIST's OSCAL 1.0.6 assessment
//! results schema.

use std::path::Path;
use std::process::Command;

use warrant_tests::{Fixture, PERMIT_ALL, PluginSpec};

fn assure(config: &Path, args: &[&str]) -> String {
    let mut c = Command::new(warrant_tests::fixture_cli());
    if warrant_tests::embeds_cli() {
        c.env(warrant_tests::EMBEDDED_CLI_ENV, "1");
    }
    let out = c
        .arg("assure")
        .args(args)
        .env("WARRANT_CONFIG", config)
        .output()
        .unwrap();
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{text}");
    text
}

fn line<'a>(text: &'a str, control: &str) -> &'a str {
    text.lines()
        .find(|l| l.contains(&format!(" {control} ")))
        .unwrap_or_else(|| panic!("no {control} in {text}"))
}

fn valid_oscal(file: &Path) {
    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("golden/oscal/oscal_assessment-results_schema.json"),
        )
        .unwrap(),
    )
    .unwrap();
    let doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(file).unwrap()).unwrap();
    let v = jsonschema::draft7::new(&schema).expect("the OSCAL schema compiles");
    let errors: Vec<String> = v
        .iter_errors(&doc)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "not valid OSCAL assessment results: {errors:#?}"
    );
    assert_eq!(
        doc["assessment-results"]["results"][0]["findings"]
            .as_array()
            .unwrap()
            .len(),
        12
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn assure_names_what_a_weak_config_lacks_and_writes_valid_oscal() {
    let (tmp, config) = crate::example_setup::example_signed();
    let strong = assure(&config, &[]);
    for c in ["WA-03", "WA-07", "WA-05", "WA-04"] {
        assert!(line(&strong, c).starts_with("MET"), "{c}: {strong}");
    }
    assert!(
        strong.contains("every high-impact tool needs an approval"),
        "{strong}"
    );
    let file = tmp.path().join("oscal.json");
    assure(
        &config,
        &["--format", "oscal", "--out", file.to_str().unwrap()],
    );
    valid_oscal(&file);
    let page = tmp.path().join("assure.html");
    assure(
        &config,
        &["--format", "html", "--out", page.to_str().unwrap()],
    );
    assert!(
        std::fs::read_to_string(&page)
            .unwrap()
            .contains("Controls for AI agents")
    );

    // No approval policy, tokens for a week, rules in files nobody signed,
    // agents without workload identities.
    let weak =
        Fixture::builder()
            .plugin(PluginSpec::new("case-note").grants(
                "files = [{ host = \"cases\", guest = \"/cases\", access = \"read-write\" }]",
            ))
            .agent("triage-bot", &["case-note.append"])
            .agent("intel-bot", &["case-note.append"])
            .policy(PERMIT_ALL)
            .host_lines("max-token-ttl = \"168h\"")
            .build()
            .await;
    let text = assure(&weak.config_path(), &[]);
    assert!(line(&text, "WA-03").starts_with("NOT MET"), "{text}");
    assert!(
        text.contains("case-note.append for triage-bot: ALLOWED without an approval"),
        "{text}"
    );
    assert!(line(&text, "WA-02").starts_with("NOT MET"), "{text}");
    assert!(line(&text, "WA-07").starts_with("NOT MET"), "{text}");
    assert!(line(&text, "WA-06").starts_with("PARTLY MET"), "{text}");
    let file = weak.path("oscal.json");
    assure(
        &weak.config_path(),
        &["--format", "oscal", "--out", file.to_str().unwrap()],
    );
    valid_oscal(&file);
}
