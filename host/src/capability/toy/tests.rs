//! The toy capability at work in every part the host iterates over: the
//! manifest's grant, its review, the ceiling, the operator's supply, the
//! import check, the linker composed from the grants, a real component
//! calling it, and the recorded use.

use std::collections::BTreeMap;
use std::path::Path;

use wasmtime::component::{Component, Linker, ResourceTable};
use wasmtime::{Config, Engine, Store};
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};
use wasmtime_wasi_http::{WasiHttpCtx, WasiHttpCtxView, WasiHttpView};

use crate::capability::{
    CallView, Capabilities, CapabilityUse, CeilingsSection, GrantError, Grants, Placement,
    Supplies,
};

/// A component that imports the toy's interface and calls it.
const COMPONENT: &str = r#"
(component
  (import "warrant:toy/counter@0.1.0" (instance $c (export "bump" (func (result u32)))))
  (core func $bump (canon lower (func $c "bump")))
  (core instance $imports (export "bump" (func $bump)))
  (core module $m
    (import "toy" "bump" (func $bump (result i32)))
    (func (export "run") (result i32) (call $bump)))
  (core instance $i (instantiate $m (with "toy" (instance $imports))))
  (func (export "run") (result u32) (canon lift (core func $i "run"))))
"#;

struct Call {
    caps: Capabilities,
    uses: Vec<CapabilityUse>,
    wasi: WasiCtx,
    http: WasiHttpCtx,
    table: ResourceTable,
}

impl WasiView for Call {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

impl WasiHttpView for Call {
    fn http(&mut self) -> WasiHttpCtxView<'_> {
        WasiHttpCtxView {
            ctx: &mut self.http,
            table: &mut self.table,
            hooks: wasmtime_wasi_http::default_hooks(),
        }
    }
}

impl CallView for Call {
    fn capabilities(&self) -> &Capabilities {
        &self.caps
    }

    fn record(&mut self, u: CapabilityUse) {
        self.uses.push(u);
    }
}

fn resolve(grants: &str, ceilings: &str, supply: BTreeMap<String, u32>) -> Result<Capabilities, GrantError> {
    let grants: Grants = toml::from_str(grants).unwrap();
    let terms = grants.check().unwrap();
    let ceilings: CeilingsSection = toml::from_str(ceilings).unwrap();
    let ceilings = ceilings.read(Path::new(".")).unwrap();
    let supplies = Supplies {
        toy: supply,
        ..Supplies::default()
    };
    let at = Placement {
        manifest: "toy.toml",
        dir: Path::new("."),
        state_dir: Path::new("/nonexistent/state"),
        protected: &[],
        pins: None,
    };
    Capabilities::resolve(&grants, &terms, &supplies, &ceilings, &at, Default::default())
}

#[test]
fn the_grant_is_read_checked_reviewed_and_written_only_when_used() {
    let grants: Grants = toml::from_str("toy = [\"bell\"]\nclock = true").unwrap();
    assert_eq!(grants.toy, ["bell"]);
    let terms = grants.check().unwrap();
    assert!(grants.review(&terms).contains(&"may bump the counters bell".to_owned()));
    let bad: Grants = toml::from_str("toy = [\"Bell\"]").unwrap();
    assert_eq!(bad.check().unwrap_err().field, "grants.toy[0]");
    let written = serde_json::to_value(Grants::default()).unwrap();
    assert!(written.get("toy").is_none() && written.get("files").is_some());
    assert_eq!(serde_json::to_value(&grants).unwrap()["toy"][0], "bell");
    let unknown = toml::from_str::<Grants>("toys = []").unwrap_err().to_string();
    assert!(unknown.contains("`toy`"), "{unknown}");
}

#[test]
fn the_ceiling_and_the_supply_decide_what_is_granted() {
    let caps = resolve(
        "toy = [\"bell\"]",
        "toy = [\"bell\"]",
        BTreeMap::from([("bell".into(), 10)]),
    )
    .unwrap();
    assert_eq!(caps.toy, [("bell".to_owned(), 10)]);
    let err = resolve("toy = [\"gong\"]", "toy = [\"bell\"]", BTreeMap::new()).unwrap_err();
    assert!(err.to_string().contains("grants.toy[0] (gong)"), "{err}");
}

#[tokio::test]
async fn the_interface_is_linked_only_when_granted_and_its_use_recorded() {
    let granted = resolve("toy = [\"bell\"]", "", BTreeMap::from([("bell".into(), 10)])).unwrap();
    assert_eq!(granted.answer("warrant:toy/counter"), Some(Ok(())));
    assert_eq!(
        Capabilities::default().answer("warrant:toy/counter"),
        Some(Err("the manifest grants no toy counter"))
    );
    let engine = Engine::new(&Config::new()).unwrap();
    let component = Component::new(&engine, wat::parse_str(COMPONENT).unwrap()).unwrap();

    let run = |caps: Capabilities| {
        let engine = engine.clone();
        let component = component.clone();
        async move {
            let mut linker: Linker<Call> = Linker::new(&engine);
            caps.link(&mut linker, None).unwrap();
            let mut store = Store::new(
                &engine,
                Call {
                    caps,
                    uses: Vec::new(),
                    wasi: WasiCtx::builder().build(),
                    http: WasiHttpCtx::new(),
                    table: ResourceTable::new(),
                },
            );
            let instance: wasmtime::component::Instance =
                linker.instantiate_async(&mut store, &component).await?;
            let run = instance.get_typed_func::<(), (u32,)>(&mut store, "run")?;
            let (value,) = run.call_async(&mut store, ()).await?;
            wasmtime::Result::<(u32, Vec<CapabilityUse>)>::Ok((value, store.into_data().uses))
        }
    };
    let (value, uses) = run(granted).await.unwrap();
    assert_eq!(value, 11);
    assert_eq!(uses.len(), 1);
    assert_eq!(uses[0].show(), "toy counter bell bumped to 11");
    assert!(uses[0].matches("toy:bell", true));
    let json = serde_json::to_string(&uses[0]).unwrap();
    assert_eq!(json, r#"{"kind":"toy","counter":"bell","value":11}"#);
    assert_eq!(serde_json::from_str::<CapabilityUse>(&json).unwrap(), uses[0]);

    let refused = run(Capabilities::default()).await.unwrap_err();
    assert!(
        format!("{refused:#}").contains("warrant:toy/counter"),
        "not linked without the grant: {refused:#}"
    );
}
