//! Write to the host's log. Lines are attributed to the plugin and the call,
//! bounded in size and count by the host, and never reach the agent.

use crate::bindings::warrant::plugin::host::{self, Level};

/// Log at debug level.
pub fn debug(message: &str) {
    host::log(Level::Debug, message);
}

/// Log at info level.
pub fn info(message: &str) {
    host::log(Level::Info, message);
}

/// Log at warn level.
pub fn warn(message: &str) {
    host::log(Level::Warn, message);
}

/// Log at error level.
pub fn error(message: &str) {
    host::log(Level::Error, message);
}
