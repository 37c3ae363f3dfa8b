//! The assessment for people: plain text for a terminal, one HTML page for
//! a report (every value escaped by maud).

use maud::{DOCTYPE, html as maud_html};

use crate::assure::{Assessment, Status};

fn maps(a: &Assessment, f: &crate::assure::Finding) -> String {
    f.control
        .maps
        .iter()
        .map(|(s, refs)| {
            let name = a
                .sources
                .iter()
                .find(|x| &x.id == s)
                .map_or(s.as_str(), |x| x.id.as_str());
            format!("{name}: {}", refs.join(", "))
        })
        .collect::<Vec<_>>()
        .join("; ")
}

fn counts(a: &Assessment) -> String {
    let n = |s: Status| a.findings.iter().filter(|f| f.status == s).count();
    format!(
        "{} met, {} partly met, {} not met (of {} controls)",
        n(Status::Met),
        n(Status::Partly),
        n(Status::NotMet),
        a.findings.len()
    )
}

/// The assessment as text.
pub fn text(a: &Assessment) -> String {
    let mut out = format!(
        "warrant assure — {} at {}; chain: {}\n\n",
        a.config, a.time, a.period
    );
    for f in &a.findings {
        out.push_str(&format!(
            "{:<11} {} {}\n            {}\n",
            f.status.as_str().to_uppercase(),
            f.control.id,
            f.control.title,
            f.summary
        ));
        for e in &f.evidence {
            out.push_str(&format!("              - {e}\n"));
        }
        out.push_str(&format!("            maps to {}\n\n", maps(a, f)));
    }
    out.push_str(&format!("{}\n\nsources:\n", counts(a)));
    for s in &a.sources {
        out.push_str(&format!("  {}: {} <{}>\n", s.id, s.title, s.url));
    }
    out
}

/// The assessment as one HTML page.
pub fn html(a: &Assessment) -> String {
    maud_html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                title { "warrant assure — " (a.config) }
                style { "body{font:14px system-ui,sans-serif;margin:2em}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.4em;vertical-align:top}.met{background:#e6f4ea}.partly{background:#fff4e5}.not{background:#fce8e6}" }
            }
            body {
                h1 { "Controls for AI agents' tool calls" }
                p { (a.config) " — " (a.time) " — chain: " (a.period) }
                p { strong { (counts(a)) } }
                table {
                    tr { th { "control" } th { "status" } th { "why" } th { "what shows it" } th { "maps to" } }
                    @for f in &a.findings {
                        tr class=(match f.status { Status::Met => "met", Status::Partly => "partly", Status::NotMet => "not" }) {
                            td { (f.control.id) " " (f.control.title) }
                            td { (f.status.as_str()) }
                            td { (f.summary) }
                            td { ul { @for e in &f.evidence { li { (e) } } } }
                            td { (maps(a, f)) }
                        }
                    }
                }
                h2 { "Sources" }
                ul { @for s in &a.sources { li { (s.id) ": " (s.title) " — " a href=(s.url) { (s.url) } } } }
            }
        }
    }
    .into_string()
}
