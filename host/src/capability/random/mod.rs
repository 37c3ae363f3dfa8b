//! Real randomness.
//!
//! - manifest: `random = true`;
//! - sandbox: `wasi:random/*` is linked for every plugin (language runtimes
//!   import it); without the grant every generator returns a fixed
//!   sequence. The bytes one host call may ask for are bounded either way.

use std::path::Path;

use wasmtime::component::Linker;
use wasmtime_wasi::WasiCtxBuilder;
use wasmtime_wasi::random::{WasiRandom, WasiRandomView};

use crate::capability::{CallView, Capability, FieldError, GrantError, Grants, NoUse, Resolve};

/// The randomness capability.
#[derive(Debug)]
pub struct Random;

impl Capability for Random {
    const NAME: &'static str = "random";
    const GRANT_DOC: &'static str = "Real randomness (without it: a fixed sequence).";
    const ALWAYS_WRITTEN: bool = true;
    type Grant = bool;
    type Terms = ();

    fn check(_: &bool, _: &Grants) -> Result<(), FieldError> {
        Ok(())
    }

    fn is_empty(grant: &bool) -> bool {
        !grant
    }

    fn review(grant: &bool, (): &(), out: &mut Vec<String>) {
        out.push(if *grant {
            "gets real randomness".into()
        } else {
            "gets a fixed, predictable random sequence".into()
        });
    }

    type Ceiling = ();

    fn ceiling(_: Option<&[String]>, _: &Path) -> Result<(), String> {
        Ok(())
    }

    type Supply = ();

    fn supply_is_empty((): &()) -> bool {
        true
    }

    type Granted = bool;

    fn resolve(r: Resolve<'_, Self>) -> Result<bool, GrantError> {
        Ok(*r.grant)
    }

    fn requested(grant: &bool, (): &(), _: &Path) -> bool {
        *grant
    }

    const IMPORTS: &'static [&'static str] = &[
        "wasi:random/random",
        "wasi:random/insecure",
        "wasi:random/insecure-seed",
    ];

    fn describe_import(_: &str, granted: Option<&bool>) -> String {
        if granted == Some(&true) {
            "randomness — granted: real randomness".into()
        } else {
            "randomness — imported, inert: a fixed sequence unless a manifest grants randomness"
                .into()
        }
    }

    fn link<T: CallView>(l: &mut Linker<T>) -> wasmtime::Result<()> {
        use wasmtime_wasi::p2::bindings::random;
        random::random::add_to_linker::<T, WasiRandom>(l, T::random)?;
        random::insecure::add_to_linker::<T, WasiRandom>(l, T::random)?;
        random::insecure_seed::add_to_linker::<T, WasiRandom>(l, T::random)
    }

    fn wasi(b: &mut WasiCtxBuilder, granted: &bool) -> Result<(), String> {
        if !granted {
            b.secure_random(wasmtime_wasi::Deterministic::new(vec![0x5a; 32]))
                .insecure_random(wasmtime_wasi::Deterministic::new(vec![0xa5; 32]))
                .insecure_random_seed(0);
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
