//! One module per subcommand, each with a clap `Args` type and a `run` function.

pub mod audit;
pub mod backup;
pub mod certify;
pub mod convert;
pub mod demo;
pub mod drill;
pub mod election;
pub mod export_site;
pub mod import;
pub mod inputs;
pub mod keys;
pub mod log;
pub mod monitor;
pub mod rcv;
pub mod serve;
pub mod simulate;
pub mod submission;
pub mod submit;
pub mod tally;
pub mod verify;
pub mod witness;

use std::process::ExitCode;

/// Handles a failed write to stdout: a closed pipe exits quietly, anything else with 1.
pub fn stdout_failed(e: std::io::Error) -> ! {
    if e.kind() == std::io::ErrorKind::BrokenPipe {
        std::process::exit(0);
    }
    eprintln!("error: cannot write to standard output: {e}");
    std::process::exit(1);
}

/// Prints an error on stderr and returns exit code 1 (invalid input or failed check).
pub fn fail(message: &str) -> ExitCode {
    eprintln!("error: {message}");
    ExitCode::from(1)
}

/// Prints a value as pretty JSON on stdout.
pub fn print_json<T: serde::Serialize>(value: &T) -> ExitCode {
    match serde_json::to_string_pretty(value) {
        Ok(s) => {
            outln!("{s}");
            ExitCode::SUCCESS
        }
        Err(e) => fail(&format!("cannot write JSON: {e}")),
    }
}
