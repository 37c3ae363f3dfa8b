//! A reference page rendered from a JSON Schema made from the types a
//! parser reads (schemars): every key of every table, its type, default
//! and meaning (the doc comment), in the order of the types — so the page
//! and the parser cannot disagree. `warrant.toml` and manifests use it.

use serde_json::{Map, Value};

/// The Markdown reference of `schema`, under `intro` (title included).
#[must_use]
pub fn reference(schema: &Value, intro: &str) -> String {
    let r = Render {
        defs: schema
            .get("$defs")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default(),
    };
    let mut out = intro.to_owned();
    r.table(&mut out, "", schema);
    out
}

struct Render {
    defs: Map<String, Value>,
}

impl Render {
    /// `v` with a `$ref` followed.
    fn resolve<'a>(&'a self, v: &'a Value) -> &'a Value {
        match v.get("$ref").and_then(Value::as_str) {
            Some(r) => self.defs.get(r.trim_start_matches("#/$defs/")).unwrap_or(v),
            None => v,
        }
    }

    /// `v` without its `null` alternative (an optional value), and whether
    /// it had one.
    fn required<'a>(&'a self, v: &'a Value) -> &'a Value {
        for key in ["anyOf", "oneOf"] {
            if let Some(alts) = v.get(key).and_then(Value::as_array) {
                let some: Vec<&Value> = alts
                    .iter()
                    .filter(|a| a.get("type").and_then(Value::as_str) != Some("null"))
                    .collect();
                if some.len() == 1 {
                    return self.resolve(some[0]);
                }
            }
        }
        self.resolve(v)
    }

    /// A table's properties, if `v` is one.
    fn properties<'a>(&'a self, v: &'a Value) -> Option<&'a Map<String, Value>> {
        self.required(v)
            .get("properties")
            .and_then(Value::as_object)
    }

    /// The items of an array of tables, if `v` is one.
    fn table_items<'a>(&'a self, v: &'a Value) -> Option<&'a Value> {
        let v = self.required(v);
        let items = self.resolve(v.get("items")?);
        items.get("properties").map(|_| items)
    }

    /// The value type of a table of tables (`[x.NAME]`), if `v` is one.
    fn map_of_tables<'a>(&'a self, v: &'a Value) -> Option<&'a Value> {
        let values = self.resolve(self.required(v).get("additionalProperties")?);
        values.get("properties").map(|_| values)
    }

    /// The type in words.
    fn type_of(&self, v: &Value) -> String {
        let v = self.required(v);
        if let Some(e) = v.get("enum").and_then(Value::as_array) {
            return one_of(e.iter());
        }
        if let Some(alts) = v.get("oneOf").and_then(Value::as_array) {
            let consts: Vec<&Value> = alts.iter().filter_map(|a| a.get("const")).collect();
            if consts.len() == alts.len() {
                return one_of(consts.into_iter());
            }
        }
        let ty = match v.get("type") {
            Some(Value::String(t)) => t.clone(),
            Some(Value::Array(ts)) => ts
                .iter()
                .filter_map(Value::as_str)
                .filter(|t| *t != "null")
                .collect::<Vec<_>>()
                .join(" or "),
            _ => "value".into(),
        };
        match ty.as_str() {
            "array" => match v.get("items") {
                Some(i) => format!("array of {}", self.type_of(i)),
                None => "array".into(),
            },
            "object" if v.get("properties").is_some() => "table".into(),
            "object" => match v.get("additionalProperties") {
                Some(a) if a.is_object() => format!("table of {}", self.type_of(a)),
                _ => "table".into(),
            },
            "integer" => "integer".into(),
            other => other.into(),
        }
    }

    /// The rows of one table, then its nested tables, each under its path.
    fn table(&self, out: &mut String, path: &str, v: &Value) {
        let Some(props) = self.properties(v) else {
            return;
        };
        let mut rows = String::new();
        let mut nested: Vec<(String, &Value, &Value, bool)> = Vec::new();
        for (key, p) in props {
            let sub = if path.is_empty() {
                key.clone()
            } else {
                format!("{path}.{key}")
            };
            if self.properties(p).is_some() {
                nested.push((sub, p, p, false));
                continue;
            }
            if let Some(items) = self.table_items(p) {
                nested.push((sub, p, items, true));
                continue;
            }
            if let Some(values) = self.map_of_tables(p) {
                nested.push((format!("{sub}.NAME"), p, values, false));
            }
            let default = p
                .get("default")
                .filter(|d| !d.is_null())
                .map_or(String::new(), |d| format!("`{d}`"));
            rows.push_str(&format!(
                "| `{key}` | {} | {default} | {} |\n",
                self.type_of(p),
                cell(describe(p).or_else(|| describe(self.required(p))))
            ));
        }
        if !rows.is_empty() {
            if !out.ends_with("\n\n") {
                out.push('\n');
            }
            out.push_str("| key | type | default | meaning |\n|---|---|---|---|\n");
            out.push_str(&rows);
        }
        for (sub, field, p, many) in nested {
            let head = if many {
                format!("[[{sub}]]")
            } else {
                format!("[{sub}]")
            };
            let level = "#".repeat((2 + sub.matches('.').count()).min(6));
            out.push_str(&format!("\n{level} `{head}`\n\n"));
            // The field's own words, else the type's (unless they only
            // repeat the table's name).
            let about = [describe(field), describe(self.required(p))]
                .into_iter()
                .flatten()
                .find(|a| a.trim() != format!("`{head}`") && !a.trim().is_empty());
            if let Some(a) = about {
                out.push_str(&a);
                out.push_str("\n\n");
            }
            self.table(out, &sub, p);
        }
    }
}

/// `one of `a`, `b``.
fn one_of<'a>(values: impl Iterator<Item = &'a Value>) -> String {
    let names: Vec<String> = values
        .map(|v| format!("`{}`", v.as_str().unwrap_or("?")))
        .collect();
    format!("one of {}", names.join(", "))
}

/// A schema's description (the doc comment), if any.
fn describe(v: &Value) -> Option<String> {
    v.get("description")
        .and_then(Value::as_str)
        .map(str::to_owned)
}

/// One table cell: one line, pipes escaped.
fn cell(text: Option<String>) -> String {
    text.unwrap_or_default()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .replace('|', "\\|")
}
