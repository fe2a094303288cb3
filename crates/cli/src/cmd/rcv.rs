//! `canvass rcv`: tabulate a ranked-choice contest from an RCTab config file, its cast vote
//! record files, and write RCTab's detailed report (`summary.json`, `summary.csv`).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use canvass_formats::rctab::{
    DetailedReport, InactiveReport, RctabConfig, ReportRound, TallyResult, parse_config, write_csv,
    write_json,
};
use canvass_formats::{Provider, read_source_to_vec};
use canvass_tally::rcv::{
    CandidateSpec, Contest, Decimal, Tabulation, TransferTarget, WinnerElectionMode,
    contest_from_cvrs, tabulate, tabulate_sequential,
};
use clap::Args;

/// Arguments of `canvass rcv`.
#[derive(Debug, Args)]
#[command(
    after_help = "Paths in the config (cvrFileSources[].filePath) are relative to the config file's folder, as in RCTab.
A multiPassIrv (sequential) contest writes one report per pass: summary_1.json,
summary_1.csv, summary_2.json, ...

Exit status: 0 ok, 1 invalid config, ballots or a tie that needs a person, 2 usage error.

Examples:
  canvass rcv --config portland_mayor_config.json --output out/
  canvass rcv --config portland_mayor_config.json --output out/ --json"
)]
pub struct RcvArgs {
    /// The RCTab contest config file (JSON).
    #[arg(long, value_name = "RCTAB_CONFIG.json")]
    pub config: PathBuf,
    /// Folder to write summary.json and summary.csv into (created if missing).
    #[arg(long, value_name = "DIR")]
    pub output: PathBuf,
    /// Print a short JSON summary (winners, rounds, ballots) instead of text.
    #[arg(long)]
    pub json: bool,
}

/// Runs `canvass rcv`.
pub fn run(args: RcvArgs) -> ExitCode {
    let (reports, config) = match count(&args.config) {
        Ok(done) => done,
        Err(message) => return super::fail(&message),
    };
    if let Err(e) = std::fs::create_dir_all(&args.output) {
        return super::fail(&format!(
            "cannot create output folder {}: {e}",
            args.output.display()
        ));
    }
    // One report, or one per pass of a multiPassIrv count (summary_1.json, summary_2.json, ...,
    // as RCTab numbers them).
    let sequential = config.rules.winner_election_mode == WinnerElectionMode::MultiPassIrv;
    let mut written = Vec::new();
    for (i, report) in reports.iter().enumerate() {
        let stem = if sequential {
            format!("summary_{}", i + 1)
        } else {
            "summary".to_string()
        };
        for (ext, text) in [("json", write_json(report)), ("csv", write_csv(report))] {
            let path = args.output.join(format!("{stem}.{ext}"));
            if let Err(e) = std::fs::write(&path, text) {
                return super::fail(&format!("cannot write {}: {e}", path.display()));
            }
            written.push(path);
        }
    }
    let winners: Vec<&String> = reports.iter().flat_map(|r| &r.winners).collect();
    let rounds: usize = reports.iter().map(|r| r.rounds.len()).sum();
    let ballots = reports.first().map_or(0, |r| r.total_ballots);
    if args.json {
        let summary = serde_json::json!({
            "contest": config.output.contest_name,
            "winners": winners,
            "passes": reports.len(),
            "rounds": rounds,
            "total_ballots": ballots,
            "undervotes": reports.first().map_or(0, |r| r.undervotes),
            "final_threshold": reports.last().map(|r| r.final_threshold.clone()),
            "files": written,
        });
        return super::print_json(&summary);
    }
    outln!(
        "{}: {rounds} round(s), {ballots} ballot(s)",
        config.output.contest_name
    );
    outln!(
        "winner(s): {}",
        winners
            .iter()
            .map(|w| w.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    );
    for path in written {
        outln!("wrote {}", path.display());
    }
    ExitCode::SUCCESS
}

/// Reads the config and its ballots, counts, and builds the report (one per pass for
/// `multiPassIrv`).
///
/// # Errors
/// A message naming the file and problem: unreadable or invalid config or CVR files,
/// unknown candidates, unsupported rules, a tie that needs a person.
pub fn count(config_path: &Path) -> Result<(Vec<DetailedReport>, RctabConfig), String> {
    let text = std::fs::read_to_string(config_path).map_err(|e| {
        format!(
            "cannot read {}: {e}; check the --config path",
            config_path.display()
        )
    })?;
    let dir = config_path.parent().unwrap_or(Path::new("."));
    let config =
        parse_config(&text, &config_path.display().to_string(), dir).map_err(|e| e.to_string())?;
    let rules = config.rules.clone();
    // RCTab reads ES&S sheets' ranking columns only up to maxRankingsAllowed (`max`: the
    // number of declared candidates); later columns may hold other data.
    let declared = u32::try_from(config.candidates.len()).unwrap_or(u32::MAX);
    let rank_columns = config.rules.max_rankings_allowed.unwrap_or(declared);
    let mut records = Vec::new();
    for source in &config.sources {
        let mut source = source.clone();
        if matches!(source.provider, Provider::EssXlsx | Provider::EssCsv) {
            source.options.rank_columns.get_or_insert(rank_columns);
        }
        records.extend(read_source_to_vec(&source).map_err(|e| e.to_string())?);
    }
    let candidates: Vec<CandidateSpec> = config
        .candidates
        .iter()
        .map(|c| CandidateSpec {
            name: c.name.clone(),
            aliases: c.aliases.clone(),
            excluded: c.excluded,
        })
        .collect();
    let with_uwi = config.sources.iter().any(|s| {
        s.options
            .undeclared_write_in_label
            .as_deref()
            .is_some_and(|l| !l.is_empty())
            || s.options.treat_blank_as_undeclared_write_in
    });
    let contest = contest_from_cvrs(&candidates, with_uwi, &records).map_err(|e| e.to_string())?;
    let in_file = |e: canvass_tally::rcv::RcvError| format!("{}: {e}", config_path.display());
    if rules.winner_election_mode == WinnerElectionMode::MultiPassIrv {
        let passes = tabulate_sequential(&contest, &rules).map_err(in_file)?;
        let mut reports = Vec::new();
        let mut pass_contest = contest.clone();
        for pass in &passes {
            reports.push(build_report(&config, &pass_contest, pass, 1));
            for &w in &pass.winners {
                pass_contest.candidates[w.index()].excluded = true;
            }
        }
        return Ok((reports, config));
    }
    let tabulation = tabulate(&contest, &rules).map_err(in_file)?;
    let report = build_report(
        &config,
        &contest,
        &tabulation,
        config.rules.number_of_winners,
    );
    Ok((vec![report], config))
}

/// Puts a tabulation into RCTab's report layout; `seats` is the number the count filled
/// (1 for each pass of a `multiPassIrv` count).
#[must_use]
pub fn build_report(
    config: &RctabConfig,
    contest: &Contest,
    tabulation: &Tabulation,
    seats: u32,
) -> DetailedReport {
    let name = |c: canvass_tally::rcv::CandidateId| contest.candidates[c.index()].name.clone();
    let rounds: Vec<ReportRound> = tabulation
        .rounds
        .iter()
        .map(|round| {
            // RCTab's "active and locked-in" votes: the tally plus the final-round surplus.
            let active = round
                .tally
                .iter()
                .map(|(_, v)| *v)
                .chain(round.inactive.final_round_surplus)
                .try_fold(Decimal::ZERO, Decimal::checked_add)
                .unwrap_or(Decimal::ZERO);
            let i = &round.inactive;
            ReportRound {
                round: round.round,
                tally: round
                    .tally
                    .iter()
                    .map(|(c, v)| (name(*c), v.to_string()))
                    .collect(),
                tally_results: round
                    .outcomes
                    .iter()
                    .map(|o| TallyResult {
                        candidate: name(o.candidate),
                        elected: o.elected,
                        tie_broken: o.tie_broken,
                        transfers: o
                            .transfers
                            .iter()
                            .map(|t| {
                                let to = match t.to {
                                    TransferTarget::Candidate(c) => name(c),
                                    TransferTarget::Exhausted => "exhausted".into(),
                                    TransferTarget::ResidualSurplus => "residual surplus".into(),
                                };
                                (to, t.votes.to_string())
                            })
                            .collect(),
                    })
                    .collect(),
                threshold: round.threshold.to_string(),
                inactive: InactiveReport {
                    exhausted_choices: i.exhausted_choices.to_string(),
                    overvotes: i.overvotes.to_string(),
                    repeated_rankings: i.repeated_rankings.to_string(),
                    skipped_rankings: i.skipped_rankings.to_string(),
                    final_round_surplus: i.final_round_surplus.map(|v| v.to_string()),
                },
                active_ballots: active.to_string(),
                residual_surplus: round.residual_surplus.to_string(),
            }
        })
        .collect();
    // Winners in the order elected; several in one round, by name (as RCTab lists them).
    let mut elected: Vec<(u32, String)> = tabulation
        .rounds
        .iter()
        .flat_map(|r| {
            r.outcomes
                .iter()
                .filter(|o| o.elected)
                .map(|o| (r.round, name(o.candidate)))
        })
        .collect();
    elected.sort();
    let winners = elected.into_iter().map(|(_, n)| n).collect();
    DetailedReport {
        contest: config.output.contest_name.clone(),
        date: config.output.contest_date.clone(),
        jurisdiction: config.output.contest_jurisdiction.clone(),
        office: config.output.contest_office.clone(),
        generated_by: format!("canvass {}", env!("CARGO_PKG_VERSION")),
        number_of_winners: seats,
        number_of_candidates: u32::try_from(contest.candidates.len()).unwrap_or(u32::MAX),
        number_of_candidates_counted: u32::try_from(
            contest.candidates.iter().filter(|c| !c.excluded).count(),
        )
        .unwrap_or(u32::MAX),
        bottoms_up_percentage: (config.rules.winner_election_mode
            == WinnerElectionMode::BottomsUpUsingPercentageThreshold)
            .then_some(config.rules.bottoms_up_percentage_threshold)
            .flatten(),
        // As RCTab 2.0's expected reports show: several seats, or a count whose threshold
        // the first round fixes.
        percent_of_first_round: config.rules.number_of_winners > 1
            || config.rules.first_round_determines_threshold,
        total_ballots: tabulation.total_ballots,
        undervotes: tabulation.undervotes,
        final_threshold: rounds
            .last()
            .map(|r| r.threshold.clone())
            .unwrap_or_default(),
        winners,
        multi_winner: config.rules.number_of_winners != 1,
        rounds,
    }
}
