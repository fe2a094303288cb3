//! `canvass`: the command-line front end.
//!
//! Each subcommand lives in its own module under `cmd/`, with a clap `Args` struct and a
//! `run` function returning an [`ExitCode`]. Exit codes: 0 ok, 1 invalid input or failed
//! check, 2 usage.

/// Writes a line to stdout; a closed pipe (e.g. `| head`) ends the program quietly.
macro_rules! outln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        if let Err(e) = writeln!(std::io::stdout().lock(), $($arg)*) {
            $crate::cmd::stdout_failed(e);
        }
    }};
}

/// Writes to stdout; a closed pipe ends the program quietly.
macro_rules! out {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        if let Err(e) = write!(std::io::stdout().lock(), $($arg)*) {
            $crate::cmd::stdout_failed(e);
        }
    }};
}

mod cmd;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Sum up a US general election from signed, logged results that anyone can recompute.
#[derive(Parser)]
#[command(name = "canvass", version, about, long_about = None)]
#[command(
    after_help = "Exit status: 0 ok, 1 invalid input or failed check, 2 usage error.

Examples:
  canvass demo
  canvass election show us-2020
  canvass election check my-election.toml
  canvass rcv --config contest_config.json --output results/"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Risk-limiting audits: draw samples, estimate sample sizes, measure risk.
    Audit(cmd::audit::AuditArgs),
    /// Back up a data directory and its store: public keys, roster, log, rows, a manifest.
    Backup(cmd::backup::BackupArgs),
    /// Certify a state's results with the election authority's key (logged; later changes need its countersignature).
    Certify(cmd::certify::CertifyArgs),
    /// Convert results or cast vote records between formats (NIST, vendor, MEDSL, canvass CSV).
    Convert(cmd::convert::ConvertArgs),
    /// Run the demonstration election night.
    Demo(cmd::demo::DemoArgs),
    /// Tamper with a copy of an election (7 drills) and check that verify and the monitor catch it.
    Drill(cmd::drill::DrillArgs),
    /// List, show, export and check election definitions.
    Election(cmd::election::ElectionArgs),
    /// Write a static copy of the results website and its data (for any web server or CDN).
    ExportSite(cmd::export_site::ExportSiteArgs),
    /// Turn a vendor export into the canonical precinct results a jurisdiction signs.
    Import(cmd::import::ImportArgs),
    /// Create election keys: the authority, the log and every reporting jurisdiction.
    Keys(cmd::keys::KeysArgs),
    /// Inspect, prove and audit the transparency log (C2SP checkpoints and tiles).
    Log(cmd::log::LogArgs),
    /// Watch a canvass server and alert (JSON lines) on forks, rollbacks, tampering and attacks.
    Monitor(cmd::monitor::MonitorArgs),
    /// Run a transparency log witness (C2SP tlog-witness) or make its key.
    Witness(cmd::witness::WitnessArgs),
    /// Tabulate a ranked-choice contest from an RCTab config; write RCTab's detailed report.
    Rcv(cmd::rcv::RcvArgs),
    /// Restore a backup into a data directory and store, checked against the published log.
    Restore(cmd::backup::RestoreArgs),
    /// Serve the canvass HTTP API: submissions, results, events and the log.
    Serve(cmd::serve::ServeArgs),
    /// Simulate a national election deterministically, true to the 2020 returns.
    Simulate(cmd::simulate::SimulateArgs),
    /// Sign and verify jurisdiction submissions.
    Submission(cmd::submission::SubmissionArgs),
    /// Sign results and submit them to a canvass server (retried safely).
    Submit(cmd::submit::SubmitArgs),
    /// Tabulate precinct results or cast vote records offline.
    Tally(cmd::tally::TallyArgs),
    /// Recompute everything a canvass server published from its public log, and check it.
    Verify(cmd::verify::VerifyArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Audit(args) => cmd::audit::run(args),
        Command::Backup(args) => cmd::backup::run(args),
        Command::Certify(args) => cmd::certify::run(args),
        Command::Convert(args) => cmd::convert::run(args),
        Command::Demo(args) => cmd::demo::run(args),
        Command::Drill(args) => cmd::drill::run(args),
        Command::Election(args) => cmd::election::run(args),
        Command::ExportSite(args) => cmd::export_site::run(args),
        Command::Import(args) => cmd::import::run(args),
        Command::Keys(args) => cmd::keys::run(args),
        Command::Log(args) => cmd::log::run(args),
        Command::Monitor(args) => cmd::monitor::run(args),
        Command::Witness(args) => cmd::witness::run(args),
        Command::Rcv(args) => cmd::rcv::run(args),
        Command::Restore(args) => cmd::backup::run_restore(args),
        Command::Serve(args) => cmd::serve::run(args),
        Command::Simulate(args) => cmd::simulate::run(args),
        Command::Submission(args) => cmd::submission::run(args),
        Command::Submit(args) => cmd::submit::run(args),
        Command::Tally(args) => cmd::tally::run(args),
        Command::Verify(args) => cmd::verify::run(args),
    }
}
