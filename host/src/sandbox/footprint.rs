//! How many core instances, memories and tables one instantiation of a
//! component creates, read from its bytes.
//!
//! The component model has no dynamic instantiation: everything a component
//! instantiates is written in its binary. A Rust component creates a handful
//! of core instances; a Python component from componentize-py some forty
//! (the interpreter, libc and their adapters are separate modules). The
//! sandbox's per-store limits are set from this count, so an ordinary
//! component of any language fits, and a component that would need more
//! than the host's ceiling is refused at load, naming both numbers.

use std::ops::AddAssign;

use wasmparser::{
    ComponentAlias, ComponentExternalKind, ComponentInstance, ComponentOuterAliasKind,
    ComponentTypeRef, Encoding, Instance, Parser, Payload,
};

use crate::sandbox::LoadError;

/// What one instantiation of a component creates.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Footprint {
    /// Core module instances.
    pub core_instances: u32,
    /// Linear memories defined by those instances.
    pub memories: u32,
    /// Tables defined by those instances.
    pub tables: u32,
    /// The largest initial size of any memory defined, in bytes: what one
    /// memory takes before the guest runs a single instruction.
    pub initial_memory: u64,
}

impl AddAssign for Footprint {
    fn add_assign(&mut self, o: Self) {
        self.core_instances = self.core_instances.saturating_add(o.core_instances);
        self.memories = self.memories.saturating_add(o.memories);
        self.tables = self.tables.saturating_add(o.tables);
        self.initial_memory = self.initial_memory.max(o.initial_memory);
    }
}

/// Added to the count for the per-store limits. The count is exact (it is
/// the number wasmtime's own pooling allocator computes); the slack only
/// keeps an unusual but valid component from failing on an off-by-one here,
/// and allows nothing a component could use: it cannot instantiate more than
/// its binary names.
const SLACK: Footprint = Footprint {
    core_instances: 4,
    memories: 2,
    tables: 4,
    initial_memory: 0,
};

/// The per-store limits for a component of footprint `f`.
pub(crate) fn with_slack(mut f: Footprint) -> Footprint {
    f += SLACK;
    f
}

/// One component being read: its module and component index spaces (what
/// instantiating each costs) and the cost of instantiating it.
#[derive(Default)]
struct ComponentFrame {
    modules: Vec<Footprint>,
    components: Vec<Footprint>,
    total: Footprint,
}

enum Frame {
    Component(ComponentFrame),
    Module(Footprint),
}

/// Count what instantiating the component `bytes` creates.
///
/// # Errors
///
/// [`LoadError::Invalid`] when the bytes do not parse or name an index that
/// does not exist.
pub fn footprint(bytes: &[u8]) -> Result<Footprint, LoadError> {
    let bad = |e: &dyn std::fmt::Display| LoadError::Invalid(e.to_string());
    let mut stack: Vec<Frame> = Vec::new();
    let mut result = None;
    for payload in Parser::new(0).parse_all(bytes) {
        let payload = payload.map_err(|e| bad(&e))?;
        match payload {
            Payload::Version { encoding, .. } => stack.push(match encoding {
                Encoding::Component => Frame::Component(ComponentFrame::default()),
                Encoding::Module => Frame::Module(Footprint {
                    core_instances: 1,
                    ..Footprint::default()
                }),
            }),
            Payload::End(_) => {
                let done = stack.pop();
                match (stack.last_mut(), done) {
                    (Some(Frame::Component(parent)), Some(Frame::Module(m))) => {
                        parent.modules.push(m);
                    }
                    (Some(Frame::Component(parent)), Some(Frame::Component(c))) => {
                        parent.components.push(c.total);
                    }
                    (None, Some(Frame::Component(c))) => result = Some(c.total),
                    _ => {}
                }
            }
            Payload::MemorySection(r) => {
                if let Some(Frame::Module(m)) = stack.last_mut() {
                    m.memories = m.memories.saturating_add(r.count());
                    for memory in r {
                        let memory = memory.map_err(|e| bad(&e))?;
                        let page = 1u64 << memory.page_size_log2.unwrap_or(16);
                        m.initial_memory =
                            m.initial_memory.max(memory.initial.saturating_mul(page));
                    }
                }
            }
            Payload::TableSection(r) => {
                if let Some(Frame::Module(m)) = stack.last_mut() {
                    m.tables = m.tables.saturating_add(r.count());
                }
            }
            Payload::InstanceSection(reader) => {
                let Some(Frame::Component(c)) = stack.last_mut() else {
                    continue;
                };
                for instance in reader {
                    if let Instance::Instantiate { module_index, .. } =
                        instance.map_err(|e| bad(&e))?
                    {
                        let cost = *c.modules.get(module_index as usize).ok_or_else(|| {
                            bad(&format!("core module {module_index} does not exist"))
                        })?;
                        c.total += cost;
                    }
                }
            }
            Payload::ComponentInstanceSection(reader) => {
                let Some(Frame::Component(c)) = stack.last_mut() else {
                    continue;
                };
                for instance in reader {
                    if let ComponentInstance::Instantiate {
                        component_index, ..
                    } = instance.map_err(|e| bad(&e))?
                    {
                        let cost =
                            *c.components.get(component_index as usize).ok_or_else(|| {
                                bad(&format!("component {component_index} does not exist"))
                            })?;
                        c.total += cost;
                    }
                }
            }
            Payload::ComponentAliasSection(reader) => {
                for alias in reader {
                    outer_alias(&mut stack, &alias.map_err(|e| bad(&e))?)?;
                }
            }
            Payload::ComponentImportSection(reader) => {
                let Some(Frame::Component(c)) = stack.last_mut() else {
                    continue;
                };
                for import in reader {
                    // An imported module or component is instantiated by
                    // this one but defined elsewhere: nothing to count yet.
                    match import.map_err(|e| bad(&e))?.ty {
                        ComponentTypeRef::Module(_) => c.modules.push(Footprint::default()),
                        ComponentTypeRef::Component(_) => c.components.push(Footprint::default()),
                        _ => {}
                    }
                }
            }
            Payload::ComponentExportSection(reader) => {
                let Some(Frame::Component(c)) = stack.last_mut() else {
                    continue;
                };
                // An export adds the exported item to its index space again.
                for export in reader {
                    let export = export.map_err(|e| bad(&e))?;
                    let i = export.index as usize;
                    match export.kind {
                        ComponentExternalKind::Module => {
                            let m = c.modules.get(i).copied().unwrap_or_default();
                            c.modules.push(m);
                        }
                        ComponentExternalKind::Component => {
                            let x = c.components.get(i).copied().unwrap_or_default();
                            c.components.push(x);
                        }
                        _ => {}
                    }
                }
            }
            _ => {}
        }
    }
    result.ok_or_else(|| LoadError::Invalid("this is not a component".into()))
}

/// An alias that adds to a module or component index space.
fn outer_alias(stack: &mut [Frame], alias: &ComponentAlias<'_>) -> Result<(), LoadError> {
    let (kind, count, index) = match *alias {
        ComponentAlias::Outer { kind, count, index } => (kind, count, index),
        ComponentAlias::InstanceExport {
            kind: kind @ (ComponentExternalKind::Module | ComponentExternalKind::Component),
            ..
        } => {
            // A module or component exported by an instance: defined by
            // something already counted; instantiating it again is not.
            if let Some(Frame::Component(c)) = stack.last_mut() {
                if kind == ComponentExternalKind::Module {
                    c.modules.push(Footprint::default());
                } else {
                    c.components.push(Footprint::default());
                }
            }
            return Ok(());
        }
        _ => return Ok(()),
    };
    let components: Vec<usize> = stack
        .iter()
        .enumerate()
        .filter(|(_, f)| matches!(f, Frame::Component(_)))
        .map(|(i, _)| i)
        .collect();
    let Some(&here) = components.last() else {
        return Ok(());
    };
    let outer = components
        .len()
        .checked_sub(1 + count as usize)
        .and_then(|i| components.get(i).copied())
        .ok_or_else(|| LoadError::Invalid(format!("outer alias count {count} is too deep")))?;
    let Frame::Component(o) = &stack[outer] else {
        return Ok(());
    };
    let cost = match kind {
        ComponentOuterAliasKind::CoreModule => o.modules.get(index as usize).copied(),
        ComponentOuterAliasKind::Component => o.components.get(index as usize).copied(),
        _ => return Ok(()),
    }
    .ok_or_else(|| LoadError::Invalid(format!("outer alias index {index} does not exist")))?;
    if let Frame::Component(c) = &mut stack[here] {
        match kind {
            ComponentOuterAliasKind::CoreModule => c.modules.push(cost),
            _ => c.components.push(cost),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_core_module_is_not_a_component() {
        assert!(footprint(b"\0asm\x01\0\0\0").is_err());
    }
}
