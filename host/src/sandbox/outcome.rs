//! How a call that did not return ended, in words an operator can act on:
//! the host's own interrupts (timeout, cancellation), the memory limit,
//! fuel, a host-call budget — or a crash of the plugin itself.

use wasmtime::{Store, Trap};

use crate::sandbox::CallFailure;
use crate::sandbox::state::{CallState, Interrupt};
use crate::vocab::CancelToken;

/// Turn a wasmtime error into the outcome an operator can act on.
pub(crate) fn classify_error(
    store: &Store<CallState>,
    err: &wasmtime::Error,
    cancel: &CancelToken,
) -> CallFailure {
    let data = store.data();
    let limits = data.caps.limits;
    match data.interrupt {
        Some(Interrupt::Cancelled) => return CallFailure::Cancelled(cancel.reason()),
        Some(Interrupt::Timeout) => {
            return CallFailure::Timeout {
                limit: limits.timeout,
            };
        }
        None => {}
    }
    if data.limiter.memory_hit {
        return CallFailure::MemoryLimit {
            limit: limits.memory,
        };
    }
    match err.downcast_ref::<Trap>() {
        Some(Trap::OutOfFuel) => CallFailure::FuelExhausted {
            limit: limits.fuel.unwrap_or(0),
        },
        Some(Trap::StackOverflow) => {
            CallFailure::Trap("stack overflow (recursion too deep)".into())
        }
        Some(Trap::Interrupt) if cancel.is_cancelled() => CallFailure::Cancelled(cancel.reason()),
        Some(Trap::Interrupt) => CallFailure::Timeout {
            limit: limits.timeout,
        },
        Some(trap) => {
            let mut msg = trap.to_string();
            if let Some(line) = data.stderr.last_line() {
                msg.push_str(&format!(" (stderr: {line})"));
            }
            CallFailure::Trap(msg)
        }
        None => {
            if let Some(budget) = budget_hit(err) {
                return CallFailure::Budget { budget };
            }
            // The root cause says what went wrong; the outer layers only
            // say where ("error while executing at wasm backtrace").
            let root = err.root_cause().to_string();
            let first = root.lines().next().unwrap_or("unknown error");
            CallFailure::Trap(first.to_owned())
        }
    }
}

/// Which host-call budget an error reports, in words, if any.
fn budget_hit(err: &wasmtime::Error) -> Option<String> {
    err.chain().find_map(|cause| {
        let text = cause.to_string();
        if text.contains("resource table has no free keys") {
            Some(format!(
                "{MAX_RESOURCES} open handles (files, streams, HTTP requests) at once"
            ))
        } else if text.contains("requested len") && text.contains("exceeds limit") {
            Some(format!(
                "{} random bytes per request ({text})",
                crate::sandbox::wasi::MAX_RANDOM_BYTES
            ))
        } else if text.contains("field size") || text.contains("HTTP request body size exceeds") {
            Some(format!(
                "HTTP header fields of at most {MAX_FIELD_BYTES} bytes ({text})"
            ))
        } else {
            None
        }
    })
}

/// Open handles (resources) one call may hold at once.
pub(crate) const MAX_RESOURCES: usize = 1024;
/// Largest HTTP header field a plugin may send or receive.
pub(crate) const MAX_FIELD_BYTES: usize = 16 * 1024;
