//! A toy capability, compiled for the unit tests only: the whole shape of
//! a capability in one folder, and the registration line that makes the
//! host use it (`#[cfg(test)] toy: Toy` in `capability/mod.rs`).
//!
//! - manifest: `toy = ["bell"]`, counters the plugin may bump;
//! - operator: `[ceilings] toy = ["bell"]` (names), `[[plugins]] toy = {
//!   bell = 10 }` (where each counter starts);
//! - sandbox: the interface `warrant:toy/counter` (`bump: func() -> u32`)
//!   (the first counter's start plus one) is linked only for a plugin
//!   granted a counter; a component importing
//!   it without the grant is refused at load;
//! - uses: each bump, with the counter and its new value.

#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};
use wasmtime::component::Linker;

use crate::capability::{
    CallView, Capability, CapabilityUse, FieldError, GrantError, Grants, Resolve,
    check_name_ceiling, names_ceiling,
};
use crate::vocab::safe;

/// One bump, as recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ToyUse {
    /// The counter.
    pub counter: String,
    /// Its value after the bump.
    pub value: u32,
}

/// The toy capability.
#[derive(Debug)]
pub struct Toy;

impl Capability for Toy {
    const NAME: &'static str = "toy";
    const GRANT_DOC: &'static str = "A test-only capability.";
    const CEILING_DOC: &'static str = "Toy names that may be granted.";
    const SUPPLY_DOC: &'static str = "Toy values.";
    type Grant = Vec<String>;
    type Terms = ();

    fn check(grant: &Vec<String>, _: &Grants) -> Result<(), FieldError> {
        for (i, c) in grant.iter().enumerate() {
            if c.is_empty() || !c.bytes().all(|b| b.is_ascii_lowercase()) {
                return Err(FieldError::new(
                    format!("[{i}]"),
                    format!("{c:?} must be lower-case letters"),
                ));
            }
        }
        Ok(())
    }

    fn is_empty(grant: &Vec<String>) -> bool {
        grant.is_empty()
    }

    fn review(grant: &Vec<String>, (): &(), out: &mut Vec<String>) {
        if !grant.is_empty() {
            out.push(format!("may bump the counters {}", safe(&grant.join(", "))));
        }
    }

    const CEILING: bool = true;
    type Ceiling = Option<Vec<String>>;

    fn ceiling(written: Option<&[String]>, _: &Path) -> Result<Self::Ceiling, String> {
        names_ceiling(written)
    }

    const SUPPLY: Option<&'static str> = Some("toy");
    type Supply = BTreeMap<String, u32>;

    fn supply_is_empty(supply: &Self::Supply) -> bool {
        supply.is_empty()
    }

    type Granted = Vec<(String, u32)>;

    fn resolve(r: Resolve<'_, Self>) -> Result<Self::Granted, GrantError> {
        let mut out = Vec::new();
        for (i, c) in r.grant.iter().enumerate() {
            check_name_ceiling("counter", c, r.ceiling.as_ref()).map_err(|why| {
                GrantError::Ceiling {
                    grant: format!("grants.toy[{i}] ({c})"),
                    why,
                }
            })?;
            out.push((c.clone(), r.supply.get(c).copied().unwrap_or(0)));
        }
        Ok(out)
    }

    fn requested(grant: &Vec<String>, (): &(), _: &Path) -> Self::Granted {
        grant.iter().map(|c| (c.clone(), 0)).collect()
    }

    const IMPORTS: &'static [&'static str] = &["warrant:toy/counter"];

    fn linked(granted: &Self::Granted) -> bool {
        !granted.is_empty()
    }

    fn refusal() -> &'static str {
        "the manifest grants no toy counter"
    }

    fn describe_import(_: &str, granted: Option<&Self::Granted>) -> String {
        match granted {
            Some(g) if !g.is_empty() => "toy counters — granted".into(),
            _ => "toy counters — needs a toy grant".into(),
        }
    }

    fn link<T: CallView>(l: &mut Linker<T>) -> wasmtime::Result<()> {
        let mut i = l.instance("warrant:toy/counter@0.1.0")?;
        i.func_wrap("bump", |mut store, (): ()| {
            let Some((counter, start)) = store.data().capabilities().toy.first().cloned() else {
                return Ok((0u32,));
            };
            let value = start.saturating_add(1);
            store
                .data_mut()
                .record(CapabilityUse::Toy(ToyUse { counter, value }));
            Ok((value,))
        })
    }

    type Use = ToyUse;
    const USE_KIND: &'static str = "toy";

    fn show(u: &ToyUse) -> String {
        format!("toy counter {} bumped to {}", u.counter, u.value)
    }

    fn matches(u: &ToyUse, what: &str, allowed: bool) -> bool {
        allowed && (what.is_empty() || u.counter == what)
    }
}
