//! The assessment as NIST OSCAL assessment results (JSON, OSCAL 1.0.6), so
//! GRC tools read it: one result, one observation and one finding per
//! control — `satisfied` when met, `not-satisfied` otherwise, with the
//! status in words as a property — and the catalogue's sources as
//! back-matter resources.

use serde_json::{Value, json};

use crate::assure::{Assessment, Status};

/// The OSCAL version written.
pub const OSCAL_VERSION: &str = "1.0.6";
const NS: &str = "urn:warrant:assure";

/// A random (version 4) UUID.
fn uuid() -> String {
    let mut b = [0u8; 16];
    let _ = getrandom::fill(&mut b);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h = hex::encode(b);
    format!(
        "{}-{}-{}-{}-{}",
        &h[..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..]
    )
}

/// The assessment as an OSCAL `assessment-results` document.
pub fn oscal(a: &Assessment) -> Value {
    let mut observations = Vec::new();
    let mut findings = Vec::new();
    for f in &a.findings {
        let obs = uuid();
        let evidence: Vec<Value> = f
            .evidence
            .iter()
            .map(|e| json!({"description": e}))
            .collect();
        let mut o = json!({
            "uuid": obs,
            "title": format!("{} {}", f.control.id, f.control.title),
            "description": f.summary,
            "methods": ["EXAMINE", "TEST"],
            "collected": a.time,
        });
        if !evidence.is_empty() {
            o["relevant-evidence"] = json!(evidence);
        }
        observations.push(o);
        let mut props =
            vec![json!({"name": "status", "ns": NS, "value": f.status.as_str().replace(' ', "-")})];
        for (source, refs) in &f.control.maps {
            for r in refs {
                props.push(json!({"name": "maps-to", "ns": NS, "class": source, "value": r}));
            }
        }
        findings.push(json!({
            "uuid": uuid(),
            "title": format!("{} {}", f.control.id, f.control.title),
            "description": format!("{} {}", f.control.statement, f.summary),
            "props": props,
            "target": {
                "type": "objective-id",
                "target-id": f.control.id.to_lowercase(),
                "status": {
                    "state": if f.status == Status::Met { "satisfied" } else { "not-satisfied" },
                    "remarks": f.status.as_str(),
                },
            },
            "related-observations": [{"observation-uuid": obs}],
        }));
    }
    let controls: Vec<Value> = a
        .findings
        .iter()
        .map(|f| json!({"control-id": f.control.id.to_lowercase()}))
        .collect();
    let resources: Vec<Value> = a
        .sources
        .iter()
        .map(|s| json!({"uuid": uuid(), "title": s.title, "rlinks": [{"href": s.url}]}))
        .collect();
    json!({
        "assessment-results": {
            "uuid": uuid(),
            "metadata": {
                "title": "warrant assure: controls for AI agents' tool calls",
                "last-modified": a.time,
                "version": env!("CARGO_PKG_VERSION"),
                "oscal-version": OSCAL_VERSION,
            },
            "import-ap": {
                "href": "#warrant-controls",
                "remarks": "The assessment plan is warrant's controls catalogue (host/src/assure/catalog.toml), shipped with the host.",
            },
            "results": [{
                "uuid": uuid(),
                "title": format!("The rules in force and the audit chain of {}", a.config),
                "description": format!("Chain: {}.", a.period),
                "start": a.time,
                "end": a.time,
                "reviewed-controls": {
                    "control-selections": [{
                        "description": "Every control of warrant's catalogue.",
                        "include-controls": controls,
                    }],
                },
                "observations": observations,
                "findings": findings,
            }],
            "back-matter": {"resources": resources},
        }
    })
}
