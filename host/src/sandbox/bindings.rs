//! Host-side bindings of the `warrant:plugin` world, generated from the same
//! WIT file the SDK uses (`plugin-sdk/wit/world.wit`).

wasmtime::component::bindgen!({
    path: "../plugin-sdk/wit",
    world: "plugin",
    exports: { default: async },
});

pub(crate) use self::warrant::plugin::host::Level;
pub(crate) use self::warrant::plugin::types::ToolOutput as WitToolOutput;
pub(crate) use self::warrant::plugin::types::{Impact as WitImpact, Tool as WitTool};
