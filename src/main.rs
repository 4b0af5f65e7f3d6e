//! The `sportello` command: parses arguments, runs a subcommand, maps errors to exit codes.

mod cli;

use std::process::ExitCode;

/// mimalloc: a request's analysis makes many small short-lived allocations on both batch
/// threads, where it is markedly faster than the system allocator (README, "Performance").
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    cli::main()
}
