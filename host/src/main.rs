//! `warrant`: the operator's command line. See `warrant --help`; the
//! commands are in the library's `cli` module.

fn main() -> std::process::ExitCode {
    warrant::cli::main()
}
