//! `canvass demo`: the main job.
//!
//! Today: a simulated election night, offline. The built-in `us-2020` election is
//! simulated (results true to the real 2020 state returns), and every county reports as
//! polls close, time zone by time zone, into the incremental tabulator; states are called
//! when every precinct is in, and the Electoral College is tallied live. Signed
//! submissions, the transparency log and the live results server are not wired in yet.

use std::process::ExitCode;
use std::time::Duration;

use canvass_model::{Office, PrecinctResult};
use canvass_tally::{ReportOptions, Status, Tabulator, results};
use clap::Args;

use crate::cmd::fail;
use crate::cmd::simulate::{parse_scale, run_simulation};

/// Run the demonstration election night.
#[derive(Args)]
#[command(after_help = "Examples:
  canvass demo
  canvass demo --seed 7 --scale 0.1 --speed 0")]
pub struct DemoArgs {
    /// The built-in election (or definition file) to simulate.
    #[arg(long, default_value = "us-2020")]
    election: String,
    /// The simulation seed: the same seed gives the same night.
    #[arg(long, default_value_t = 2020)]
    seed: u64,
    /// The scale: 1 is the real size.
    #[arg(long, default_value = "1", value_parser = parse_scale)]
    scale: u32,
    /// Simulated seconds per real second (0: no waiting).
    #[arg(long, default_value_t = 3600)]
    speed: u64,
    /// Exit when every jurisdiction has reported (the default today, as there is no server
    /// to keep running yet).
    #[arg(long)]
    exit_when_done: bool,
}

/// Poll-closing times, in minutes after midnight Eastern Time (the latest in each state).
const POLLS_CLOSE_ET: [(u32, &[&str]); 10] = [
    (15 * 60, &["PR", "GU", "MP", "AS"]),
    (19 * 60, &["GA", "IN", "KY", "SC", "VT", "VA", "VI"]),
    (19 * 60 + 30, &["NC", "OH", "WV"]),
    (
        20 * 60,
        &[
            "AL", "CT", "DE", "DC", "FL", "IL", "ME", "MD", "MA", "MS", "MO", "NH", "NJ", "OK",
            "PA", "RI", "TN",
        ],
    ),
    (20 * 60 + 30, &["AR"]),
    (
        21 * 60,
        &[
            "AZ", "CO", "KS", "LA", "MI", "MN", "NE", "NM", "NY", "ND", "SD", "TX", "WI", "WY",
        ],
    ),
    (22 * 60, &["IA", "MT", "NV", "UT"]),
    (23 * 60, &["CA", "ID", "OR", "WA"]),
    (24 * 60, &["HI"]),
    (25 * 60, &["AK"]),
];

/// Runs `canvass demo`.
pub fn run(args: DemoArgs) -> ExitCode {
    let _ = args.exit_when_done;
    let sim = match run_simulation(&args.election, args.seed, args.scale, false) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let ballots: u64 = sim.manifest.iter().map(|b| b.ballots).sum();
    outln!(
        "canvass demo: {} (seed {}): {} precincts in {} reporting jurisdictions, {} ballots",
        sim.election.election.name,
        args.seed,
        sim.election.precincts.len(),
        sim.jurisdictions.len(),
        ballots
    );
    outln!(
        "not yet wired in: signed submissions, the transparency log and the live results server"
    );
    let mut t = Tabulator::new(sim.election.clone());
    let mut called = std::collections::BTreeSet::new();
    let mut last_minute = 0u32;
    for &(minute, states) in POLLS_CLOSE_ET.iter().filter(|(_, s)| !s.is_empty()) {
        if args.speed > 0 && last_minute > 0 {
            let secs = u64::from(minute - last_minute) * 60;
            std::thread::sleep(Duration::from_millis(secs * 1000 / args.speed));
        }
        last_minute = minute;
        let reports: Vec<&PrecinctResult> = sim
            .jurisdictions
            .iter()
            .filter(|j| states.contains(&j.state.as_str()))
            .flat_map(|j| &j.results)
            .collect();
        for r in &reports {
            if let Err(e) = t.apply(r) {
                return fail(&format!("simulated report rejected: {e}"));
            }
        }
        let res = results(&t, &ReportOptions::default());
        outln!(
            "{:02}:{:02} ET  polls close in {}: {} precinct reports",
            minute / 60 % 24,
            minute % 60,
            states.join(", "),
            reports.len()
        );
        for c in res
            .contests
            .iter()
            .filter(|c| c.office == Office::President && c.status == Status::Complete)
        {
            if called.insert(c.id.clone()) {
                let mut shares: Vec<_> = c.selections.iter().collect();
                shares.sort_by_key(|s| std::cmp::Reverse(s.votes));
                let pct: Vec<String> = shares
                    .iter()
                    .take(2)
                    .map(|s| format!("{}%", s.percent))
                    .collect();
                let winner = if c.winners.is_empty() {
                    "no winner yet (ranked-choice rounds or runoff)".to_string()
                } else {
                    c.winners.join(", ")
                };
                outln!(
                    "           all precincts in: {} for {} ({})",
                    c.state.as_deref().unwrap_or(""),
                    winner,
                    pct.join(" to ")
                );
            }
        }
        if let Some(p) = &res.president {
            let ev: Vec<String> = p
                .electoral_votes
                .iter()
                .map(|(k, v)| format!("{k} {v}"))
                .collect();
            outln!("           Electoral College: {}", ev.join(", "));
        }
    }
    let res = results(&t, &ReportOptions::default());
    if let Some(p) = &res.president {
        outln!(
            "Result: {}",
            p.electoral_college_winner
                .as_deref()
                .map_or("no Electoral College majority".to_string(), |w| format!(
                    "{w} wins the Electoral College"
                ))
        );
    }
    if let Some(s) = &res.balance.senate {
        let parties: Vec<String> = s
            .parties
            .iter()
            .map(|(p, x)| format!("{p} {}", x.holdover + x.won))
            .collect();
        outln!(
            "Senate: {} ({} undecided: runoffs or ranked-choice rounds)",
            parties.join(", "),
            s.undecided
        );
    }
    ExitCode::SUCCESS
}
