//! The real clocks.
//!
//! - manifest: `clock = true`;
//! - sandbox: `wasi:clocks/wall-clock` and `/monotonic-clock` are linked for
//!   every plugin (language runtimes import them); without the grant the
//!   wall clock reads 1970-01-01T00:00:00Z and the monotonic clock stands
//!   still.

use std::path::Path;
use std::time::Duration;

use wasmtime::component::Linker;
use wasmtime_wasi::clocks::{WasiClocks, WasiClocksView};
use wasmtime_wasi::{HostMonotonicClock, HostWallClock, WasiCtxBuilder};

use crate::capability::{CallView, Capability, FieldError, GrantError, Grants, NoUse, Resolve};

/// The clock capability.
#[derive(Debug)]
pub struct Clock;

impl Capability for Clock {
    const NAME: &'static str = "clock";
    const GRANT_DOC: &'static str = "The real wall and monotonic clocks (without it: the epoch and a frozen clock).";
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
            "sees the real clock".into()
        } else {
            "sees a frozen clock (1970-01-01)".into()
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

    const IMPORTS: &'static [&'static str] = &["wasi:clocks/wall-clock", "wasi:clocks/monotonic-clock"];

    fn describe_import(_: &str, granted: Option<&bool>) -> String {
        if granted == Some(&true) {
            "clock — granted: the real clock".into()
        } else {
            "clock — imported, inert: frozen at 1970-01-01 unless a manifest grants the clock"
                .into()
        }
    }

    fn link<T: CallView>(l: &mut Linker<T>) -> wasmtime::Result<()> {
        use wasmtime_wasi::p2::bindings::clocks;
        clocks::wall_clock::add_to_linker::<T, WasiClocks>(l, T::clocks)?;
        clocks::monotonic_clock::add_to_linker::<T, WasiClocks>(l, T::clocks)
    }

    fn wasi(b: &mut WasiCtxBuilder, granted: &bool) -> Result<(), String> {
        if !granted {
            b.wall_clock(EpochClock).monotonic_clock(FrozenClock);
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

/// A wall clock that always reads 1970-01-01T00:00:00Z.
struct EpochClock;

impl HostWallClock for EpochClock {
    fn resolution(&self) -> Duration {
        Duration::from_secs(1)
    }

    fn now(&self) -> Duration {
        Duration::ZERO
    }
}

/// A monotonic clock that never advances.
struct FrozenClock;

impl HostMonotonicClock for FrozenClock {
    fn resolution(&self) -> u64 {
        1_000_000_000
    }

    fn now(&self) -> u64 {
        0
    }
}
