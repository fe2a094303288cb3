//! `canvass audit`: risk-limiting audit sampling, sample sizes and risk measurements, and the
//! audit workflow logged step by step ([`steps`], `docs/audit.md`).
//!
//! The JSON shapes are a stable contract (outside checkers depend on them):
//!
//! ```text
//! audit sample ... --json                      [{"ticket": "0.0178...", "id": "D#4", "generation": 1}, ...]
//! audit sample-size --method bravo ... --json  {"asn": 119, "p70": 184, "p80": 244, "p90": 351}
//! audit sample-size --method comparison|macro  {"size": 479}
//! audit risk --method bravo|comparison --json  {"p_value": 0.0792}
//! audit prng ... --json                        [740, 180, 264, ...]
//! ```

use std::process::ExitCode;

use canvass_audit::bravo;
use canvass_audit::comparison::{self, Discrepancies, GAMMA};
use canvass_audit::{
    Manifest, ReportedContest, colorado_sample, consistent_sample, fastdraw, macro_batch,
    parse_manifest_csv, trim_ticket, validate_dice_seed,
};
use clap::{Args, Subcommand, ValueEnum};
use serde_json::json;

use crate::cmd::{fail, print_json};

mod boards;
mod conn;
mod steps;

/// Risk-limiting audits: draw samples, estimate sample sizes, measure risk.
#[derive(Args)]
#[command(after_help = "Examples:
  canvass audit sample --seed 01382438112797316654 --ids-file ballots.txt --count 100 --json
  canvass audit sample --seed 01382438112797316654 --manifest manifest.csv --count 100
  canvass audit sample-size --method bravo --risk-limit 0.10 --tally Alice=600,Bob=400 --ballots 1000
  canvass audit sample-size --method comparison --risk-limit 0.10 --diluted-margin 0.01 --o1 1
  canvass audit sample-size --method macro --risk-limit 0.10 --error-bound 25.3
  canvass audit risk --method bravo --tally Alice=600,Bob=400 --ballots 1000 --sample Alice=80,Bob=40
  canvass audit risk --method comparison --diluted-margin 0.01 --sample-size 479

The audit workflow (each step signed with the authority's key and logged; see docs/audit.md):
  canvass audit start --data D --audit NAME --seed DICE --contest ID[:macro|:comparison|:alpha] ...
  canvass audit manifest --data D --audit NAME --jurisdiction J manifest.csv
  canvass audit cvr --data D --audit NAME --jurisdiction J cvrs.csv     (comparison contests)
  canvass audit estimate | draw | retrieval --out DIR | interpret --board B --file F
  canvass audit batch-count | measure | report --out DIR | status
Add --server URL to log through a running server.")]
pub struct AuditArgs {
    #[command(subcommand)]
    command: AuditCommand,
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Draw ballots with Rivest's consistent sampler (compatible with `consistent_sampler`).
    Sample(SampleArgs),
    /// Estimate how many ballots (or batches) to sample.
    SampleSize(SampleSizeArgs),
    /// Measure the risk (p-value) of the sample audited so far.
    Risk(RiskArgs),
    /// Pseudo-random numbers by Colorado's method: min + SHA256(seed,k) mod (max-min+1).
    Prng(PrngArgs),
    /// Workflow: start an audit (contests, risk limit, dice-roll seed) on the published results.
    Start(steps::StartArgs),
    /// Workflow: import one jurisdiction's ballot manifest (CSV).
    Manifest(steps::ManifestArgs),
    /// Workflow: log one jurisdiction's cast vote records (CSV) for ballot-comparison contests.
    Cvr(steps::CvrArgs),
    /// Workflow: log the sample-size estimate for the next round.
    Estimate(steps::StepArgs),
    /// Workflow: draw the next round's sample.
    Draw(steps::DrawArgs),
    /// Workflow: write each jurisdiction's retrieval list (CSV and printable HTML).
    Retrieval(boards::RetrievalArgs),
    /// Workflow: log an audit board's interpretations of sampled ballots.
    Interpret(boards::InterpretArgs),
    /// Workflow: log an audit board's hand counts of sampled batches (batch comparison).
    BatchCount(boards::BatchCountArgs),
    /// Workflow: measure the risk after a round (confirmed, next round or full hand count).
    Measure(steps::StepArgs),
    /// Workflow: the audit report (HTML with risk plots, and CSV).
    Report(steps::ReportArgs),
    /// Workflow: recompute the audit from the log and show where it stands.
    Status(steps::StepArgs),
}

/// Arguments of `canvass audit prng`.
#[derive(Args)]
#[command(after_help = "Examples:
  canvass audit prng --seed 3546311556112163624615351222 --min 1 --max 876 --count 10 --json")]
struct PrngArgs {
    /// The seed.
    #[arg(long)]
    seed: String,
    /// Smallest value.
    #[arg(long, default_value_t = 1)]
    min: u64,
    /// Largest value.
    #[arg(long)]
    max: u64,
    /// How many numbers.
    #[arg(long)]
    count: usize,
    /// Allow repeats (otherwise repeats are skipped).
    #[arg(long)]
    with_replacement: bool,
    /// Print a JSON array.
    #[arg(long)]
    json: bool,
}

/// Arguments of `canvass audit sample`.
#[derive(Args)]
#[command(
    after_help = "Ballot ids are hashed exactly as given: for tuple ids give Python's str() form,
e.g. (('J1', None, 'B1'), 3). With --manifest (CSV: jurisdiction,[tabulator,]batch,ballots)
ballot ids are ((jurisdiction, tabulator, batch), position) in that form.

The seed should be a public roll of at least 20 ten-sided dice; a shorter seed is accepted
with a warning unless --strict-seed is given.

Examples:
  canvass audit sample --seed 314159 --id A#2 --id B#7 --id C#1 --id D#4 --count 8 --with-replacement --json
  canvass audit sample --seed 01382438112797316654 --ids-file ballots.txt --count 100"
)]
struct SampleArgs {
    /// The seed (a public dice roll of at least 20 digits).
    #[arg(long)]
    seed: String,
    /// File with one ballot id per line.
    #[arg(long, conflicts_with_all = ["id", "manifest"])]
    ids_file: Option<String>,
    /// A ballot id (repeat for more).
    #[arg(long, conflicts_with = "manifest")]
    id: Vec<String>,
    /// A ballot manifest CSV (jurisdiction,[tabulator,]batch,ballots).
    #[arg(long)]
    manifest: Option<String>,
    /// How many draws.
    #[arg(long)]
    count: usize,
    /// Sample with replacement (a ballot may be drawn again, with generation 2, 3, ...).
    #[arg(long)]
    with_replacement: bool,
    /// Digits printed after a ticket's leading 9s.
    #[arg(long, default_value_t = 9)]
    digits: usize,
    /// Refuse a seed that is not at least 20 decimal digits.
    #[arg(long)]
    strict_seed: bool,
    /// Print JSON: an array of {ticket, id, generation} in draw order.
    #[arg(long)]
    json: bool,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Method {
    /// Ballot polling (BRAVO).
    Bravo,
    /// Ballot-level comparison (super-simple, Kaplan-Markov).
    Comparison,
    /// Batch-level comparison (MACRO with PPEB sampling).
    Macro,
}

/// Arguments shared by `sample-size` and `risk`.
#[derive(Args)]
struct ContestArgs {
    /// Reported tally: NAME=VOTES,NAME=VOTES,...
    #[arg(long)]
    tally: Option<String>,
    /// Ballots cast in the contest (or the audit universe).
    #[arg(long)]
    ballots: Option<u64>,
    /// Number of winners (vote for N).
    #[arg(long, default_value_t = 1)]
    winners: usize,
    /// Diluted margin: smallest margin / ballots cast, as 0.01 or 1%.
    #[arg(long)]
    diluted_margin: Option<String>,
    /// One-vote overstatements.
    #[arg(long, default_value_t = 0)]
    o1: u64,
    /// Two-vote overstatements.
    #[arg(long, default_value_t = 0)]
    o2: u64,
    /// One-vote understatements.
    #[arg(long, default_value_t = 0)]
    u1: u64,
    /// Two-vote understatements.
    #[arg(long, default_value_t = 0)]
    u2: u64,
    /// Error inflation factor for comparison audits.
    #[arg(long, default_value_t = GAMMA)]
    gamma: f64,
}

/// Arguments of `canvass audit sample-size`.
#[derive(Args)]
#[command(after_help = "Methods:
  bravo       needs --tally and --ballots; prints ASN and the sizes with a 70/80/90% chance
              to finish in one round (Lindeman's analytic method, as Arlo reports them)
  comparison  needs --diluted-margin; optional --o1 --o2 --u1 --u2 --gamma
  macro       needs --error-bound (the total error bound U); prints batches to draw

Examples:
  canvass audit sample-size --method bravo --risk-limit 0.10 --tally A=600,B=400 --ballots 1000 --json
  canvass audit sample-size --method comparison --risk-limit 0.10 --diluted-margin 0.01 --json")]
struct SampleSizeArgs {
    /// The audit method.
    #[arg(long, value_enum)]
    method: Method,
    /// Risk limit, as 0.10 or 10%.
    #[arg(long, default_value = "0.10")]
    risk_limit: String,
    #[command(flatten)]
    contest: ContestArgs,
    /// MACRO: total error bound U (sum of the batches' error bounds).
    #[arg(long)]
    error_bound: Option<f64>,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

/// Arguments of `canvass audit risk`.
#[derive(Args)]
#[command(after_help = "Examples:
  canvass audit risk --method bravo --tally A=600,B=400 --ballots 1000 --sample A=70,B=30 --json
  canvass audit risk --method comparison --diluted-margin 0.01 --sample-size 479 --o1 0 --json")]
struct RiskArgs {
    /// The audit method (bravo or comparison).
    #[arg(long, value_enum)]
    method: Method,
    #[command(flatten)]
    contest: ContestArgs,
    /// BRAVO: sampled ballots per selection, NAME=COUNT,... (cumulative over rounds).
    #[arg(long)]
    sample: Option<String>,
    /// Comparison: number of ballots sampled.
    #[arg(long)]
    sample_size: Option<u64>,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

/// Runs `canvass audit`.
pub fn run(args: AuditArgs) -> ExitCode {
    match args.command {
        AuditCommand::Sample(a) => sample(a),
        AuditCommand::SampleSize(a) => sample_size(a),
        AuditCommand::Risk(a) => risk(a),
        AuditCommand::Prng(a) => prng(a),
        AuditCommand::Start(a) => steps::start(a),
        AuditCommand::Manifest(a) => steps::manifest(a),
        AuditCommand::Cvr(a) => steps::cvr(a),
        AuditCommand::Estimate(a) => steps::estimate(a),
        AuditCommand::Draw(a) => steps::draw(a),
        AuditCommand::Retrieval(a) => boards::retrieval_lists(a),
        AuditCommand::Interpret(a) => boards::interpret(a),
        AuditCommand::BatchCount(a) => boards::batch_count(a),
        AuditCommand::Measure(a) => steps::measure(a),
        AuditCommand::Report(a) => steps::report(a),
        AuditCommand::Status(a) => steps::status(a),
    }
}

fn prng(a: PrngArgs) -> ExitCode {
    match colorado_sample(&a.seed, a.min, a.max, a.count, a.with_replacement) {
        Err(e) => fail(&e.to_string()),
        Ok(v) if a.json => print_json(&v),
        Ok(v) => {
            for (k, x) in v.iter().enumerate() {
                outln!("{:>6}  {x}", k + 1);
            }
            ExitCode::SUCCESS
        }
    }
}

fn usage(message: &str) -> ExitCode {
    eprintln!("error: {message}\n\nFor more information, try '--help'.");
    ExitCode::from(2)
}

/// A fraction given as `0.10` or `10%`.
fn parse_fraction(name: &str, text: &str) -> Result<f64, String> {
    let t = text.trim();
    let (num, scale) = match t.strip_suffix('%') {
        Some(p) => (p.trim(), 100.0),
        None => (t, 1.0),
    };
    match num.parse::<f64>() {
        Ok(v) if v.is_finite() => Ok(v / scale),
        _ => Err(format!(
            "{name} {text:?} is not a number; write it as 0.10 or 10%"
        )),
    }
}

/// `NAME=N,NAME=N,...` (a name may contain `=`; the last one separates the count).
fn parse_counts(flag: &str, text: &str) -> Result<Vec<(String, u64)>, String> {
    text.split(',')
        .filter(|part| !part.trim().is_empty())
        .map(|part| {
            let (name, n) = part.rsplit_once('=').ok_or_else(|| {
                format!("{flag}: {part:?} has no '='; write NAME=COUNT,NAME=COUNT")
            })?;
            let n = n
                .trim()
                .parse::<u64>()
                .map_err(|_| format!("{flag}: {n:?} (for {name:?}) is not a whole number"))?;
            Ok((name.trim().to_owned(), n))
        })
        .collect()
}

fn read_ids(path: &str) -> Result<Vec<String>, String> {
    let text =
        std::fs::read_to_string(path).map_err(|e| format!("cannot read ids file {path}: {e}"))?;
    Ok(text
        .lines()
        .map(|l| l.strip_suffix('\r').unwrap_or(l))
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect())
}

/// One row of `audit sample --json`, fields in contract order.
#[derive(serde::Serialize)]
struct SampleRow<'a> {
    ticket: String,
    id: &'a str,
    generation: u32,
}

fn sample(a: SampleArgs) -> ExitCode {
    if let Err(e) = validate_dice_seed(&a.seed) {
        if a.strict_seed {
            return fail(&e.to_string());
        }
        eprintln!("warning: {e}");
    }
    let draws = if let Some(path) = &a.manifest {
        let manifest: Manifest = match std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read manifest {path}: {e}"))
            .and_then(|text| parse_manifest_csv(path, &text).map_err(|e| e.to_string()))
        {
            Ok(m) => m,
            Err(e) => return fail(&e),
        };
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
        fastdraw::draw(&a.seed, &manifest, a.with_replacement, a.count, threads)
            .into_iter()
            .map(|(d, _)| d)
            .collect()
    } else {
        let ids = match &a.ids_file {
            Some(path) => match read_ids(path) {
                Ok(ids) => ids,
                Err(e) => return fail(&e),
            },
            None => a.id.clone(),
        };
        if ids.is_empty() {
            return usage("give ballot ids with --ids-file FILE, --id ID ... or --manifest FILE");
        }
        match consistent_sample(&a.seed, &ids, a.with_replacement, a.count) {
            Ok(d) => d,
            Err(e) => return fail(&e.to_string()),
        }
    };
    if a.json {
        let rows: Vec<SampleRow<'_>> = draws
            .iter()
            .map(|d| SampleRow {
                ticket: trim_ticket(&d.ticket, a.digits),
                id: &d.id,
                generation: d.generation,
            })
            .collect();
        return print_json(&rows);
    }
    outln!("{:<4} {:<22} {:>10}  id", "#", "ticket", "generation");
    for (i, d) in draws.iter().enumerate() {
        outln!(
            "{:<4} {:<22} {:>10}  {}",
            i + 1,
            trim_ticket(&d.ticket, a.digits),
            d.generation,
            d.id
        );
    }
    ExitCode::SUCCESS
}

/// The reported contest from `--tally`, `--ballots` and `--winners`.
fn contest_from(c: &ContestArgs) -> Result<Result<ReportedContest, String>, ExitCode> {
    let (Some(tally), Some(ballots)) = (&c.tally, c.ballots) else {
        return Err(usage(
            "--method bravo needs --tally NAME=VOTES,... and --ballots N",
        ));
    };
    Ok(parse_counts("--tally", tally)
        .and_then(|t| ReportedContest::new(t, ballots, c.winners).map_err(|e| e.to_string())))
}

fn margin_from(c: &ContestArgs) -> Result<Result<f64, String>, ExitCode> {
    match &c.diluted_margin {
        None => Err(usage(
            "--method comparison needs --diluted-margin M (e.g. 0.01)",
        )),
        Some(m) => Ok(parse_fraction("--diluted-margin", m)),
    }
}

fn discrepancies(c: &ContestArgs) -> Discrepancies {
    Discrepancies {
        o1: c.o1,
        o2: c.o2,
        u1: c.u1,
        u2: c.u2,
    }
}

fn sample_size(a: SampleSizeArgs) -> ExitCode {
    let alpha = match parse_fraction("--risk-limit", &a.risk_limit) {
        Ok(v) => v,
        Err(e) => return fail(&e),
    };
    match a.method {
        Method::Bravo => {
            let contest = match contest_from(&a.contest) {
                Err(code) => return code,
                Ok(Err(e)) => return fail(&e),
                Ok(Ok(c)) => c,
            };
            match bravo::sample_sizes(&contest, alpha, &[]) {
                Err(e) => fail(&e.to_string()),
                Ok(s) if a.json => {
                    print_json(&json!({"asn": s.asn, "p70": s.p70, "p80": s.p80, "p90": s.p90}))
                }
                Ok(s) => {
                    outln!("average sample number (ASN): {}", s.asn);
                    outln!("70% chance to finish in one round: {}", s.p70);
                    outln!("80% chance to finish in one round: {}", s.p80);
                    outln!("90% chance to finish in one round: {}", s.p90);
                    ExitCode::SUCCESS
                }
            }
        }
        Method::Comparison => {
            let mu = match margin_from(&a.contest) {
                Err(code) => return code,
                Ok(Err(e)) => return fail(&e),
                Ok(Ok(m)) => m,
            };
            let d = discrepancies(&a.contest);
            match comparison::sample_size(alpha, mu, a.contest.gamma, &d) {
                Err(e) => fail(&e.to_string()),
                Ok(n) if a.json => print_json(&json!({"size": n})),
                Ok(n) => {
                    outln!("ballots to sample: {n}");
                    ExitCode::SUCCESS
                }
            }
        }
        Method::Macro => {
            let Some(u) = a.error_bound else {
                return usage("--method macro needs --error-bound U (the total error bound)");
            };
            match macro_batch::sample_size(alpha, u) {
                Err(e) => fail(&e.to_string()),
                Ok(n) if a.json => print_json(&json!({"size": n})),
                Ok(n) => {
                    outln!("batches to sample (PPEB, with replacement): {n}");
                    ExitCode::SUCCESS
                }
            }
        }
    }
}

fn risk(a: RiskArgs) -> ExitCode {
    let p = match a.method {
        Method::Bravo => {
            let contest = match contest_from(&a.contest) {
                Err(code) => return code,
                Ok(Err(e)) => return fail(&e),
                Ok(Ok(c)) => c,
            };
            let Some(sample) = &a.sample else {
                return usage("--method bravo needs --sample NAME=COUNT,...");
            };
            match parse_counts("--sample", sample)
                .and_then(|s| bravo::p_value(&contest, &s).map_err(|e| e.to_string()))
            {
                Ok(p) => p,
                Err(e) => return fail(&e),
            }
        }
        Method::Comparison => {
            let mu = match margin_from(&a.contest) {
                Err(code) => return code,
                Ok(Err(e)) => return fail(&e),
                Ok(Ok(m)) => m,
            };
            let Some(n) = a.sample_size else {
                return usage("--method comparison needs --sample-size N");
            };
            let d = discrepancies(&a.contest);
            if d.o1 + d.o2 + d.u1 + d.u2 > n {
                return fail("more discrepancies than sampled ballots; check --sample-size");
            }
            match comparison::p_value(mu, n, a.contest.gamma, &d) {
                Ok(p) => p,
                Err(e) => return fail(&e.to_string()),
            }
        }
        Method::Macro => {
            return usage(
                "risk --method macro is not available from the command line yet; use the library's macro_batch::p_value",
            );
        }
    };
    if a.json {
        return print_json(&json!({"p_value": p}));
    }
    outln!("risk measure (p-value): {p:.6}");
    ExitCode::SUCCESS
}
