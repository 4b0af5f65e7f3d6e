//! Command-line interface: one file per subcommand, each with `Args` and `run`.

mod batch;
mod check_data;
mod classify;
mod evaluate;
mod output;
mod redact;
mod train;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Exit codes, as documented in the README.
pub mod exit {
    /// Success (also when a request is sent to an operator: that is an answer too).
    pub const OK: u8 = 0;
    /// Bad arguments, unreadable files, bad data, bad model, or some batch lines failed.
    pub const ERROR: u8 = 2;
    /// Interrupted by Ctrl-C (128 + SIGINT); nothing was written.
    pub const INTERRUPTED: u8 = 130;
}

#[derive(Parser)]
#[command(
    name = "sportello",
    version,
    about = "Recommends the INPS benefit service that fits a citizen's request",
    long_about = "Reads a citizen's free-text request to INPS and recommends which benefit \
                  service applies, with a calibrated confidence, the words that drove the \
                  decision and what to do next. Below a confidence threshold the request goes \
                  to an operator."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Train a model from labelled requests and save it.
    Train(train::Args),
    /// Recommend a service for a request (argument, standard input, or a JSONL batch).
    Classify(classify::Args),
    /// Measure a model on labelled requests, or cross-validate training.
    Evaluate(evaluate::Args),
    /// Check a labelled file: counts, duplicates, near-duplicates, conflicting labels.
    CheckData(check_data::Args),
    /// Replace personal data (codice fiscale, IBAN, e-mail, phone, date of birth, names) with
    /// placeholders.
    Redact(redact::Args),
}

/// Runs the command line and returns the process exit code.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Train(args) => train::run(args),
        Command::Classify(args) => classify::run(args),
        Command::Evaluate(args) => evaluate::run(args),
        Command::CheckData(args) => check_data::run(args),
        Command::Redact(args) => redact::run(args),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(err) => {
            if is_broken_pipe(&err) {
                // the reader went away (`sportello ... | head`): not an error
                return ExitCode::from(exit::OK);
            }
            if matches!(
                err.downcast_ref::<sportello::Error>(),
                Some(sportello::Error::Interrupted)
            ) {
                eprintln!("sportello: interrupted; nothing was written");
                return ExitCode::from(exit::INTERRUPTED);
            }
            eprintln!("sportello: error: {err:#}");
            ExitCode::from(exit::ERROR)
        }
    }
}

fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
    })
}
