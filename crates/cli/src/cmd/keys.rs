//! `canvass keys`: create an election's keys and the authority-signed roster.

use std::path::PathBuf;
use std::process::ExitCode;

use canvass_server::io::{self, KeySource};
use clap::{Args, Subcommand};
use serde::Serialize;

use super::{fail, print_json};

/// Create and inspect election keys.
#[derive(Args, Debug)]
#[command(after_help = "Examples:
  canvass keys init --data /srv/canvass --election us-2020
  canvass keys init --data demo-data --election us-2020 --seed 7   # deterministic, demos only

Private keys go to <data>/keys/ (directory 0700, files 0600) and are never printed.
The signed roster is <data>/roster.note; the authority's verifier key is <data>/authority.vkey.")]
pub struct KeysArgs {
    #[command(subcommand)]
    command: KeysCommand,
}

#[derive(Subcommand, Debug)]
enum KeysCommand {
    /// Create the authority key, the log key, one key per reporting jurisdiction and the roster.
    Init(InitArgs),
}

#[derive(Args, Debug)]
struct InitArgs {
    /// Data directory; <data>/keys must not exist yet.
    #[arg(long)]
    data: PathBuf,
    /// A built-in election (us-2020, us-2024) or a definition file (.toml, .json).
    #[arg(long)]
    election: String,
    /// Derive every key from this seed instead of the OS random generator (demos and tests only).
    #[arg(long)]
    seed: Option<u64>,
    /// Machine-readable output.
    #[arg(long)]
    json: bool,
}

#[derive(Serialize)]
struct InitReport {
    election: String,
    jurisdictions: usize,
    authority_vkey: String,
    log_vkey: String,
    roster: String,
    keys: String,
}

/// Runs `canvass keys`.
pub fn run(args: KeysArgs) -> ExitCode {
    match args.command {
        KeysCommand::Init(a) => init(a),
    }
}

fn init(a: InitArgs) -> ExitCode {
    let election = match io::load_election(&a.election) {
        Ok(e) => e,
        Err(e) => return fail(&e.to_string()),
    };
    let source = a.seed.map_or(KeySource::Os, KeySource::Seeded);
    let made = match io::init_keys(&a.data, &election, source) {
        Ok(m) => m,
        Err(e) => return fail(&e.to_string()),
    };
    let report = InitReport {
        election: election.election.id.to_string(),
        jurisdictions: made.roster.jurisdictions.len(),
        authority_vkey: made.authority.to_vkey(),
        log_vkey: made.log.to_vkey(),
        roster: made.roster_path.display().to_string(),
        keys: a.data.join("keys").display().to_string(),
    };
    if a.json {
        return print_json(&report);
    }
    outln!(
        "created keys for {}: the authority, the log and {} jurisdictions, in {} (private, 0600)",
        report.election,
        report.jurisdictions,
        report.keys
    );
    outln!("roster signed by the authority: {}", report.roster);
    outln!("authority verifier key: {}", report.authority_vkey);
    outln!("log verifier key:       {}", report.log_vkey);
    ExitCode::SUCCESS
}
