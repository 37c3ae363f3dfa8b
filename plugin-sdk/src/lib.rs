//! # warrant-sdk: write a warrant tool in Rust
//!
//! A warrant plugin is a WebAssembly component that offers one or more
//! *tools*. The host runs each call in a fresh sandbox that can do only what
//! the plugin's signed manifest grants, so a tool is plain Rust: take typed
//! input, return typed output or a typed error.
//!
//! A new tool crate needs `[lib] crate-type = ["cdylib"]` and the
//! dependencies `warrant-sdk`, `serde` (with `derive`) and `schemars` 1.x in
//! its `Cargo.toml`; then `src/lib.rs` is the whole tool:
//!
//! ```no_run
//! // Build: cargo build --release --target wasm32-wasip2
//! use schemars::JsonSchema;
//! use serde::{Deserialize, Serialize};
//! use warrant_sdk::{Impact, Tool, ToolError};
//!
//! #[derive(Deserialize, JsonSchema)]
//! #[serde(deny_unknown_fields)]
//! struct Input {
//!     /// Text to count words in.
//!     text: String,
//! }
//!
//! #[derive(Serialize, JsonSchema)]
//! struct Output {
//!     words: usize,
//! }
//!
//! struct WordCount;
//!
//! impl Tool for WordCount {
//!     const NAME: &'static str = "word-count";
//!     const DESCRIPTION: &'static str = "Count the words in a text";
//!     const IMPACT: Impact = Impact::Read;
//!     type Input = Input;
//!     type Output = Output;
//!
//!     fn call(input: Input) -> Result<Output, ToolError> {
//!         if input.text.is_empty() {
//!             return Err(ToolError::invalid_input("`text` is empty"));
//!         }
//!         warrant_sdk::log::info("counting words");
//!         Ok(Output { words: input.text.split_whitespace().count() })
//!     }
//! }
//!
//! warrant_sdk::export_plugin!(WordCount);
//! ```
//!
//! The crate is a `cdylib` (`[lib] crate-type = ["cdylib"]`) built with plain
//! `cargo build --release --target wasm32-wasip2`; the result in
//! `target/wasm32-wasip2/release/<name>.wasm` is the component. Then:
//!
//! * `warrant inspect target/wasm32-wasip2/release/<name>.wasm` shows what it
//!   imports and the tools it reports;
//! * `warrant sign manifest.toml --key KEY` pins its bytes and tools in a
//!   signed manifest that an operator can review and trust.
//!
//! ## What a tool can reach
//!
//! Nothing, unless the manifest grants it: files through `std::fs` under the
//! granted guest paths, outbound HTTP through `wasi:http` to granted origins,
//! environment variables the operator sets, and secrets through [`secret`].
//! Everything else fails as if it did not exist.

// The generated bindings refer to this crate by its absolute path, so that the
// export macro works from an author's crate without naming `wit-bindgen`.
extern crate self as warrant_sdk;

mod error;
#[cfg(feature = "http")]
pub mod http;
pub mod log;
mod tool;

pub use error::ToolError;
pub use schemars::{self, JsonSchema};
pub use serde;
pub use serde_json;
pub use tool::{Impact, Tool};

#[doc(hidden)]
pub use wit_bindgen as __wit_bindgen;

/// Bindings generated from `wit/world.wit`. Authors use [`export_plugin!`]
/// instead of these.
#[doc(hidden)]
#[allow(unsafe_code, missing_debug_implementations, missing_docs)]
pub mod bindings {
    wit_bindgen::generate!({
        world: "plugin-with-outputs",
        path: "wit",
        pub_export_macro: true,
        export_macro_name: "__export_plugin_world",
        default_bindings_module: "::warrant_sdk::bindings",
        runtime_path: "::warrant_sdk::__wit_bindgen::rt",
    });
}

/// Read a secret that the plugin's signed manifest grants, by name.
///
/// The operator supplies the value; the host answers only for names listed
/// under `grants.secrets`, and never logs the value.
///
/// # Errors
///
/// [`ToolError::Failed`] naming the secret when it is not granted or not set.
pub fn secret(name: &str) -> Result<String, ToolError> {
    bindings::warrant::plugin::host::secret(name)
        .map_err(|why| ToolError::failed(format!("secret `{name}`: {why}")))
}

#[doc(hidden)]
pub mod __private {
    pub use crate::tool::{describe, describe_output, dispatch};
}

/// Export one or more [`Tool`]s as this crate's warrant component.
///
/// Use it once, at the crate root, naming every tool type:
///
/// ```ignore
/// warrant_sdk::export_plugin!(Search, Tail);
/// ```
#[macro_export]
macro_rules! export_plugin {
    ($($tool:ty),+ $(,)?) => {
        struct __WarrantPlugin;

        impl $crate::bindings::Guest for __WarrantPlugin {
            fn tools() -> ::std::vec::Vec<$crate::bindings::warrant::plugin::types::Tool> {
                ::std::vec![$($crate::__private::describe::<$tool>()),+]
            }

            fn outputs() -> ::std::vec::Vec<$crate::bindings::warrant::plugin::types::ToolOutput> {
                ::std::vec![$($crate::__private::describe_output::<$tool>()),+]
            }

            fn call(
                tool: ::std::string::String,
                input: ::std::string::String,
            ) -> ::std::result::Result<
                ::std::string::String,
                $crate::bindings::warrant::plugin::types::CallError,
            > {
                $(
                    if tool == <$tool as $crate::Tool>::NAME {
                        return $crate::__private::dispatch::<$tool>(&input);
                    }
                )+
                ::std::result::Result::Err(
                    $crate::bindings::warrant::plugin::types::CallError::InvalidInput(
                        ::std::format!("this plugin has no tool named `{tool}`"),
                    ),
                )
            }
        }

        $crate::bindings::__export_plugin_world!(__WarrantPlugin with_types_in $crate::bindings);
    };
}
