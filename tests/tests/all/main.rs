//! warrant's integration tests: one binary, real components built by
//! `tests/build.rs`, real hosts, real signatures, real clients.

mod accountability;
mod api;
mod approvals;
mod audit;
mod audit_faults;
mod audit_format;
mod audit_incremental;
mod audit_index;
mod audit_samples;
mod audit_scale;
mod authors;
mod authz_order;
mod backends;
mod backends_uses;
mod conformance;
mod console;
mod crash;
mod credentials;
mod docs;
mod evidence;
mod example_setup;
mod examples;
mod findings;
mod fleet;
mod governance;
mod grants;
mod hardening;
mod http;
mod identity;
mod layers;
mod lifecycle;
mod limits;
mod lists;
mod manifests;
mod notifications;
mod observability;
mod operators;
mod protocol;
mod sandbox;
mod segments;
mod stops;
mod structured;
mod tasks;
mod trace;

/// Every component the build produces must have tests that use it.
#[test]
fn every_component_is_tested() {
    let sources: String = [
        "accountability.rs",
        "api.rs",
        "approvals.rs",
        "audit.rs",
        "audit_faults.rs",
        "conformance/mod.rs",
        "credentials/binding.rs",
        "examples.rs",
        "grants.rs",
        "http.rs",
        "limits.rs",
        "manifests.rs",
        "sandbox.rs",
        "stops.rs",
    ]
    .iter()
    .map(|f| {
        std::fs::read_to_string(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("tests/all")
                .join(f),
        )
        .unwrap()
    })
    .collect();
    for (package, _) in warrant_tests::COMPONENTS {
        assert!(
            sources.contains(&format!("\"{package}\"")),
            "component {package} has no test"
        );
    }
}
