//! `canvass demo`: the main job.
//!
//! Today it loads and validates the built-in `us-2020` election and prints what the
//! election night will cover. The signed, logged election-night simulation with the live
//! results server is the subject of the server issue and is not built yet.

use std::process::ExitCode;

use canvass_model::ElectionSummary;
use clap::Args;

use crate::cmd::election::load;

/// Run the demonstration election.
#[derive(Args)]
#[command(after_help = "Examples:
  canvass demo
  canvass demo --election us-2024")]
pub struct DemoArgs {
    /// The built-in election (or definition file) to demonstrate.
    #[arg(long, default_value = "us-2020")]
    election: String,
}

/// Runs `canvass demo`.
pub fn run(args: DemoArgs) -> ExitCode {
    let e = match load(&args.election) {
        Ok(e) => e,
        Err(code) => return code,
    };
    let s = ElectionSummary::of(&e);
    outln!("canvass demo: {} ({})", s.name, s.id);
    outln!(
        "  definition valid: {} contests ({} presidential, {} Senate, {} House, {} governor, {} measures)",
        s.contests,
        s.states.len(),
        s.senate_contests,
        s.house_contests,
        s.governor_contests,
        s.measure_contests
    );
    outln!(
        "  {} counties reporting as {} signing jurisdictions; {} electoral votes, {} to win",
        s.counties,
        s.jurisdictions,
        s.electoral_votes_total,
        s.electoral_votes_to_win
    );
    outln!(
        "  not yet built: the simulated election night (signed submissions, the transparency log and the live results server)"
    );
    ExitCode::SUCCESS
}
