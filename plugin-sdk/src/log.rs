//! Write to the host's log. Lines are attributed to the plugin and the call,
//! bounded in size and count by the host, and never reach the agent.

use crate::bindings::warrant::plugin::host::Level;

/// On wasm the line goes to the host; in native unit tests of a plugin's
/// logic, where there is no host, it goes to stderr.
fn write(level: Level, message: &str) {
    #[cfg(target_arch = "wasm32")]
    crate::bindings::warrant::plugin::host::log(level, message);
    #[cfg(not(target_arch = "wasm32"))]
    eprintln!("[{level:?}] {message}");
}

/// Log at debug level.
pub fn debug(message: &str) {
    write(Level::Debug, message);
}

/// Log at info level.
pub fn info(message: &str) {
    write(Level::Info, message);
}

/// Log at warn level.
pub fn warn(message: &str) {
    write(Level::Warn, message);
}

/// Log at error level.
pub fn error(message: &str) {
    write(Level::Error, message);
}
