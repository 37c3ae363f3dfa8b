//! Loading a component as a plugin, and running one call in a fresh store.

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::Semaphore;
use wasmtime::Store;

use crate::capability::credentials::Credential;
use crate::capability::{Capabilities, CapabilityUse, Watch};
use crate::sandbox::bindings::{CallError, PluginPre, WitImpact, WitTool};
use crate::sandbox::cache::CacheOutcome;
use crate::sandbox::checked::Checked;
use crate::sandbox::footprint::Footprint;
use crate::sandbox::imports::ComponentInterface;
use crate::sandbox::outcome::classify_error;
use crate::sandbox::state::CallState;
use crate::sandbox::{CallFailure, LoadError};
use crate::vocab::{CancelToken, HttpOrigin, Impact, ToolSpec};

/// Largest `tools()` answer accepted from a component.
const MAX_TOOLS_BYTES: u64 = 1024 * 1024;

/// How one call went.
#[derive(Debug, Clone)]
pub struct CallReport {
    /// The output (JSON text) or why there is none.
    pub outcome: Result<String, CallFailure>,
    /// What the plugin used during the call.
    pub uses: Vec<CapabilityUse>,
    /// Wall-clock time of the call, including instantiation.
    pub duration: Duration,
}

/// A loaded plugin: its pre-instantiated component, capabilities and tools.
/// Cheap to clone.
#[derive(Clone)]
pub struct LoadedPlugin {
    pub(crate) inner: Arc<PluginInner>,
}

pub(crate) struct PluginInner {
    pub(crate) id: Arc<str>,
    pub(crate) pre: PluginPre<CallState>,
    pub(crate) caps: Arc<Capabilities>,
    pub(crate) http: Arc<[HttpOrigin]>,
    pub(crate) credentials: Arc<[Credential]>,
    pub(crate) watch: Arc<Watch>,
    pub(crate) instances: Arc<Semaphore>,
    pub(crate) fuel: bool,
    pub(crate) tools: Vec<ToolSpec>,
    pub(crate) interface: ComponentInterface,
    pub(crate) footprint: Footprint,
    pub(crate) cache: CacheOutcome,
    pub(crate) tls: Arc<rustls::ClientConfig>,
}

impl std::fmt::Debug for LoadedPlugin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoadedPlugin")
            .field("id", &self.inner.id)
            .field("tools", &self.inner.tools)
            .field("caps", &self.inner.caps)
            .finish()
    }
}

enum Op<'a> {
    Tools,
    Call { tool: &'a str, input: &'a str },
}

enum OpOutput {
    /// The tools, and the output schemas of those that declare one.
    Tools(Vec<WitTool>, Vec<crate::sandbox::bindings::WitToolOutput>),
    Call(Result<String, CallError>),
}

impl LoadedPlugin {
    /// Wrap a pre-instantiated component and ask it for its tools.
    pub(crate) async fn prepare(
        id: &str,
        pre: PluginPre<CallState>,
        caps: Capabilities,
        fuel: bool,
        checked: Checked,
        cache: CacheOutcome,
        tls: Arc<rustls::ClientConfig>,
    ) -> Result<Self, LoadError> {
        let mut plugin = Self {
            inner: Arc::new(PluginInner {
                id: id.into(),
                pre,
                instances: Arc::new(Semaphore::new(caps.limits.max_instances as usize)),
                http: caps.http.origins.clone().into(),
                credentials: caps.credentials.clone().into(),
                watch: Arc::new(caps.watch()),
                caps: Arc::new(caps),
                fuel,
                tools: Vec::new(),
                interface: checked.interface,
                footprint: checked.footprint,
                cache,
                tls,
            }),
        };
        for name in plugin.inner.watch.too_short() {
            tracing::warn!(
                target: "warrant::sandbox",
                plugin = id,
                "the value of {name} is shorter than {} bytes: the host cannot tell it from ordinary text, so it does not block outputs holding it",
                crate::capability::MIN_WATCHED
            );
        }
        let tools = plugin.list_tools().await.map_err(LoadError::Tools)?;
        if let Some(inner) = Arc::get_mut(&mut plugin.inner) {
            inner.tools = tools;
        }
        Ok(plugin)
    }

    /// The plugin id.
    pub fn id(&self) -> &str {
        &self.inner.id
    }

    /// The tools the component reported when it was loaded.
    pub fn tools(&self) -> &[ToolSpec] {
        &self.inner.tools
    }

    /// The capabilities every call runs with.
    pub fn capabilities(&self) -> &Capabilities {
        &self.inner.caps
    }

    /// The component's imports and exports.
    pub fn interface(&self) -> &ComponentInterface {
        &self.inner.interface
    }

    /// What one instantiation creates (the component's count, before the
    /// sandbox's slack).
    pub fn footprint(&self) -> Footprint {
        self.inner.footprint
    }

    /// Whether the compiled component came from the on-disk cache.
    pub fn cache_outcome(&self) -> CacheOutcome {
        self.inner.cache
    }

    /// Run `tool` on `input` (JSON text) in a fresh instance.
    ///
    /// Never panics and never leaves state behind: the store, the instance
    /// and everything the guest allocated are dropped when the call ends,
    /// however it ends.
    pub async fn call(&self, tool: &str, input: &str, cancel: &CancelToken) -> CallReport {
        let start = Instant::now();
        if !self.inner.tools.iter().any(|t| t.name == tool) {
            return CallReport {
                outcome: Err(CallFailure::UnknownTool {
                    plugin: self.id().to_owned(),
                    tool: tool.to_owned(),
                }),
                uses: Vec::new(),
                duration: start.elapsed(),
            };
        }
        let (result, uses, blocked) = self.run(Op::Call { tool, input }, cancel).await;
        let limit = self.inner.caps.limits.output;
        let outcome = match result {
            Ok(OpOutput::Call(Ok(out))) if out.len() as u64 > limit => {
                Err(CallFailure::OutputTooLarge {
                    size: out.len() as u64,
                    limit,
                })
            }
            Ok(OpOutput::Call(Ok(out))) => Ok(out),
            Ok(OpOutput::Call(Err(CallError::InvalidInput(m)))) => {
                Err(CallFailure::InvalidInput(m))
            }
            Ok(OpOutput::Call(Err(CallError::Failed(m)))) => Err(CallFailure::ToolFailed(m)),
            Ok(OpOutput::Tools(..)) => Err(CallFailure::Host("unexpected answer".into())),
            Err(f) => Err(f),
        };
        let outcome = self.withhold(outcome, blocked);
        CallReport {
            outcome,
            uses,
            duration: start.elapsed(),
        }
    }

    /// Ask a fresh instance for its tools.
    ///
    /// # Errors
    ///
    /// [`CallFailure`] when the component traps or answers nonsense.
    pub async fn list_tools(&self) -> Result<Vec<ToolSpec>, CallFailure> {
        let (result, _, _) = self.run(Op::Tools, &CancelToken::new()).await;
        let OpOutput::Tools(tools, outputs) = result? else {
            return Err(CallFailure::Host("unexpected answer".into()));
        };
        let size: u64 = tools
            .iter()
            .map(|t| (t.name.len() + t.description.len() + t.input_schema.len()) as u64)
            .chain(
                outputs
                    .iter()
                    .map(|o| (o.name.len() + o.output_schema.len()) as u64),
            )
            .sum();
        if size > MAX_TOOLS_BYTES {
            return Err(CallFailure::OutputTooLarge {
                size,
                limit: MAX_TOOLS_BYTES,
            });
        }
        Ok(tools
            .into_iter()
            .map(|t| ToolSpec {
                output_schema: outputs
                    .iter()
                    .find(|o| o.name == t.name)
                    .map(|o| o.output_schema.clone()),
                name: t.name,
                description: t.description,
                input_schema: t.input_schema,
                impact: match t.impact {
                    WitImpact::Read => Impact::Read,
                    WitImpact::Write => Impact::Write,
                    WitImpact::High => Impact::High,
                },
            })
            .collect())
    }

    /// The outcome, unless it — or a log line of the call (`blocked`) —
    /// holds a value the host never lets out.
    fn withhold(
        &self,
        outcome: Result<String, CallFailure>,
        blocked: Option<(String, &'static str)>,
    ) -> Result<String, CallFailure> {
        let found = match &outcome {
            Ok(out) => self.inner.watch.find(out).map(|n| (n, "the output")),
            Err(f) => self
                .inner
                .watch
                .find(&f.to_string())
                .map(|n| (n, "an error message")),
        };
        match found.or(blocked) {
            Some((name, place)) => {
                tracing::warn!(target: "warrant::sandbox", plugin = %self.inner.id, "{place} held the value of {name}: blocked");
                Err(CallFailure::SecretBlocked {
                    name,
                    place: place.to_owned(),
                })
            }
            None => outcome,
        }
    }

    /// The longest one call may run.
    pub fn timeout(&self) -> std::time::Duration {
        self.inner.caps.limits.timeout
    }

    async fn run(
        &self,
        op: Op<'_>,
        cancel: &CancelToken,
    ) -> (
        Result<OpOutput, CallFailure>,
        Vec<CapabilityUse>,
        Option<(String, &'static str)>,
    ) {
        let inner = &self.inner;
        let limits = inner.caps.limits;
        let Ok(_permit) = Arc::clone(&inner.instances).try_acquire_owned() else {
            return (
                Err(CallFailure::Busy {
                    plugin: inner.id.to_string(),
                    limit: limits.max_instances,
                }),
                Vec::new(),
                None,
            );
        };
        if cancel.is_cancelled() {
            return (
                Err(CallFailure::Cancelled(cancel.reason())),
                Vec::new(),
                None,
            );
        }
        let mut store = match self.new_store(cancel) {
            Ok(s) => s,
            Err(f) => return (Err(f), Vec::new(), None),
        };
        let result = {
            let pre = &inner.pre;
            let store = &mut store;
            let work = async move {
                match op {
                    Op::Tools => {
                        let instance = pre.instance_pre().instantiate_async(&mut *store).await?;
                        let plugin = crate::sandbox::bindings::Plugin::new(&mut *store, &instance)?;
                        let tools = plugin.call_tools(&mut *store).await?;
                        let outputs = tool_outputs(&mut *store, &instance).await?;
                        Ok(OpOutput::Tools(tools, outputs))
                    }
                    Op::Call { tool, input } => {
                        let instance = pre.instantiate_async(&mut *store).await?;
                        instance
                            .call_call(&mut *store, tool, input)
                            .await
                            .map(OpOutput::Call)
                    }
                }
            };
            tokio::select! {
                biased;
                r = work => Some(r),
                () = cancel.cancelled() => None,
                () = tokio::time::sleep(limits.timeout) => None,
            }
        };
        let outcome = match result {
            Some(Ok(out)) => Ok(out),
            Some(Err(e)) => Err(classify_error(&store, &e, cancel)),
            None if cancel.is_cancelled() => Err(CallFailure::Cancelled(cancel.reason())),
            None => Err(CallFailure::Timeout {
                limit: limits.timeout,
            }),
        };
        let data = store.data();
        let mut blocked = data.blocked.clone();
        for (pipe, stream) in [(&data.stdout, "stdout"), (&data.stderr, "stderr")] {
            if let Some(name) = pipe.drain_to_tracing(&inner.id, stream, &inner.watch) {
                blocked.get_or_insert((name, "a log line"));
            }
        }
        let mut uses = data.uses.clone();
        uses.extend(data.http_gate.take_uses());
        (outcome, uses, blocked)
    }
}

/// The `outputs` export of a component built for `plugin-with-outputs`
/// (every component of the Rust SDK): each tool's output schema. A
/// component built for `plugin` alone has none.
async fn tool_outputs(
    store: &mut Store<CallState>,
    instance: &wasmtime::component::Instance,
) -> wasmtime::Result<Vec<crate::sandbox::bindings::WitToolOutput>> {
    let Some(index) = instance.get_export_index(&mut *store, None, "outputs") else {
        return Ok(Vec::new());
    };
    let f = instance.get_typed_func::<(), (Vec<crate::sandbox::bindings::WitToolOutput>,)>(
        &mut *store,
        &index,
    )?;
    let (outputs,) = f.call_async(&mut *store, ()).await?;
    Ok(outputs)
}
