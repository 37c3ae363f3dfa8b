//! Resource limits of one plugin.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::units::MIB;

/// The limits every call of one plugin runs under.
///
/// [`Limits::default`] is deliberately small; a manifest raises what a plugin
/// needs and the operator's host config caps what any plugin may ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Limits {
    /// Linear memory, in bytes, summed over the instance's memories.
    pub memory: u64,
    /// Wall-clock time for one call, from instantiation to result.
    pub timeout: Duration,
    /// Largest output (JSON text), in bytes.
    pub output: u64,
    /// Fuel (a deterministic CPU budget), when the engine meters fuel.
    pub fuel: Option<u64>,
    /// Concurrent instances of this plugin; calls beyond it are refused.
    pub max_instances: u32,
}

impl Default for Limits {
    /// 64 MiB memory, 5 s, 1 MiB output, no fuel budget, 16 instances.
    fn default() -> Self {
        Self {
            memory: 64 * MIB,
            timeout: Duration::from_secs(5),
            output: MIB,
            fuel: None,
            max_instances: 16,
        }
    }
}
