//! `canvass simulate`: write a deterministic national election to a folder.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use canvass_model::to_toml;
use canvass_sim::{SimOptions, Simulation, simulate};
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};

use crate::cmd::election::load;
use crate::cmd::{fail, print_json};

/// Simulate an election: precincts, registration, turnout and results for every county.
#[derive(Args)]
#[command(after_help = "Writes, into --out:
  election.toml           the definition with the simulated precincts
  results/<JURIS>.csv     each reporting jurisdiction's precinct results (canvass CSV)
  manifest.csv            ballot manifests for audits (jurisdiction,batch,ballots)
The presidential results add up to the real 2020 state returns. The same seed always gives
the same bytes.

Examples:
  canvass simulate --election us-2020 --seed 1 --out sim
  canvass simulate --election us-2020 --seed 1 --scale 0.01 --out small-sim")]
pub struct SimulateArgs {
    /// A built-in election name or a definition file.
    #[arg(long, default_value = "us-2020")]
    pub election: String,
    /// The seed.
    #[arg(long, default_value_t = 2020)]
    pub seed: u64,
    /// The scale: 1 is the real size (about 158 million ballots), 0.01 a hundredth.
    #[arg(long, default_value = "1", value_parser = parse_scale)]
    pub scale: u32,
    /// The output folder; it must not exist yet.
    #[arg(long)]
    pub out: PathBuf,
    /// No progress bar.
    #[arg(long, short)]
    pub quiet: bool,
    /// Print a JSON summary.
    #[arg(long)]
    pub json: bool,
}

/// Parses a scale such as `1`, `0.5` or `0.001` into thousandths, without floating point.
pub fn parse_scale(s: &str) -> Result<u32, String> {
    let bad = || {
        format!("scale {s:?} must be a number from 0.001 to 10 with at most 3 decimals, e.g. 0.01")
    };
    let (int, frac) = s.split_once('.').unwrap_or((s, ""));
    if frac.len() > 3 || int.is_empty() && frac.is_empty() {
        return Err(bad());
    }
    let i: u32 = if int.is_empty() {
        0
    } else {
        int.parse().map_err(|_| bad())?
    };
    let f: u32 = if frac.is_empty() {
        0
    } else {
        format!("{frac:0<3}").parse().map_err(|_| bad())?
    };
    let permille = i
        .checked_mul(1000)
        .and_then(|v| v.checked_add(f))
        .ok_or_else(bad)?;
    if !(1..=10_000).contains(&permille) {
        return Err(bad());
    }
    Ok(permille)
}

/// Runs the simulation with a spinner.
pub fn run_simulation(
    election: &str,
    seed: u64,
    scale: u32,
    quiet: bool,
) -> Result<Simulation, ExitCode> {
    let e = load(election)?;
    let pb = if quiet {
        ProgressBar::hidden()
    } else {
        ProgressBar::new_spinner()
    };
    pb.set_style(
        ProgressStyle::with_template("{spinner} {msg} {elapsed}")
            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );
    pb.set_message(format!("simulating {election} (seed {seed})"));
    pb.enable_steady_tick(std::time::Duration::from_millis(120));
    let sim = simulate(
        &e,
        &SimOptions {
            seed,
            scale_permille: scale,
            ballots_per_precinct: 900,
        },
    );
    pb.finish_and_clear();
    sim.map_err(|m| fail(&format!("cannot simulate {election}: {m}")))
}

/// Runs `canvass simulate`.
pub fn run(args: SimulateArgs) -> ExitCode {
    if args.out.exists() {
        return fail(&format!(
            "{} already exists: give a new folder for --out",
            args.out.display()
        ));
    }
    let sim = match run_simulation(&args.election, args.seed, args.scale, args.quiet) {
        Ok(s) => s,
        Err(code) => return code,
    };
    // Write into a sibling temporary folder, then rename: never a half-written --out.
    let tmp = args
        .out
        .with_extension(format!("partial-{}", std::process::id()));
    if let Err(e) = write(&sim, &tmp, args.quiet) {
        let _ = std::fs::remove_dir_all(&tmp);
        return fail(&format!("cannot write {}: {e}", args.out.display()));
    }
    if let Err(e) = std::fs::rename(&tmp, &args.out) {
        let _ = std::fs::remove_dir_all(&tmp);
        return fail(&format!("cannot create {}: {e}", args.out.display()));
    }
    let ballots: u64 = sim.manifest.iter().map(|b| b.ballots).sum();
    if args.json {
        return print_json(&serde_json::json!({
            "out": args.out, "seed": args.seed, "precincts": sim.election.precincts.len(),
            "jurisdictions": sim.jurisdictions.len(), "ballots": ballots,
        }));
    }
    outln!(
        "{}: {} precincts in {} jurisdictions, {} ballots (seed {})",
        args.out.display(),
        sim.election.precincts.len(),
        sim.jurisdictions.len(),
        ballots,
        args.seed
    );
    ExitCode::SUCCESS
}

fn write(sim: &Simulation, dir: &Path, quiet: bool) -> Result<(), String> {
    std::fs::create_dir_all(dir.join("results")).map_err(|e| e.to_string())?;
    let toml = to_toml(&sim.election).map_err(|e| e.to_string())?;
    std::fs::write(dir.join("election.toml"), toml).map_err(|e| e.to_string())?;
    let pb = if quiet {
        ProgressBar::hidden()
    } else {
        ProgressBar::new(sim.jurisdictions.len() as u64)
    };
    pb.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} jurisdictions {per_sec}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    for j in &sim.jurisdictions {
        let path = dir.join("results").join(format!("{}.csv", j.jurisdiction));
        let f = std::fs::File::create(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        canvass_formats::precinct_csv::write(
            &j.results,
            std::io::BufWriter::new(f),
            &path.display().to_string(),
        )
        .map_err(|e| e.to_string())?;
        pb.inc(1);
    }
    pb.finish_and_clear();
    let mut m = String::from("jurisdiction,batch,ballots\n");
    for b in &sim.manifest {
        m += &format!("{},{},{}\n", b.jurisdiction, b.batch, b.ballots);
    }
    std::fs::write(dir.join("manifest.csv"), m).map_err(|e| e.to_string())
}
