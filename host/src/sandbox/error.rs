//! What can go wrong in the sandbox, typed.

use std::time::Duration;

use crate::vocab::{Bytes, Span};

/// Why one call did not produce output. Each variant is one outcome an
/// operator can tell apart in the audit chain.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CallFailure {
    /// The tool rejected its input.
    #[error("the tool rejected its input: {0}")]
    InvalidInput(String),
    /// The tool ran and reported failure.
    #[error("the tool failed: {0}")]
    ToolFailed(String),
    /// The tool's output does not match its signed output schema; it is
    /// withheld.
    #[error("the tool's output does not match its signed output schema, so it is withheld: {0}")]
    InvalidOutput(String),
    /// The plugin has no tool of that name.
    #[error("plugin `{plugin}` has no tool `{tool}`")]
    UnknownTool {
        /// Plugin id.
        plugin: String,
        /// The tool asked for.
        tool: String,
    },
    /// The call ran past its wall-clock limit and was stopped.
    #[error("stopped after the plugin's time limit of {}", Span(*limit))]
    Timeout {
        /// The limit.
        limit: Duration,
    },
    /// The guest tried to grow memory past its limit.
    #[error("stopped: the plugin tried to use more than its memory limit of {}", Bytes(*limit))]
    MemoryLimit {
        /// The limit, in bytes.
        limit: u64,
    },
    /// The guest ran out of fuel.
    #[error("stopped: the plugin used up its fuel budget of {limit}")]
    FuelExhausted {
        /// The budget.
        limit: u64,
    },
    /// The guest returned more output than allowed.
    #[error("refused: the output is {} but the limit is {}", Bytes(*size), Bytes(*limit))]
    OutputTooLarge {
        /// Output size, in bytes.
        size: u64,
        /// The limit.
        limit: u64,
    },
    /// The guest hit one of the host-call budgets every call runs under
    /// (open handles, random bytes per call, HTTP field size, table size).
    #[error("stopped: the plugin hit its budget of {budget}")]
    Budget {
        /// The budget, in words.
        budget: String,
    },
    /// The guest trapped (a crash inside the plugin: panic, stack overflow,
    /// out-of-bounds access, unreachable).
    #[error("the plugin crashed: {0}")]
    Trap(String),
    /// Someone stopped the call (halt, quarantine, disable, shutdown).
    #[error("cancelled: {0}")]
    Cancelled(String),
    /// All instances this plugin may run at once are busy.
    #[error("refused: plugin `{plugin}` already runs its maximum of {limit} concurrent calls")]
    Busy {
        /// Plugin id.
        plugin: String,
        /// The instance cap.
        limit: u32,
    },
    /// The plugin put a value the host never lets out — a secret it was
    /// handed, a credential the host added — in its output, an error
    /// message or a log line: the call fails and nothing of it leaves.
    #[error(
        "blocked: {place} of the plugin held the value of {name}, which never leaves the host; the call's output is withheld"
    )]
    SecretBlocked {
        /// The secret's or credential's name (never its value).
        name: String,
        /// Where it was: `the output`, `an error message`, `a log line`.
        place: String,
    },
    /// The host could not set up the sandbox (not the plugin's fault).
    #[error("the host could not run the plugin: {0}")]
    Host(String),
}

impl CallFailure {
    /// A short stable name for the outcome, for the audit chain and metrics.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::InvalidInput(_) => "invalid-input",
            Self::ToolFailed(_) => "tool-error",
            Self::InvalidOutput(_) => "invalid-output",
            Self::UnknownTool { .. } => "unknown-tool",
            Self::Timeout { .. } => "timeout",
            Self::MemoryLimit { .. } => "memory-limit",
            Self::FuelExhausted { .. } => "fuel-exhausted",
            Self::OutputTooLarge { .. } => "output-limit",
            Self::Budget { .. } => "budget",
            Self::Trap(_) => "trap",
            Self::Cancelled(_) => "cancelled",
            Self::Busy { .. } => "busy",
            Self::SecretBlocked { .. } => "secret-blocked",
            Self::Host(_) => "host-error",
        }
    }
}

/// Why a component could not be compiled or loaded.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The bytes are not a valid WebAssembly component.
    #[error("not a valid WebAssembly component: {0}")]
    Invalid(String),
    /// The component imports something its grants do not allow, or that the
    /// host does not provide at all.
    #[error("refused import `{import}`: {why}")]
    Import {
        /// The import, e.g. `wasi:sockets/tcp@0.2.4`.
        import: String,
        /// Why it is refused.
        why: String,
    },
    /// The component does not export the `warrant:plugin` world.
    #[error("the component does not implement the warrant:plugin world: {0}")]
    NotAPlugin(String),
    /// A grant could not be set up (e.g. a granted directory is missing).
    #[error("grant cannot be set up: {0}")]
    Grant(String),
    /// A limit exceeds what this host allows any plugin.
    #[error("limit refused: {0}")]
    Limit(String),
    /// Listing the component's tools failed.
    #[error("the component failed to report its tools: {0}")]
    Tools(CallFailure),
    /// The compiled-component cache failed.
    #[error("compiled component cache: {0}")]
    Cache(String),
}
