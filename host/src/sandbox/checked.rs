//! A component that passed the load-time checks.

use crate::sandbox::footprint::Footprint;
use crate::sandbox::imports::ComponentInterface;

/// A component that passed [`Sandbox::check`](crate::Sandbox::check): what it imports and exports,
/// and what one instantiation creates.
#[derive(Debug, Clone)]
pub struct Checked {
    /// Its imports and exports.
    pub interface: ComponentInterface,
    /// What one instantiation creates.
    pub footprint: Footprint,
}
