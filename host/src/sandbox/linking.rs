//! One plugin's linker, composed from what it is granted: the baseline
//! every component gets (streams and polling, standard I/O and exit,
//! terminals, and sockets that can never open), the warrant host API, and
//! the interfaces of each capability linked for its grants
//! ([`Capabilities::link`]). No linker is kept per combination of grants.

use wasmtime::Engine;
use wasmtime::component::{HasData, HasSelf, Linker, ResourceTable};
use wasmtime_wasi::WasiView;
use wasmtime_wasi::cli::{WasiCli, WasiCliView};
use wasmtime_wasi::sockets::{WasiSockets, WasiSocketsView};

use crate::capability::Capabilities;
use crate::sandbox::bindings;
use crate::sandbox::state::CallState;

/// The baseline interfaces, by name (without version): linked for every
/// plugin, and inert — standard I/O is captured and bounded, stdin is
/// closed, and no socket can ever be opened nor a name looked up.
pub(crate) const BASELINE: &[&str] = &[
    "wasi:io/error",
    "wasi:io/poll",
    "wasi:io/streams",
    "wasi:cli/exit",
    "wasi:cli/stdin",
    "wasi:cli/stdout",
    "wasi:cli/stderr",
    "wasi:cli/terminal-input",
    "wasi:cli/terminal-output",
    "wasi:cli/terminal-stdin",
    "wasi:cli/terminal-stdout",
    "wasi:cli/terminal-stderr",
    "wasi:sockets/network",
    "wasi:sockets/instance-network",
    "wasi:sockets/tcp",
    "wasi:sockets/tcp-create-socket",
    "wasi:sockets/udp",
    "wasi:sockets/udp-create-socket",
    "wasi:sockets/ip-name-lookup",
];

/// The linker of a plugin granted `caps`; with `probe` (a component's
/// imports, for a review without a manifest) every capability it imports
/// is linked, inert.
pub(crate) fn compose(
    engine: &Engine,
    caps: &Capabilities,
    probe: Option<&[String]>,
) -> wasmtime::Result<Linker<CallState>> {
    let mut l: Linker<CallState> = Linker::new(engine);
    baseline(&mut l)?;
    bindings::Plugin::add_to_linker::<CallState, HasSelf<CallState>>(&mut l, |s| s)?;
    caps.link(&mut l, probe)?;
    Ok(l)
}

struct HasIo;

impl HasData for HasIo {
    type Data<'a> = &'a mut ResourceTable;
}

/// What [`BASELINE`] names. What a plugin may reach through it is decided
/// by the per-call WASI context (`wasi.rs`): sockets never.
fn baseline<T: WasiView>(l: &mut Linker<T>) -> wasmtime::Result<()> {
    use wasmtime_wasi::p2::bindings::{cli, sockets};
    use wasmtime_wasi_io::bindings::wasi::io;
    io::error::add_to_linker::<T, HasIo>(l, |t| t.ctx().table)?;
    io::poll::add_to_linker::<T, HasIo>(l, |t| t.ctx().table)?;
    io::streams::add_to_linker::<T, HasIo>(l, |t| t.ctx().table)?;
    cli::exit::add_to_linker::<T, WasiCli>(l, T::cli)?;
    cli::stdin::add_to_linker::<T, WasiCli>(l, T::cli)?;
    cli::stdout::add_to_linker::<T, WasiCli>(l, T::cli)?;
    cli::stderr::add_to_linker::<T, WasiCli>(l, T::cli)?;
    cli::terminal_input::add_to_linker::<T, WasiCli>(l, T::cli)?;
    cli::terminal_output::add_to_linker::<T, WasiCli>(l, T::cli)?;
    cli::terminal_stdin::add_to_linker::<T, WasiCli>(l, T::cli)?;
    cli::terminal_stdout::add_to_linker::<T, WasiCli>(l, T::cli)?;
    cli::terminal_stderr::add_to_linker::<T, WasiCli>(l, T::cli)?;
    let options = wasmtime_wasi::p2::bindings::LinkOptions::default();
    sockets::tcp::add_to_linker::<T, WasiSockets>(l, T::sockets)?;
    sockets::udp::add_to_linker::<T, WasiSockets>(l, T::sockets)?;
    sockets::udp_create_socket::add_to_linker::<T, WasiSockets>(l, T::sockets)?;
    sockets::tcp_create_socket::add_to_linker::<T, WasiSockets>(l, T::sockets)?;
    sockets::instance_network::add_to_linker::<T, WasiSockets>(l, T::sockets)?;
    sockets::network::add_to_linker::<T, WasiSockets>(l, &(&options).into(), T::sockets)?;
    sockets::ip_name_lookup::add_to_linker::<T, WasiSockets>(l, T::sockets)
}
