//! `canvass tally`: tabulate results offline from files.

use std::path::PathBuf;
use std::process::ExitCode;

use canvass_formats::{Provider, SourceOptions, SourceSpec, read_source};
use canvass_model::PrecinctResult;
use canvass_tally::cvr::CvrCounter;
use canvass_tally::{ReportOptions, Status, Tabulator, results, to_csv};
use clap::{Args, ValueEnum};
use indicatif::{ProgressBar, ProgressStyle};

use crate::cmd::election::load;
use crate::cmd::{fail, print_json};

/// Tabulate precinct results or cast vote records against an election definition.
#[derive(Args)]
#[command(after_help = "Input formats:
  canvass-csv    canvass's precinct-results CSV (precinct,portion,counting_group,contest,selection,line,votes)
  nist-cvr-json  NIST SP 1500-103 cast vote records, JSON
  nist-cvr-xml   NIST SP 1500-103 cast vote records, XML
  dominion       Dominion CvrExport*.json with manifests (folder or .zip)
  ess            ES&S CVR spreadsheet (.xlsx)
  ess-csv        ES&S CVR exported as CSV
  hart           Hart Verity CVR XML (folder or .zip)
  clear-ballot   Clear Ballot CSV
  generic-csv    RCTab's generic CSV
Cast vote records are matched to the definition by contest and selection id or name; every
unmatched name is listed, and the tally fails unless --allow-unmatched is given.

Exit status: 0 ok, 1 invalid input, 2 usage.

Examples:
  canvass tally --election us-2020 --input returns.csv
  canvass tally --election us-2020 --input returns.csv --final --json > results.json
  canvass tally --election my-election.toml --input cvr.json --format nist-cvr-json --csv")]
pub struct TallyArgs {
    /// A built-in election name or a definition file.
    #[arg(long)]
    election: String,
    /// Input files (all in the one --format).
    #[arg(long, required = true, num_args = 1..)]
    input: Vec<PathBuf>,
    /// The input format.
    #[arg(long, value_enum, default_value = "canvass-csv")]
    format: InputFormat,
    /// Declare the count complete: name winners even where not every expected precinct
    /// is in the input (an offline canvass of final returns).
    #[arg(long = "final")]
    final_count: bool,
    /// Include totals per county, district and precinct in --json output.
    #[arg(long)]
    levels: bool,
    /// Count cast vote records whose contest or choice names match nothing in the definition
    /// (they are listed, and counted as undervotes).
    #[arg(long)]
    allow_unmatched: bool,
    /// Print the canonical results JSON (see docs/results-json.md).
    #[arg(long, conflicts_with_all = ["csv", "nist"])]
    json: bool,
    /// Print results as CSV, one row per contest and selection.
    #[arg(long, conflicts_with = "nist")]
    csv: bool,
    /// Print results as NIST SP 1500-100 v2 Election Results Reporting JSON.
    #[arg(long)]
    nist: bool,
    /// The NIST report's `GeneratedDate` (default: now, in UTC).
    #[arg(long, requires = "nist")]
    generated_date: Option<String>,
    /// The NIST report's `Issuer`.
    #[arg(long, requires = "nist", default_value = "canvass")]
    issuer: String,
    /// No progress bar.
    #[arg(long, short)]
    quiet: bool,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum InputFormat {
    CanvassCsv,
    NistCvrJson,
    NistCvrXml,
    Dominion,
    Ess,
    EssCsv,
    Hart,
    ClearBallot,
    GenericCsv,
}

fn provider(f: InputFormat) -> Option<Provider> {
    Some(match f {
        InputFormat::CanvassCsv => return None,
        InputFormat::NistCvrJson => Provider::NistJson,
        InputFormat::NistCvrXml => Provider::NistXml,
        InputFormat::Dominion => Provider::Dominion,
        InputFormat::Ess => Provider::EssXlsx,
        InputFormat::EssCsv => Provider::EssCsv,
        InputFormat::Hart => Provider::Hart,
        InputFormat::ClearBallot => Provider::ClearBallot,
        InputFormat::GenericCsv => Provider::GenericCsv,
    })
}

fn progress(quiet: bool, what: &str) -> ProgressBar {
    if quiet {
        return ProgressBar::hidden();
    }
    let pb = ProgressBar::new_spinner();
    pb.set_style(
        ProgressStyle::with_template("{spinner} {pos} {msg} ({per_sec}) {elapsed}")
            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );
    pb.set_message(what.to_owned());
    pb
}

/// Runs `canvass tally`.
pub fn run(args: TallyArgs) -> ExitCode {
    let election = match load(&args.election) {
        Ok(e) => e,
        Err(code) => return code,
    };
    let reports: Vec<PrecinctResult> = match provider(args.format) {
        None => {
            let pb = progress(args.quiet, "files");
            let mut all = Vec::new();
            for path in &args.input {
                let name = path.display().to_string();
                let file = match std::fs::File::open(path) {
                    Ok(f) => f,
                    Err(e) => return fail(&format!("cannot read {name}: {e}: check the path")),
                };
                match canvass_formats::precinct_csv::read(std::io::BufReader::new(file), &name) {
                    Ok(mut r) => all.append(&mut r),
                    Err(e) => return fail(&e.to_string()),
                }
                pb.inc(1);
            }
            pb.finish_and_clear();
            all
        }
        Some(provider) => {
            let mut counter = CvrCounter::new(&election, "unknown-precinct");
            let pb = progress(args.quiet, "ballots");
            for path in &args.input {
                let spec = SourceSpec {
                    provider,
                    path: path.clone(),
                    options: SourceOptions::default(),
                };
                let read = read_source(&spec, &mut |r| {
                    counter.add(&r);
                    pb.inc(1);
                    Ok(())
                });
                if let Err(e) = read {
                    return fail(&e.to_string());
                }
            }
            pb.finish_and_clear();
            let (reports, unmatched) = counter.finish();
            if !unmatched.is_empty() {
                for (c, n) in &unmatched.contests {
                    eprintln!("unmatched contest {c:?} on {n} ballot(s)");
                }
                for ((c, s), n) in &unmatched.choices {
                    eprintln!("unmatched choice {s:?} in contest {c:?}: {n} mark(s)");
                }
                if !args.allow_unmatched {
                    return fail(
                        "some names match nothing in the definition: add them to the definition (ids or names), or pass --allow-unmatched to count them as undervotes",
                    );
                }
            }
            reports
        }
    };
    let mut t = Tabulator::new(election);
    let mut keys = std::collections::HashSet::new();
    for r in &reports {
        // Two rows for one precinct, portion and counting group in different files would
        // silently replace each other: refuse instead.
        if !keys.insert((r.precinct.clone(), r.portion.clone(), r.counting_group)) {
            return fail(&format!(
                "precinct {} is reported twice (portion {:?}, counting group {:?}): give each precinct's counts once",
                r.precinct, r.portion, r.counting_group
            ));
        }
        if let Err(e) = t.apply(r) {
            return fail(&e.to_string());
        }
    }
    let opts = ReportOptions {
        complete: args.final_count,
        counties: args.levels,
        districts: args.levels,
        precincts: args.levels,
    };
    let res = results(&t, &opts);
    if args.json {
        return print_json(&res);
    }
    if args.csv {
        out!("{}", to_csv(&res));
        return ExitCode::SUCCESS;
    }
    if args.nist {
        let opts = canvass_formats::err::ErrOptions {
            issuer: args.issuer.clone(),
            issuer_abbreviation: args.issuer.clone(),
            generated_date: args.generated_date.clone().unwrap_or_else(now_utc),
            ..Default::default()
        };
        return print_json(&canvass_formats::err::to_json(t.election(), &res, &opts));
    }
    let shown = res
        .contests
        .iter()
        .filter(|c| c.status != Status::NotReporting);
    for c in shown {
        let area = c.district.as_deref().or(c.state.as_deref()).unwrap_or("US");
        outln!(
            "{} [{}] {} ({}/{} precincts)",
            c.id,
            area,
            c.name,
            c.precincts_reported,
            c.precincts_expected
        );
        for s in &c.selections {
            let mark = if c.winners.contains(&s.name) {
                "*"
            } else {
                " "
            };
            outln!("  {mark} {:<45} {:>12} {:>7}%", s.name, s.votes, s.percent);
        }
        if !c.runoff.is_empty() {
            outln!("    runoff: {}", c.runoff.join(" vs "));
        }
        if let Some(r) = &c.recount {
            outln!(
                "    recount {}: margin {} votes",
                if r.automatic {
                    "triggered"
                } else {
                    "may be requested"
                },
                r.margin_votes
            );
        }
        for f in &c.flags {
            outln!(
                "    flag: {} has ballots x vote_for = {} but {} votes + over/undervotes",
                f.unit,
                f.expected,
                f.counted
            );
        }
    }
    if let Some(p) = &res.president {
        let ev: Vec<String> = p
            .electoral_votes
            .iter()
            .map(|(k, v)| format!("{k} {v}"))
            .collect();
        outln!(
            "Electoral College (decided): {}",
            if ev.is_empty() {
                "none yet".into()
            } else {
                ev.join(", ")
            }
        );
        if let Some(w) = &p.electoral_college_winner {
            outln!("Electoral College winner: {w}");
        }
    }
    ExitCode::SUCCESS
}

/// The current time as ISO 8601 UTC, e.g. `2026-11-04T02:00:00Z`.
fn now_utc() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let (days, rem) = (secs / 86_400, secs % 86_400);
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem / 60 % 60,
        rem % 60
    )
}
