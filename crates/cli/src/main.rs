//! `canvass`: the command-line front end.
//!
//! Each subcommand lives in its own module under `cmd/`, with a clap `Args` struct and a
//! `run` function returning an [`ExitCode`]. Exit codes: 0 ok, 1 invalid input or failed
//! check, 2 usage.

mod cmd;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Sum up a US general election from signed, logged results that anyone can recompute.
#[derive(Parser)]
#[command(name = "canvass", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {}
}
