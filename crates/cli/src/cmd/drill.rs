//! `canvass drill`: the tamper drills of issue 8 on a copy of a data directory, each
//! checked by `verify` and by a monitor that watched the election before
//! (`canvass_verify::drill`, docs/verify.md "Tamper drills").

use std::path::PathBuf;
use std::process::ExitCode;

use canvass_verify::drill::{self, DRILLS, DrillOptions, Outcome};
use clap::{Args, Subcommand};

use super::{fail, print_json};

/// Tamper with a copy of an election and check that verify and the monitor catch it.
#[derive(Args, Debug)]
#[command(after_help = "Examples:
  canvass demo --data night --speed 0      # an election to tamper with
  canvass drill list
  canvass drill run 3 --data night
  canvass drill run all --data night --json

The data directory is copied first (stop its server, or copy it, before): the drills never
change DIR itself. Exit status 0 when every drill run was caught by both verify and the
monitor, 1 when one was not (or the data directory cannot be used), 2 for usage errors.")]
pub struct DrillArgs {
    #[command(subcommand)]
    command: DrillCommand,
}

#[derive(Subcommand, Debug)]
enum DrillCommand {
    /// List the drills.
    List {
        /// Machine-readable output.
        #[arg(long)]
        json: bool,
    },
    /// Run one drill (1-8) or `all` on a copy of a data directory.
    Run(RunArgs),
}

#[derive(Args, Debug)]
struct RunArgs {
    /// The drill's number (1-8), or `all`.
    #[arg(value_name = "N|all")]
    drill: String,
    /// The data directory of an election (canvass demo --data DIR, canvass serve --data DIR).
    #[arg(long, value_name = "DIR")]
    data: PathBuf,
    /// Keep the tampered copies here (default: a temporary directory, removed afterwards).
    #[arg(long, value_name = "DIR")]
    keep: Option<PathBuf>,
    /// A built-in election or definition file; by default DIR/election.json (written by
    /// canvass demo) or the election the roster names.
    #[arg(long)]
    election: Option<String>,
    /// Threads recomputing results snapshots (default: one per core).
    #[arg(long)]
    threads: Option<usize>,
    /// Machine-readable output: one object per drill.
    #[arg(long)]
    json: bool,
}

/// Runs `canvass drill`.
pub fn run(args: DrillArgs) -> ExitCode {
    match args.command {
        DrillCommand::List { json } => {
            if json {
                return print_json(&DRILLS);
            }
            for d in DRILLS {
                outln!("{} {:13} {}", d.number, d.name, d.tamper);
            }
            ExitCode::SUCCESS
        }
        DrillCommand::Run(a) => run_drills(&a),
    }
}

fn run_drills(a: &RunArgs) -> ExitCode {
    let numbers: Vec<u8> = if a.drill == "all" {
        DRILLS.iter().map(|d| d.number).collect()
    } else {
        match a.drill.parse::<u8>() {
            Ok(n) if DRILLS.iter().any(|d| d.number == n) => vec![n],
            _ => {
                eprintln!(
                    "error: no drill {:?}: give a number from 1 to 8 or `all` (canvass drill list)",
                    a.drill
                );
                return ExitCode::from(2);
            }
        }
    };
    if !a.data.join("log/checkpoint").is_file() {
        return fail(&format!(
            "{} is not a data directory with a log (no log/checkpoint): run canvass demo --data {} first",
            a.data.display(),
            a.data.display()
        ));
    }
    let election = match a.election.as_deref() {
        Some(e) => match canvass_server::io::load_election(e) {
            Ok(e) => Some(e),
            Err(e) => return fail(&e.to_string()),
        },
        None => None,
    };
    let opts = DrillOptions {
        election,
        workers: a.threads.unwrap_or_else(|| {
            std::thread::available_parallelism().map_or(1, std::num::NonZero::get)
        }),
    };
    let (root, temporary) = match &a.keep {
        Some(k) => (k.clone(), false),
        None => (
            std::env::temp_dir().join(format!("canvass-drill-{}", std::process::id())),
            true,
        ),
    };
    let mut outcomes = Vec::new();
    let mut failed = None;
    for n in numbers {
        let work = root.join(format!("drill-{n}"));
        if work.exists() {
            failed = Some(format!(
                "{} already exists: give --keep an empty directory",
                work.display()
            ));
            break;
        }
        if !a.json {
            eprintln!("drill {n}: copying {} and tampering...", a.data.display());
        }
        match drill::run(n, &a.data, &work, &opts) {
            Ok(o) => {
                if !a.json {
                    print_outcome(&o);
                }
                outcomes.push(o);
            }
            Err(e) => {
                failed = Some(format!("drill {n}: {e}"));
                break;
            }
        }
        if temporary {
            let _ = std::fs::remove_dir_all(&work);
        }
    }
    if temporary {
        let _ = std::fs::remove_dir_all(&root);
    }
    if a.json {
        let code = print_json(&outcomes);
        if code != ExitCode::SUCCESS {
            return code;
        }
    }
    if let Some(e) = failed {
        return fail(&e);
    }
    let missed = outcomes.iter().filter(|o| !o.detected()).count();
    if !a.json {
        if missed == 0 {
            outln!("OK: every drill was caught by verify and by the monitor");
        } else {
            outln!("FAILED: {missed} drill(s) went undetected");
        }
    }
    if missed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

fn print_outcome(o: &Outcome) {
    let said = |d: &drill::Detection| {
        if d.detected {
            format!("caught ({})", d.codes.join(", "))
        } else {
            "NOT CAUGHT".to_owned()
        }
    };
    outln!("drill {} {}: {}", o.drill, o.name, o.tampered);
    outln!("  verify   {}", said(&o.verify));
    outln!("  monitor  {}", said(&o.monitor));
}
