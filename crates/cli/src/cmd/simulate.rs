//! `canvass simulate`: write a deterministic national election to a folder, optionally
//! with every ballot's cast vote record (docs/simulate.md); `canvass simulate tally-cvrs`
//! counts the compact CVRs back.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Instant;

use canvass_model::to_toml;
use canvass_sim::{CvrPlan, SimOptions, Simulation, simulate};
use clap::{Args, Subcommand, ValueEnum};
use indicatif::{ProgressBar, ProgressStyle};

use crate::cmd::election::load;
use crate::cmd::{fail, print_json};

mod tally_cvrs;

/// Simulate an election: precincts, registration, turnout and results for every county.
#[derive(Args)]
#[command(
    args_conflicts_with_subcommands = true,
    subcommand_negates_reqs = true,
    after_help = "Writes, into --out:
  election.toml           the definition with the simulated precincts
  results/<JURIS>.csv     each reporting jurisdiction's precinct results (canvass CSV)
  manifest.csv            ballot manifests for audits (jurisdiction,batch,ballots)
  manifests/<JURIS>.csv   each jurisdiction's ballot manifest, as `canvass audit manifest` imports it
  simulation.json         the election, seed and scale (checked by --resume)
With --cvrs, also every ballot's cast vote record, consistent with the results:
  cvrs/nist/<JURIS>.json      NIST SP 1500-103 CVR JSON, one report per jurisdiction
  cvrs/compact/<JURIS>.csv    compact CVR CSV, one row per ballot (see docs/simulate.md)
  cvrs/styles.csv, cvrs/contests.csv   what the compact CSV's numbers mean
The presidential results add up to the real 2020 state returns. Batches hold at most 300
ballots of one precinct; a ballot's id is BATCH-POSITION in both CVR forms and the manifests.
The same seed always gives the same bytes, whatever --jobs. Shards are written whole (to a
.partial file, then renamed), so an interrupted run continues with --resume.

Examples:
  canvass simulate --election us-2020 --seed 1 --out sim
  canvass simulate --election us-2020 --seed 1 --scale 0.01 --out small-sim
  canvass simulate --seed 1 --scale 0.01 --cvrs --out cvr-sim
  canvass simulate --seed 1 --cvrs --cvr-format compact --out national     # 158 M ballots
  canvass simulate --seed 1 --cvrs --cvr-format compact --out national --resume
  canvass simulate --seed 1 --scale 0.1 --cvrs --cvr-states DE,RI --out two-states
  canvass simulate tally-cvrs cvr-sim --check"
)]
pub struct SimulateArgs {
    /// Count a simulation's compact CVRs instead of simulating.
    #[command(subcommand)]
    pub action: Option<SimulateAction>,
    /// A built-in election name or a definition file.
    #[arg(long, default_value = "us-2020")]
    pub election: String,
    /// The seed.
    #[arg(long, default_value_t = 2020)]
    pub seed: u64,
    /// The scale: 1 is the real size (about 158 million ballots), 0.01 a hundredth.
    #[arg(long, default_value = "1", value_parser = parse_scale)]
    pub scale: u32,
    /// The output folder; it must not exist yet (unless --resume).
    #[arg(long, required = true)]
    pub out: Option<PathBuf>,
    /// Also write every ballot's cast vote record.
    #[arg(long)]
    pub cvrs: bool,
    /// Which CVR forms to write.
    #[arg(long, value_enum, default_value = "both", requires = "cvrs")]
    pub cvr_format: CvrFormat,
    /// Write CVRs only for these states (postal codes, comma-separated).
    #[arg(long, value_delimiter = ',', requires = "cvrs")]
    pub cvr_states: Vec<String>,
    /// Threads writing CVR shards (default: the number of cores).
    #[arg(long, short = 'j')]
    pub jobs: Option<usize>,
    /// Continue an interrupted run in --out (same election, seed and scale): shards
    /// already written are kept.
    #[arg(long)]
    pub resume: bool,
    /// No progress bar.
    #[arg(long, short)]
    pub quiet: bool,
    /// Print a JSON summary.
    #[arg(long)]
    pub json: bool,
}

/// What else `canvass simulate` can do.
#[derive(Subcommand)]
pub enum SimulateAction {
    /// Count the compact CVRs of a simulation folder (totals per contest; --check compares
    /// every precinct with results/).
    TallyCvrs(tally_cvrs::TallyCvrsArgs),
}

/// The CVR forms to write.
#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CvrFormat {
    /// NIST SP 1500-103 JSON and compact CSV.
    Both,
    /// NIST SP 1500-103 JSON only.
    Nist,
    /// Compact CSV only.
    Compact,
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
    if let Some(SimulateAction::TallyCvrs(a)) = args.action {
        return tally_cvrs::run(a);
    }
    let Some(out) = args.out.clone() else {
        eprintln!("error: --out is required (see canvass simulate --help)");
        return ExitCode::from(2);
    };
    let params = serde_json::json!({
        "election": args.election, "seed": args.seed, "scale_permille": args.scale,
    });
    if args.resume {
        let stamp = std::fs::read_to_string(out.join("simulation.json"))
            .ok()
            .and_then(|s| serde_json::from_str::<serde_json::Value>(&s).ok());
        if stamp.as_ref() != Some(&params) {
            return fail(&format!(
                "{} is not a simulation with {params}: --resume continues a run with the same --election, --seed and --scale",
                out.join("simulation.json").display()
            ));
        }
    } else if out.exists() {
        return fail(&format!(
            "{} already exists: give a new folder for --out, or --resume an interrupted run",
            out.display()
        ));
    }
    let started = Instant::now();
    let sim = match run_simulation(&args.election, args.seed, args.scale, args.quiet) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let plan = CvrPlan::new(&sim, args.seed);
    if !args.resume {
        // Write into a sibling temporary folder, then rename: never a half-written --out.
        let tmp = out.with_extension(format!("partial-{}", std::process::id()));
        if let Err(e) = write(&sim, &plan, &params, &tmp, args.quiet) {
            let _ = std::fs::remove_dir_all(&tmp);
            return fail(&format!("cannot write {}: {e}", out.display()));
        }
        if let Err(e) = std::fs::rename(&tmp, &out) {
            let _ = std::fs::remove_dir_all(&tmp);
            return fail(&format!("cannot create {}: {e}", out.display()));
        }
    }
    let ballots: u64 = sim.manifest.iter().map(|b| b.ballots).sum();
    let mut summary = serde_json::json!({
        "out": out, "seed": args.seed, "precincts": sim.election.precincts.len(),
        "jurisdictions": sim.jurisdictions.len(), "ballots": ballots,
    });
    if args.cvrs {
        match write_cvrs(&plan, &args, &out) {
            Ok(c) => summary["cvrs"] = c,
            Err(m) => return fail(&m),
        }
    }
    summary["seconds"] = serde_json::json!(started.elapsed().as_secs_f64());
    if args.json {
        return print_json(&summary);
    }
    outln!(
        "{}: {} precincts in {} jurisdictions, {} ballots (seed {})",
        out.display(),
        sim.election.precincts.len(),
        sim.jurisdictions.len(),
        ballots,
        args.seed
    );
    if let Some(c) = summary.get("cvrs") {
        outln!(
            "CVRs: {} ballots in {} shards ({} written now, {} kept) in {:.1} s, {:.0} ballots/s; NIST JSON {} bytes, compact CSV {} bytes",
            c["ballots"],
            c["shards"],
            c["written"],
            c["kept"],
            c["seconds"].as_f64().unwrap_or(0.0),
            c["ballots_per_second"].as_f64().unwrap_or(0.0),
            c["nist_bytes"],
            c["compact_bytes"]
        );
    }
    ExitCode::SUCCESS
}

fn write(
    sim: &Simulation,
    plan: &CvrPlan,
    params: &serde_json::Value,
    dir: &Path,
    quiet: bool,
) -> Result<(), String> {
    std::fs::create_dir_all(dir.join("results")).map_err(|e| e.to_string())?;
    std::fs::create_dir_all(dir.join("manifests")).map_err(|e| e.to_string())?;
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
    for (i, j) in sim.jurisdictions.iter().enumerate() {
        let path = dir.join("results").join(format!("{}.csv", j.jurisdiction));
        let f = std::fs::File::create(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        canvass_formats::precinct_csv::write(
            &j.results,
            std::io::BufWriter::new(f),
            &path.display().to_string(),
        )
        .map_err(|e| e.to_string())?;
        let path = dir
            .join("manifests")
            .join(format!("{}.csv", j.jurisdiction));
        std::fs::write(&path, plan.manifest_csv(i))
            .map_err(|e| format!("{}: {e}", path.display()))?;
        pb.inc(1);
    }
    pb.finish_and_clear();
    let mut m = String::from("jurisdiction,batch,ballots\n");
    for b in &sim.manifest {
        m += &format!("{},{},{}\n", b.jurisdiction, b.batch, b.ballots);
    }
    std::fs::write(dir.join("manifest.csv"), m).map_err(|e| e.to_string())?;
    let stamp = serde_json::to_string_pretty(params).map_err(|e| e.to_string())?;
    std::fs::write(dir.join("simulation.json"), stamp + "\n").map_err(|e| e.to_string())
}

/// Writes `contents` to `path` through a temporary file, unless `path` exists.
fn write_once(path: &Path, contents: &[u8]) -> Result<(), String> {
    if path.exists() {
        return Ok(());
    }
    let tmp = path.with_extension(format!("partial-{}", std::process::id()));
    std::fs::write(&tmp, contents)
        .and_then(|()| std::fs::rename(&tmp, path))
        .map_err(|e| format!("cannot write {}: {e}", path.display()))
}

/// Writes the CVR shards not yet written, in parallel; returns the JSON summary.
fn write_cvrs(
    plan: &CvrPlan,
    args: &SimulateArgs,
    out: &Path,
) -> Result<serde_json::Value, String> {
    let started = Instant::now();
    let cvrs = out.join("cvrs");
    let want_nist = args.cvr_format != CvrFormat::Compact;
    let want_compact = args.cvr_format != CvrFormat::Nist;
    for d in ["nist", "compact"] {
        std::fs::create_dir_all(cvrs.join(d))
            .map_err(|e| format!("cannot create {}: {e}", cvrs.join(d).display()))?;
    }
    let styles = plan.styles_csv().map_err(|e| e.to_string())?;
    write_once(&cvrs.join("styles.csv"), styles.as_bytes())?;
    write_once(&cvrs.join("contests.csv"), plan.contests_csv().as_bytes())?;
    let e = plan.maker().election();
    let states: Vec<String> = args
        .cvr_states
        .iter()
        .map(|s| s.trim().to_uppercase())
        .collect();
    if let Some(bad) = states
        .iter()
        .find(|s| !e.states.iter().any(|x| x.postal.as_str() == s.as_str()))
    {
        return Err(format!(
            "--cvr-states: {bad} is not a state of {}",
            e.election.id
        ));
    }
    let paths = |i: usize| {
        let j = plan.jurisdiction(i);
        (
            cvrs.join("nist").join(format!("{j}.json")),
            cvrs.join("compact").join(format!("{j}.csv")),
        )
    };
    let mut todo = Vec::new();
    let mut kept = 0usize;
    let mut total = 0u64;
    for i in 0..plan.shards() {
        let state = plan.state(i);
        if !states.is_empty() && !states.iter().any(|s| s == state) {
            continue;
        }
        total += plan.ballots(i);
        let (n, c) = paths(i);
        if (!want_nist || n.exists()) && (!want_compact || c.exists()) {
            kept += 1;
        } else {
            todo.push(i);
        }
    }
    let todo_ballots: u64 = todo.iter().map(|&i| plan.ballots(i)).sum();
    let pb = if args.quiet {
        ProgressBar::hidden()
    } else {
        ProgressBar::new(todo_ballots)
    };
    pb.set_style(
        ProgressStyle::with_template(
            "{bar:40} {human_pos}/{human_len} ballots {per_sec} {msg} eta {eta}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let jobs = args
        .jobs
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, usize::from))
        .clamp(1, 256);
    let next = AtomicUsize::new(0);
    let stop = AtomicBool::new(false);
    let error: Mutex<Option<String>> = Mutex::new(None);
    let done_shards = AtomicUsize::new(0);
    let tag = format!("partial-{}", std::process::id());
    std::thread::scope(|s| {
        for _ in 0..jobs {
            s.spawn(|| {
                while !stop.load(Ordering::Relaxed) {
                    let k = next.fetch_add(1, Ordering::Relaxed);
                    let Some(&i) = todo.get(k) else { break };
                    let (n, c) = paths(i);
                    let result = write_shard(
                        plan,
                        i,
                        want_nist.then_some(&n),
                        want_compact.then_some(&c),
                        &tag,
                        &pb,
                    );
                    if let Err(m) = result {
                        stop.store(true, Ordering::Relaxed);
                        let mut e = error
                            .lock()
                            .unwrap_or_else(std::sync::PoisonError::into_inner);
                        e.get_or_insert(m);
                        break;
                    }
                    let d = done_shards.fetch_add(1, Ordering::Relaxed) + 1;
                    pb.set_message(format!("{d}/{} shards", todo.len()));
                }
            });
        }
    });
    pb.finish_and_clear();
    if let Some(m) = error
        .into_inner()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
    {
        return Err(format!(
            "{m} (shards already written are kept: run again with --resume)"
        ));
    }
    let seconds = started.elapsed().as_secs_f64();
    let size = |dir: &str, ext: &str| -> u64 {
        (0..plan.shards())
            .filter(|&i| states.is_empty() || states.iter().any(|s| s == plan.state(i)))
            .filter_map(|i| {
                std::fs::metadata(
                    cvrs.join(dir)
                        .join(format!("{}.{ext}", plan.jurisdiction(i))),
                )
                .ok()
            })
            .map(|m| m.len())
            .sum()
    };
    let (nist_bytes, compact_bytes) = (size("nist", "json"), size("compact", "csv"));
    Ok(serde_json::json!({
        "ballots": total, "shards": todo.len() + kept, "written": todo.len(), "kept": kept,
        "jobs": jobs, "seconds": seconds,
        "ballots_per_second": if seconds > 0.0 { todo_ballots as f64 / seconds } else { 0.0 },
        "nist_bytes": nist_bytes, "compact_bytes": compact_bytes,
        "nist_bytes_per_ballot": if total > 0 { nist_bytes as f64 / total as f64 } else { 0.0 },
        "compact_bytes_per_ballot": if total > 0 { compact_bytes as f64 / total as f64 } else { 0.0 },
    }))
}

/// Writes one shard's files through `.partial` files renamed at the end.
fn write_shard(
    plan: &CvrPlan,
    i: usize,
    nist: Option<&PathBuf>,
    compact: Option<&PathBuf>,
    tag: &str,
    pb: &ProgressBar,
) -> Result<(), String> {
    let open = |p: &PathBuf| -> Result<(PathBuf, std::io::BufWriter<std::fs::File>), String> {
        let tmp = p.with_extension(tag);
        let f = std::fs::File::create(&tmp)
            .map_err(|e| format!("cannot create {}: {e}", tmp.display()))?;
        Ok((tmp, std::io::BufWriter::with_capacity(1 << 20, f)))
    };
    let n = nist.map(open).transpose()?;
    let c = compact.map(open).transpose()?;
    let (n_tmp, n_w) = n.map_or((None, None), |(p, w)| (Some(p), Some(w)));
    let (c_tmp, c_w) = c.map_or((None, None), |(p, w)| (Some(p), Some(w)));
    let cleanup = || {
        for p in n_tmp.iter().chain(c_tmp.iter()) {
            let _ = std::fs::remove_file(p);
        }
    };
    let (n_w, c_w) = match plan.write_shard(i, n_w, c_w, &mut |b| pb.inc(b)) {
        Ok(w) => w,
        Err(e) => {
            cleanup();
            return Err(format!("jurisdiction {}: {e}", plan.jurisdiction(i)));
        }
    };
    for (w, tmp, path) in [(n_w, &n_tmp, nist), (c_w, &c_tmp, compact)] {
        if let (Some(w), Some(tmp), Some(path)) = (w, tmp, path) {
            let f = w
                .into_inner()
                .map_err(|e| format!("cannot write {}: {e}", tmp.display()))?;
            drop(f);
            std::fs::rename(tmp, path)
                .map_err(|e| format!("cannot create {}: {e}", path.display()))?;
        }
    }
    Ok(())
}
