//! Environment variables: names the manifest grants, values the operator
//! sets.
//!
//! - manifest: `env = ["INTEL_API"]`;
//! - operator: `[ceilings] env` (names), `[[plugins]] env = { INTEL_API =
//!   "…" }` (values; an unset one is simply absent);
//! - sandbox: `wasi:cli/environment` is linked for every plugin and shows
//!   exactly the granted variables the operator set — nothing inherited.

use std::collections::BTreeMap;
use std::path::Path;

use wasmtime::component::Linker;
use wasmtime_wasi::WasiCtxBuilder;
use wasmtime_wasi::cli::{WasiCli, WasiCliView};

use crate::capability::{
    CallView, Capability, FieldError, GrantError, Grants, NoUse, Resolve, check_name_ceiling,
    check_names, names_ceiling,
};
use crate::vocab::safe;

/// The environment capability.
#[derive(Debug)]
pub struct Env;

impl Capability for Env {
    const NAME: &'static str = "env";
    const GRANT_DOC: &'static str = "Environment variable names; the operator supplies the values.";
    const CEILING_DOC: &'static str = "Environment variable names that may be granted.";
    const SUPPLY_DOC: &'static str = "Values for the environment variables the manifest grants.";
    const ALWAYS_WRITTEN: bool = true;
    type Grant = Vec<String>;
    type Terms = ();

    fn check(grant: &Vec<String>, _: &Grants) -> Result<(), FieldError> {
        check_names(grant)
    }

    fn is_empty(grant: &Vec<String>) -> bool {
        grant.is_empty()
    }

    fn review(grant: &Vec<String>, (): &(), out: &mut Vec<String>) {
        out.push(if grant.is_empty() {
            "sees no environment variables".into()
        } else {
            format!(
                "sees environment variables {} with values the operator sets",
                safe(&grant.join(", "))
            )
        });
    }

    const CEILING: bool = true;
    type Ceiling = Option<Vec<String>>;

    fn ceiling(written: Option<&[String]>, _: &Path) -> Result<Self::Ceiling, String> {
        names_ceiling(written)
    }

    const SUPPLY: Option<&'static str> = Some("env");
    type Supply = BTreeMap<String, String>;

    fn supply_is_empty(supply: &Self::Supply) -> bool {
        supply.is_empty()
    }

    type Granted = Vec<(String, String)>;

    fn resolve(r: Resolve<'_, Self>) -> Result<Vec<(String, String)>, GrantError> {
        for (i, n) in r.grant.iter().enumerate() {
            check_name_ceiling("environment variable", n, r.ceiling.as_ref()).map_err(|why| {
                GrantError::Ceiling {
                    grant: format!("grants.env[{i}] ({n})"),
                    why,
                }
            })?;
        }
        let mut env = Vec::new();
        for (k, v) in r.supply {
            if !r.grant.contains(k) {
                return Err(GrantError::Config(format!(
                    "env sets {k}, which the manifest does not grant"
                )));
            }
            env.push((k.clone(), v.clone()));
        }
        Ok(env)
    }

    fn requested(grant: &Vec<String>, (): &(), _: &Path) -> Vec<(String, String)> {
        grant.iter().map(|k| (k.clone(), String::new())).collect()
    }

    fn for_review(_: &Vec<(String, String)>) -> Vec<(String, String)> {
        Vec::new()
    }

    const IMPORTS: &'static [&'static str] = &["wasi:cli/environment"];

    fn describe_import(_: &str, granted: Option<&Vec<(String, String)>>) -> String {
        match granted {
            None => "environment — only variables a manifest grants".into(),
            Some(g) if g.is_empty() => {
                "environment — imported, inert: no variable is granted".into()
            }
            Some(g) => {
                let names: Vec<&str> = g.iter().map(|(k, _)| k.as_str()).collect();
                format!("environment — granted: {} only", names.join(", "))
            }
        }
    }

    fn link<T: CallView>(l: &mut Linker<T>) -> wasmtime::Result<()> {
        wasmtime_wasi::p2::bindings::cli::environment::add_to_linker::<T, WasiCli>(l, T::cli)
    }

    fn wasi(b: &mut WasiCtxBuilder, granted: &Vec<(String, String)>) -> Result<(), String> {
        for (k, v) in granted {
            b.env(k, v);
        }
        Ok(())
    }

    type Use = NoUse;

    fn show(u: &NoUse) -> String {
        match *u {}
    }

    fn matches(u: &NoUse, _: &str, _: bool) -> bool {
        match *u {}
    }
}
