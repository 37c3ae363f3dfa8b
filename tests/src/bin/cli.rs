//! The `warrant` command line, built inside the test crate so that
//! integration tests can run it as a second process
//! (`env!("CARGO_BIN_EXE_warrant-test-cli")`).

fn main() -> std::process::ExitCode {
    warrant::cli::main()
}
