//! [`Capability`]: everything about one kind of grant, in one place — what
//! a manifest may ask for and how it is checked and reviewed, what the
//! operator caps and supplies, what the sandbox is built with, which
//! imports it answers and how they are linked, and how its uses are
//! recorded and shown.

use std::fmt::Debug;
use std::path::Path;

use serde::Serialize;
use serde::de::DeserializeOwned;
use wasmtime::component::Linker;
use wasmtime_wasi::WasiCtxBuilder;

use crate::capability::common::{CallView, FieldError, GrantError, Resolve};
use crate::capability::{Grants, Watch};

/// One capability. The registration in `capability/mod.rs` lists every
/// unit once; the manifest, the config, the registry, the sandbox, the
/// audit chain and the console iterate over that list.
pub trait Capability: 'static {
    /// Its key under `[grants]` (and in `[ceilings]`).
    const NAME: &'static str;
    /// Written in a document even when empty: the capabilities of manifest
    /// format 1 and of the first releases, whose signed documents carry
    /// the empty value — leaving it out would change their digests. A unit
    /// added later writes nothing when unused, so that no digest of an
    /// earlier document changes.
    const ALWAYS_WRITTEN: bool = false;

    /// What `[grants] NAME` means, for the manifest reference.
    const GRANT_DOC: &'static str = "";
    /// What `[ceilings] NAME` means, for the configuration reference.
    const CEILING_DOC: &'static str = "";
    /// What the operator supplies under its `[[plugins]]` key, for the
    /// configuration reference.
    const SUPPLY_DOC: &'static str = "";

    /// What a manifest asks for (`[grants] NAME = …`), as written.
    type Grant: Serialize
        + DeserializeOwned
        + schemars::JsonSchema
        + Default
        + Clone
        + Debug
        + PartialEq
        + Eq
        + Send
        + Sync;
    /// The grant checked and typed.
    type Terms: Clone + Debug + Default + PartialEq + Eq + Send + Sync;
    /// Check the grant (with the whole `[grants]`, for checks across
    /// capabilities) and read what it means.
    ///
    /// # Errors
    ///
    /// The field below `grants.NAME` at fault (e.g. `[0].guest`) and why.
    fn check(grant: &Self::Grant, all: &Grants) -> Result<Self::Terms, FieldError>;
    /// Whether the grant asks for nothing.
    fn is_empty(grant: &Self::Grant) -> bool;
    /// The plain-words review of the grant, one sentence per line, each
    /// string from the manifest escaped for a terminal.
    fn review(grant: &Self::Grant, terms: &Self::Terms, out: &mut Vec<String>);

    /// Whether `[ceilings] NAME = [...]` bounds this capability.
    const CEILING: bool = false;
    /// The ceiling, typed (`()` for a capability without one).
    type Ceiling: Clone + Debug + Default + PartialEq + Eq + Send + Sync;
    /// Read the operator's ceiling list (relative paths against `dir`).
    ///
    /// # Errors
    ///
    /// Why an entry cannot be read.
    fn ceiling(written: Option<&[String]>, dir: &Path) -> Result<Self::Ceiling, String>;

    /// Its key in a `[[plugins]]` entry, where the operator supplies or
    /// places what the grant names (`None`: nothing to supply).
    const SUPPLY: Option<&'static str> = None;
    /// What the operator supplies (`()` for nothing).
    type Supply: Serialize
        + DeserializeOwned
        + schemars::JsonSchema
        + Default
        + Clone
        + Debug
        + PartialEq
        + Send
        + Sync;
    /// Whether the operator supplies nothing.
    fn supply_is_empty(supply: &Self::Supply) -> bool;
    /// The digests a release of the rules pins for what is supplied but
    /// never archived (credential values): `secret:…` key → `sha256:…`.
    /// `manifest` is the entry's manifest path as written.
    ///
    /// # Ambient Authority
    ///
    /// May read files and variables the operator's entry names.
    fn pins(_supply: &Self::Supply, _manifest: &str, _dir: &Path) -> Vec<(String, String)> {
        Vec::new()
    }

    /// What the sandbox is built with: the grant as the operator placed
    /// and supplied it.
    type Granted: Clone + Debug + Default + Send + Sync;
    /// Resolve the grant against the operator's ceiling and supply.
    ///
    /// # Errors
    ///
    /// [`GrantError`] naming the grant beyond a ceiling, or the supply
    /// that would widen the grant or is missing.
    fn resolve(r: Resolve<'_, Self>) -> Result<Self::Granted, GrantError>;
    /// The grant as asked for, with no operator: directories where the
    /// manifest (in `dir`) places them, nothing supplied. For checks and
    /// reviews before a host is involved.
    fn requested(grant: &Self::Grant, terms: &Self::Terms, dir: &Path) -> Self::Granted;
    /// Whether what is granted can be used now (a granted directory
    /// exists): checked when a plugin is loaded.
    ///
    /// # Errors
    ///
    /// Why not.
    fn ready(_granted: &Self::Granted) -> Result<(), String> {
        Ok(())
    }
    /// What a review load (`warrant sign`, `inspect`) runs with.
    fn for_review(granted: &Self::Granted) -> Self::Granted {
        granted.clone()
    }

    /// The interfaces (`wasi:http/types`, without the version) whose
    /// imports this capability answers.
    const IMPORTS: &'static [&'static str] = &[];
    /// Whether its interfaces are linked for a plugin granted `granted`
    /// (a capability whose interfaces every language runtime imports
    /// links them always, inert without a grant).
    fn linked(_granted: &Self::Granted) -> bool {
        true
    }
    /// Why an import of it is refused when it is not linked.
    fn refusal() -> &'static str {
        "the manifest does not grant it"
    }
    /// What `import` lets a component do under `granted`, or under
    /// whatever a manifest might grant (`None`).
    fn describe_import(import: &str, granted: Option<&Self::Granted>) -> String;
    /// Add its interfaces to a plugin's linker.
    ///
    /// # Errors
    ///
    /// When wasmtime refuses a definition.
    fn link<T: CallView>(_linker: &mut Linker<T>) -> wasmtime::Result<()> {
        Ok(())
    }
    /// Add what it grants to a call's WASI context.
    ///
    /// # Errors
    ///
    /// Why it cannot be set up (e.g. a granted directory cannot be opened).
    fn wasi(_b: &mut WasiCtxBuilder, _granted: &Self::Granted) -> Result<(), String> {
        Ok(())
    }
    /// Add the values the host must never let out (secrets, credentials).
    fn watch(_granted: &Self::Granted, _watch: &mut Watch) {}

    /// One use recorded in a call's outcome (uninhabited for a capability
    /// that records none).
    type Use: Serialize + DeserializeOwned + Clone + Debug + PartialEq + Eq + Send + Sync;
    /// The `kind` its uses carry in the audit chain.
    const USE_KIND: &'static str = "";
    /// One use in plain words (not yet escaped for a terminal).
    fn show(u: &Self::Use) -> String;
    /// Whether `u` is the use a test case names (`kind[:what]`), allowed
    /// or refused.
    fn matches(u: &Self::Use, what: &str, allowed: bool) -> bool;
}
