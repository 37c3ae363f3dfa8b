//! The shared vocabulary: small value types every layer speaks — sizes and
//! durations, file access levels, HTTP origins, rates, versions, tool
//! impact, cancellation, canonical and strict JSON, terminal-safe text.
//!
//! This module sits at the bottom of the crate and imports nothing else of
//! it, so that `config`, `manifest`, `authz` and `sandbox` can share these
//! types without importing one another.

mod access;
mod cancel;
pub mod canon;
mod ids;
mod invalid;
mod json;
mod limits;
mod origin;
mod rate;
pub mod schema_doc;
mod text;
mod tool;
mod units;
mod url;
mod version;

pub use access::Access;
pub use cancel::CancelToken;
pub use ids::random_id;
pub use invalid::Invalid;
pub use json::{StrictJsonError, parse_strict, to_canonical, write_canonical};
pub use limits::Limits;
pub use origin::{HttpOrigin, MAX_HTTP_RESPONSE_BYTES, parse_origin, parse_target};
pub use rate::{Rate, parse_rate};
pub use text::{MAX_TEXT, cap, cap_at, safe, safe_json};
pub use tool::{Impact, ToolSpec, valid_plugin_id, valid_tool_name};
pub use units::{Bytes, GIB, KIB, MIB, Span, UnitError, parse_duration, parse_size};
pub use url::{redact_url, url_origin};
pub use version::{MAX_VERSION_PART, Version};
