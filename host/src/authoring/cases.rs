//! `warrant test`: an author's test cases, in TOML, run against the built
//! component under its manifest in the host's sandbox.
//!
//! ```toml
//! [[case]]
//! name = "the sandbox refuses an origin outside the grant"
//! tool = "lookup"
//! input = { indicator = "203.0.113.7" }
//! env = { INTEL_API = "https://elsewhere.example.net" }
//! expect = { error = "tool-error", refused = ["http:https://elsewhere.example.net:443"] }
//! ```

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;
use serde_json::Value;

use crate::authoring::{AuthoringError, CallEnv, DevSession};
use crate::capability::CapabilityUse;

/// A file of test cases.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TestCases {
    /// The cases, in order.
    #[serde(default, rename = "case")]
    pub cases: Vec<Case>,
}

/// One case: a call and what must come of it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Case {
    /// What the case shows, in words.
    pub name: String,
    /// The tool to call.
    pub tool: String,
    /// The input (a TOML table, sent as a JSON object).
    #[serde(default)]
    pub input: Option<toml::Value>,
    /// Environment variables for this call (granted ones only).
    #[serde(default)]
    pub env: BTreeMap<String, String>,
    /// Secrets for this call (granted ones only).
    #[serde(default)]
    pub secrets: BTreeMap<String, String>,
    /// What must happen.
    #[serde(default)]
    pub expect: Expect,
}

/// What a case expects.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expect {
    /// Fields the output must have (at least), with these values.
    pub output: Option<toml::Value>,
    /// The kind of failure: invalid-input, tool-error, timeout,
    /// memory-limit, output-limit, trap…
    pub error: Option<String>,
    /// Text the error must contain.
    pub message: Option<String>,
    /// Capabilities the sandbox must have refused: `http`, `secret`,
    /// `http:<origin>`, `secret:<NAME>`.
    #[serde(default)]
    pub refused: Vec<String>,
    /// Capabilities that must have been used and allowed.
    #[serde(default)]
    pub used: Vec<String>,
}

/// How one case went.
#[derive(Debug, Clone)]
pub struct CaseResult {
    /// The case's name.
    pub name: String,
    /// What did not match; empty when it passed.
    pub problems: Vec<String>,
    /// How long the call took.
    pub duration: Duration,
}

impl CaseResult {
    /// Whether the case passed.
    pub fn passed(&self) -> bool {
        self.problems.is_empty()
    }
}

impl TestCases {
    /// Read a cases file.
    ///
    /// # Ambient Authority
    ///
    /// Reads `path`, a file of the author's project.
    ///
    /// # Errors
    ///
    /// [`AuthoringError::Cases`] naming the line at fault.
    pub fn read(path: &Path) -> Result<Self, AuthoringError> {
        let bad = |why: String| AuthoringError::Cases {
            path: PathBuf::from(path),
            why,
        };
        let text = std::fs::read_to_string(path).map_err(|e| bad(e.to_string()))?;
        let cases: Self = toml::from_str(&text).map_err(|e| bad(e.to_string()))?;
        if cases.cases.is_empty() {
            return Err(bad("no [[case]] in it".into()));
        }
        Ok(cases)
    }
}

/// Run every case in order.
///
/// # Errors
///
/// [`AuthoringError`] when a case cannot be run at all (an env or secret
/// the manifest does not grant, a component that cannot load).
pub async fn run_cases(
    session: &DevSession,
    cases: &TestCases,
) -> Result<Vec<CaseResult>, AuthoringError> {
    let mut out = Vec::new();
    for case in &cases.cases {
        let input = match &case.input {
            Some(v) => to_json(v).to_string(),
            None => "{}".to_owned(),
        };
        let env = CallEnv {
            env: case.env.clone(),
            secrets: case.secrets.clone(),
        };
        let run = session.call(&case.tool, &input, &env).await?;
        let mut problems = check(&case.expect, &run.report);
        // A missing stub file is an ordinary 404; worth a word only when
        // the case failed.
        if !problems.is_empty() {
            for miss in run.stub_misses {
                problems.push(format!("(the stub had no response file {miss})"));
            }
        }
        out.push(CaseResult {
            name: case.name.clone(),
            problems,
            duration: run.report.duration,
        });
    }
    Ok(out)
}

fn check(expect: &Expect, report: &crate::sandbox::CallReport) -> Vec<String> {
    let mut problems = Vec::new();
    let wants_error = expect.error.is_some() || expect.message.is_some();
    match (&report.outcome, wants_error) {
        (Ok(out), false) => {
            if let Some(want) = &expect.output {
                match serde_json::from_str::<Value>(out) {
                    Ok(got) => {
                        if let Err(why) = matches(&to_json(want), &got, "output") {
                            problems.push(why);
                        }
                    }
                    Err(e) => problems.push(format!("the output is not JSON: {e}")),
                }
            }
        }
        (Ok(out), true) => problems.push(format!("expected an error, got the output {out}")),
        (Err(f), false) => problems.push(format!("expected output, got {}: {f}", f.kind())),
        (Err(f), true) => {
            if let Some(kind) = &expect.error {
                let kind = if kind == "failed" { "tool-error" } else { kind };
                if f.kind() != kind {
                    problems.push(format!("expected error {kind}, got {}: {f}", f.kind()));
                }
            }
            if let Some(text) = &expect.message
                && !f.to_string().contains(text.as_str())
            {
                problems.push(format!("the error does not mention {text:?}: {f}"));
            }
        }
    }
    for want in &expect.refused {
        if !report.uses.iter().any(|u| use_matches(u, want, false)) {
            problems.push(format!("expected the sandbox to refuse {want}; it did not"));
        }
    }
    for want in &expect.used {
        if !report.uses.iter().any(|u| use_matches(u, want, true)) {
            problems.push(format!(
                "expected {want} to be used and allowed; it was not"
            ));
        }
    }
    problems
}

fn use_matches(u: &CapabilityUse, want: &str, allowed: bool) -> bool {
    u.matches(want, allowed)
}

/// Whether `got` has everything `want` has (objects: these keys at least;
/// arrays and scalars: equal).
fn matches(want: &Value, got: &Value, at: &str) -> Result<(), String> {
    match (want, got) {
        (Value::Object(w), Value::Object(g)) => {
            for (k, wv) in w {
                let Some(gv) = g.get(k) else {
                    return Err(format!("{at}.{k} is missing"));
                };
                matches(wv, gv, &format!("{at}.{k}"))?;
            }
            Ok(())
        }
        (Value::Array(w), Value::Array(g)) if w.len() == g.len() => w
            .iter()
            .zip(g)
            .enumerate()
            .try_for_each(|(i, (wv, gv))| matches(wv, gv, &format!("{at}[{i}]"))),
        (Value::Number(w), Value::Number(g)) if w.as_f64() == g.as_f64() => Ok(()),
        (w, g) if w == g => Ok(()),
        (w, g) => Err(format!("{at} is {g}, expected {w}")),
    }
}

fn to_json(v: &toml::Value) -> Value {
    match v {
        toml::Value::String(s) => Value::String(s.clone()),
        toml::Value::Integer(i) => Value::from(*i),
        toml::Value::Float(f) => Value::from(*f),
        toml::Value::Boolean(b) => Value::Bool(*b),
        toml::Value::Datetime(d) => Value::String(d.to_string()),
        toml::Value::Array(a) => Value::Array(a.iter().map(to_json).collect()),
        toml::Value::Table(t) => {
            Value::Object(t.iter().map(|(k, v)| (k.clone(), to_json(v))).collect())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn output_matches_by_subset() {
        let got = serde_json::json!({"found": true, "verdict": "malicious", "score": 91});
        assert!(matches(&serde_json::json!({"found": true}), &got, "output").is_ok());
        let err = matches(&serde_json::json!({"verdict": "benign"}), &got, "output").unwrap_err();
        assert_eq!(err, "output.verdict is \"malicious\", expected \"benign\"");
        assert!(matches(&serde_json::json!({"x": 1}), &got, "output").is_err());
    }

    #[test]
    fn refusals_match_by_kind_and_target() {
        let u = CapabilityUse::Http(crate::capability::http::HttpUse {
            method: "GET".into(),
            origin: "https://x.example:443".into(),
            path: "/".into(),
            status: None,
            bytes: 0,
            refused: Some("not granted".into()),
            scrubbed: Vec::new(),
        });
        assert!(use_matches(&u, "http", false));
        assert!(use_matches(&u, "http:https://x.example:443", false));
        assert!(!use_matches(&u, "http:https://y.example:443", false));
        assert!(!use_matches(&u, "http", true));
        assert!(!use_matches(&u, "secret", false));
    }

    #[test]
    fn cases_parse_and_unknown_fields_are_refused() {
        let ok: TestCases = toml::from_str(
            "[[case]]\nname = \"a\"\ntool = \"t\"\ninput = { x = 1 }\nexpect = { error = \"timeout\" }\n",
        )
        .unwrap();
        assert_eq!(ok.cases[0].expect.error.as_deref(), Some("timeout"));
        assert!(
            toml::from_str::<TestCases>("[[case]]\nname = \"a\"\ntool = \"t\"\nbogus = 1\n")
                .is_err()
        );
    }
}
