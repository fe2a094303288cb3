//! `canvass tally`: tabulate results offline from files.

use std::path::PathBuf;
use std::process::ExitCode;

use canvass_tally::{ReportOptions, Status, Tabulator, results, to_csv};
use clap::Args;

use crate::cmd::inputs::{Definition, InputFormat, load_reported};
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
  nist-err       NIST SP 1500-100 v2 election results, JSON
  nist-err-xml   NIST SP 1500-100 v2 election results, XML
  medsl          MEDSL/OpenElections precinct returns CSV (--election optional: without it,
                 contests and candidates are inferred from the returns)
Names are matched to the definition by id or name (MEDSL also through --aliases); unknown
precincts are never guessed. Every unmatched name and unknown precinct is listed on stderr,
and the tally fails unless --allow-unmatched is given, which leaves their counts out (cast
vote records: counted as undervotes) and, with --json, lists them under the top-level key
`unmatched`: [{\"kind\": \"contest\"|\"selection\"|\"choice\"|\"candidate\"|\"precinct\"|\"mode\",
\"name\": ..., \"count\": ballots or marks, where known}].

Exit status: 0 ok, 1 invalid input, 2 usage.

Examples:
  canvass tally --election us-2020 --input returns.csv
  canvass tally --election us-2020 --input returns.csv --final --json > results.json
  canvass tally --election my-election.toml --input cvr.json --format nist-cvr-json --csv
  canvass tally --format medsl --input dc24.csv --final
  canvass tally --format medsl --election us-2024 --aliases aliases.toml --input dc24.csv
  canvass tally --format nist-err-xml --election us-2020 --input results.xml")]
pub struct TallyArgs {
    /// A built-in election name or a definition file (optional for --format medsl).
    #[arg(long)]
    election: Option<String>,
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
    /// Tally even where names or precincts match nothing in the definition (they are
    /// listed; their counts are left out, cast vote records count them as undervotes).
    #[arg(long)]
    allow_unmatched: bool,
    /// MEDSL: an aliases file (TOML) mapping names in the returns to definition ids.
    #[arg(long)]
    aliases: Option<PathBuf>,
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

/// Runs `canvass tally`.
pub fn run(args: TallyArgs) -> ExitCode {
    let def = match &args.election {
        Some(name) => Definition::Named(name),
        None => Definition::Infer,
    };
    let loaded = match load_reported(
        args.format,
        &args.input,
        def,
        args.aliases.as_deref(),
        args.quiet,
        args.allow_unmatched,
        "",
    ) {
        Ok(l) => l,
        Err(code) => return code,
    };
    let (election, reports) = (loaded.election, loaded.reports);
    // Leaked, like `reports` and `keys` below: the process ends soon after, and freeing a
    // large tally's million small allocations one by one would cost a fifth of its run.
    let t = Box::leak(Box::new(Tabulator::new(election)));
    let mut keys = std::collections::HashSet::new();
    for r in &reports {
        // Two rows for one precinct, portion and counting group in different files would
        // silently replace each other: refuse instead.
        let key = (r.precinct.as_str(), r.portion.as_ref(), r.counting_group);
        if !keys.insert(key) {
            return fail(&format!(
                "precinct {} is reported twice (portion {:?}, counting group {:?}): give each precinct's counts once",
                r.precinct, r.portion, r.counting_group
            ));
        }
        if let Err(e) = t.apply(r) {
            return fail(&e.to_string());
        }
    }
    std::mem::forget(keys);
    std::mem::forget(reports);
    let opts = ReportOptions {
        complete: args.final_count,
        counties: args.levels,
        districts: args.levels,
        precincts: args.levels,
    };
    let res = results(t, &opts);
    if args.json {
        if loaded.unmatched.is_empty() {
            return print_json(&res);
        }
        let mut v = match serde_json::to_value(&res) {
            Ok(v) => v,
            Err(e) => return fail(&format!("cannot write JSON: {e}")),
        };
        v["unmatched"] = serde_json::json!(loaded.unmatched);
        return print_json(&v);
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
