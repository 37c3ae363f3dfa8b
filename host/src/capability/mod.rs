//! Capabilities: what a plugin may touch, one unit per capability.
//!
//! Each folder here holds everything about one capability, the way Spin's
//! factors do: its manifest grant and how it is checked, the plain-words
//! review, the operator's ceiling and what the operator supplies in
//! `[[plugins]]`, how the grant is resolved for the sandbox, which WIT
//! imports it answers and how they are linked into a plugin's linker, what
//! it adds to a call's WASI context, the values it must never let out, and
//! how its uses are recorded in the audit chain and shown.
//!
//! | unit | `[grants]` | `[ceilings]` | `[[plugins]]` | imports it answers | uses |
//! |---|---|---|---|---|---|
//! | [`files`] | `files` | `files` | `dirs` | `wasi:filesystem/*` (inert without a grant) | |
//! | [`http`] | `http` | `http` | | `wasi:http/*` (only with a grant) | `http` |
//! | [`credentials`] | `credentials` | `credentials` | `credentials` | (added to `http` requests) | `credential` |
//! | [`env`] | `env` | `env` | `env` | `wasi:cli/environment` (inert) | |
//! | [`secrets`] | `secrets` | `secrets` | `secrets` | (`warrant:plugin/host.secret`) | `secret` |
//! | [`clock`] | `clock` | | | `wasi:clocks/*` (frozen without a grant) | |
//! | [`random`] | `random` | | | `wasi:random/*` (fixed without a grant) | |
//!
//! The manifest, the config, the registry, the sandbox, the audit chain and
//! the console iterate over the registration below; none names a
//! capability. The sandbox composes each plugin's linker from the
//! capabilities it is granted.
//!
//! # Adding a capability
//!
//! A folder `capability/NAME/` with a type implementing [`Capability`],
//! and one line in the registration below. `toy/` (compiled for the unit
//! tests) is a complete one: a grant with a ceiling and an operator's
//! supply, a review line, an interface of its own linked only when
//! granted, and a recorded use — and its tests show each part at work.

#[macro_use]
mod formats;
#[macro_use]
mod registry;
#[macro_use]
pub(crate) mod schema;
mod common;
mod unit;
mod watch;

pub use common::{
    CallView, FieldError, GrantError, NoUse, Placement, Resolve, check_name_ceiling, check_names,
    names_ceiling, valid_var_name,
};
pub use unit::Capability;
pub use watch::{Issued, MIN_WATCHED, Scrubber, Secret, Watch};

capabilities! {
    files: Files,
    http: Http,
    credentials: Credentials,
    env: Env,
    secrets: Secrets,
    clock: Clock,
    random: Random,
    #[cfg(test)]
    toy: Toy,
}
