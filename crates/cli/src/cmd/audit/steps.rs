//! `canvass audit start | manifest | estimate | draw | retrieval | interpret | batch-count |
//! measure | report | status`: the audit workflow of issue 9 (`docs/audit.md`). Each step
//! recomputes the audit from its logged records, makes the next record with
//! `canvass_audit::workflow`, signs it with the authority's key and logs it.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;

use canvass_audit::Batch;
use canvass_audit::workflow::{
    AuditRecord, AuditState, BallotVotes, BatchCounts, ContestSpec, ContestStatus, Decision,
    Interpretations, Method, ReportedBatch, ResultsRef, Start, Step, manifest_parts, report_csv,
    report_html, retrieval, retrieval_csv, retrieval_html,
};
use clap::Args;
use serde_json::json;

use super::conn::{Session, Target};
use crate::cmd::{fail, print_json};

/// Largest JSON of interpretations per record (a log entry holds at most 64 KiB).
const RECORD_BYTES: usize = 48_000;

fn session(t: &Target) -> Result<Session, String> {
    Session::open(t)
}

fn finish(t: &Target, value: serde_json::Value, human: String) -> ExitCode {
    if t.json {
        return print_json(&value);
    }
    outln!("{human}");
    ExitCode::SUCCESS
}

fn done(r: Result<ExitCode, String>) -> ExitCode {
    r.unwrap_or_else(|m| fail(&m))
}

/// Arguments of `canvass audit start`.
#[derive(Args, Debug)]
#[command(after_help = "Examples:
  canvass audit start --data /srv/canvass --audit 2026-rla --risk-limit 0.10 \\
      --seed 38271940561273849506 --contest us-senate-pa --contest pa-gov:macro
  canvass audit start --data /srv/canvass --server http://127.0.0.1:8080 --audit 2026-rla \\
      --seed 38271940561273849506 --contest pa-ballot-q1 --max-rounds 3 --json

The reported tallies are those of the latest published results snapshot (the record names its
log index and SHA-256). METHOD is bravo (ballot polling, the default) or macro (batch
comparison over the contest's precinct totals). The seed is a public roll of at least 20
ten-sided dice.")]
pub struct StartArgs {
    #[command(flatten)]
    target: Target,
    /// A contest to audit, ID or ID:METHOD (repeat for several contests).
    #[arg(long = "contest", required = true)]
    contests: Vec<String>,
    /// The risk limit, a decimal such as 0.10.
    #[arg(long, default_value = "0.10")]
    risk_limit: String,
    /// The public dice roll: at least 20 decimal digits.
    #[arg(long)]
    seed: String,
    /// After this many rounds, a contest not confirmed goes to a full hand count.
    #[arg(long, default_value_t = 3)]
    max_rounds: u64,
}

/// Runs `canvass audit start`.
pub fn start(a: StartArgs) -> ExitCode {
    done((|| {
        let s = session(&a.target)?;
        if s.state()?.is_some() {
            return Err(format!(
                "audit {:?} already exists: choose another name",
                a.target.audit
            ));
        }
        let (results, after, sha) = s.results()?;
        let mut contests = Vec::new();
        for c in &a.contests {
            let (id, method) = match c.split_once(':') {
                None | Some((_, "bravo")) => (c.split(':').next().unwrap_or(c), Method::Bravo),
                Some((id, "macro")) => (id, Method::Macro),
                Some((_, m)) => {
                    return Err(format!("--contest {c}: method {m:?} is not bravo or macro"));
                }
            };
            let r = results
                .contests
                .iter()
                .find(|r| r.id == id)
                .ok_or_else(|| format!("contest {id:?} is not in the published results"))?;
            let tally = r.totals.0.clone();
            let batches = if method == Method::Macro {
                let detail = s.contest(id)?;
                detail
                    .precincts
                    .unwrap_or_default()
                    .into_iter()
                    .map(|p| ReportedBatch {
                        votes: tally
                            .iter()
                            .map(|(n, _)| {
                                p.totals.0.iter().find(|(m, _)| m == n).map_or(0, |x| x.1)
                            })
                            .collect(),
                        batch: p.id,
                        ballots: p.ballots,
                    })
                    .collect()
            } else {
                Vec::new()
            };
            contests.push(ContestSpec {
                id: r.id.clone(),
                name: r.name.clone(),
                method,
                winners: s
                    .election
                    .contests
                    .iter()
                    .find(|c| c.id.as_str() == r.id)
                    .map_or(r.winners.len() as u64, |c| u64::from(c.vote_for)),
                ballots: r.ballots,
                tally,
                batches,
            });
        }
        let record = AuditRecord {
            audit: a.target.audit.clone(),
            seq: 1,
            step: Step::Start(Start {
                election: results.election.clone(),
                results: ResultsRef {
                    after,
                    results_sha256: sha,
                },
                risk_limit: a.risk_limit.clone(),
                seed: a.seed.clone(),
                max_rounds: a.max_rounds,
                contests,
            }),
        };
        AuditState::start(&record).map_err(|e| e.to_string())?;
        let index = s.post(&record)?;
        Ok(finish(
            &a.target,
            json!({"audit": a.target.audit, "log_index": index, "record": record}),
            format!(
                "started audit {} (log index {index}) on the results snapshot at log index {after}",
                a.target.audit
            ),
        ))
    })())
}

/// Arguments of `canvass audit manifest`.
#[derive(Args, Debug)]
#[command(after_help = "Examples:
  canvass audit manifest --data /srv/canvass --audit 2026-rla --jurisdiction 'Adams County' adams.csv

The CSV has the columns jurisdiction,tabulator,batch,ballots (tabulator optional), and every
row names the jurisdiction given. Import every jurisdiction's manifest before the first draw.")]
pub struct ManifestArgs {
    #[command(flatten)]
    target: Target,
    /// The jurisdiction the manifest belongs to.
    #[arg(long)]
    jurisdiction: String,
    /// The manifest CSV file.
    file: PathBuf,
}

/// Runs `canvass audit manifest`.
pub fn manifest(a: ManifestArgs) -> ExitCode {
    done((|| {
        let s = session(&a.target)?;
        let mut st = s.started()?;
        let csv =
            std::fs::read_to_string(&a.file).map_err(|e| format!("{}: {e}", a.file.display()))?;
        let mut indices = Vec::new();
        for r in manifest_parts(&st.audit, st.next_seq(), &a.jurisdiction, &csv) {
            st.apply(&r)
                .map_err(|e| format!("{}: {e}", a.file.display()))?;
            indices.push(s.post(&r)?);
        }
        let m = &st.manifests[&a.jurisdiction];
        Ok(finish(
            &a.target,
            json!({"jurisdiction": a.jurisdiction, "sha256": m.sha256, "batches": m.manifest.batches().len(),
                   "ballots": m.manifest.total_ballots(), "log_indices": indices}),
            format!(
                "imported the manifest of {}: {} batches, {} ballots, sha256 {} (log indices {indices:?})",
                a.jurisdiction,
                m.manifest.batches().len(),
                m.manifest.total_ballots(),
                m.sha256
            ),
        ))
    })())
}

/// Arguments of steps that take no other input (`estimate`, `measure`, `status`).
#[derive(Args, Debug)]
#[command(after_help = "Examples:
  canvass audit estimate --data /srv/canvass --audit 2026-rla
  canvass audit measure --data /srv/canvass --server http://127.0.0.1:8080 --audit 2026-rla --json
  canvass audit status --data /srv/canvass --audit 2026-rla")]
pub struct StepArgs {
    #[command(flatten)]
    target: Target,
}

/// Runs `canvass audit estimate`: logs the sample-size estimate for the next round.
pub fn estimate(a: StepArgs) -> ExitCode {
    done((|| {
        let s = session(&a.target)?;
        let st = s.started()?;
        let r = st.plan_estimate().map_err(|e| e.to_string())?;
        let index = s.post(&r)?;
        let Step::Estimate(e) = &r.step else {
            return Err("not an estimate".into());
        };
        let mut h = format!(
            "round {} estimate (log index {index}), universe {} ballots:\n",
            e.round, e.universe
        );
        for c in &e.contests {
            h.push_str(&format!(
                "  {:<24} asn {:>8}  70% {:>8}  80% {:>8}  90% {:>8}\n",
                c.contest, c.asn, c.p70, c.p80, c.p90
            ));
        }
        h.push_str(&format!(
            "draw {} ballots for a 90% chance to finish this round",
            e.ballots
        ));
        Ok(finish(
            &a.target,
            json!({"log_index": index, "estimate": e}),
            h,
        ))
    })())
}

/// Arguments of `canvass audit draw`.
#[derive(Args, Debug)]
#[command(after_help = "Examples:
  canvass audit draw --data /srv/canvass --audit 2026-rla               # the suggested size
  canvass audit draw --data /srv/canvass --audit 2026-rla --ballots 400

Without --ballots: the last measurement's next-round size, else the estimate's 90% size.
Batch-comparison contests draw the number of batches their method asks for.")]
pub struct DrawArgs {
    #[command(flatten)]
    target: Target,
    /// Ballots to draw in this round (with replacement).
    #[arg(long)]
    ballots: Option<u64>,
}

/// Runs `canvass audit draw`.
pub fn draw(a: DrawArgs) -> ExitCode {
    done((|| {
        let s = session(&a.target)?;
        let st = s.started()?;
        let n = a.ballots.unwrap_or_else(|| st.suggested_ballots());
        let r = st.plan_draw(n).map_err(|e| e.to_string())?;
        let index = s.post(&r)?;
        let Step::Draw(d) = &r.step else {
            return Err("not a draw".into());
        };
        let mut h = format!(
            "round {} drawn (log index {index}): {} ballots, {} in all, sample sha256 {}",
            d.round, d.ballots, d.total, d.sample_sha256
        );
        for b in &d.batches {
            h.push_str(&format!("\n  {}: {} batch draws", b.contest, b.draws));
        }
        Ok(finish(&a.target, json!({"log_index": index, "draw": d}), h))
    })())
}

/// Arguments of `canvass audit retrieval`.
#[derive(Args, Debug)]
#[command(after_help = "Examples:
  canvass audit retrieval --data /srv/canvass --audit 2026-rla --out lists/
      # lists/round-1/<jurisdiction>.csv and .html for the latest round

The lists are sorted by tabulator, batch and position; a ballot drawn more than once appears
once with every ticket. Ballots pulled in an earlier round are not listed again.")]
pub struct RetrievalArgs {
    #[command(flatten)]
    target: Target,
    /// The round (default: the latest drawn).
    #[arg(long)]
    round: Option<u64>,
    /// Directory to write round-<R>/<jurisdiction>.csv and .html into.
    #[arg(long)]
    out: PathBuf,
}

fn file_name(j: &str) -> String {
    j.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// Runs `canvass audit retrieval`.
pub fn retrieval_lists(a: RetrievalArgs) -> ExitCode {
    done((|| {
        let s = session(&a.target)?;
        let st = s.started()?;
        let round = a
            .round
            .or_else(|| st.rounds.last().map(|r| r.number))
            .ok_or("nothing drawn yet: run canvass audit draw")?;
        let dir = a.out.join(format!("round-{round}"));
        std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        let mut files = Vec::new();
        let lists = retrieval(&st, round);
        for j in st.manifests.keys() {
            let entries = lists.get(j).cloned().unwrap_or_default();
            let base = dir.join(file_name(j));
            let (csv, html) = (base.with_extension("csv"), base.with_extension("html"));
            std::fs::write(&csv, retrieval_csv(&entries))
                .map_err(|e| format!("{}: {e}", csv.display()))?;
            std::fs::write(&html, retrieval_html(&st, round, j, &entries))
                .map_err(|e| format!("{}: {e}", html.display()))?;
            files.push(
                json!({"jurisdiction": j, "ballots": entries.len(), "csv": csv, "html": html}),
            );
        }
        let h = files
            .iter()
            .map(|f| {
                format!(
                    "{}: {} ballots -> {}",
                    f["jurisdiction"].as_str().unwrap_or(""),
                    f["ballots"],
                    f["csv"].as_str().unwrap_or("")
                )
            })
            .collect::<Vec<_>>()
            .join("\n");
        Ok(finish(
            &a.target,
            json!({"round": round, "lists": files}),
            h,
        ))
    })())
}

/// Arguments of `canvass audit interpret`.
#[derive(Args, Debug)]
#[command(after_help = "Examples:
  canvass audit interpret --data /srv/canvass --audit 2026-rla --board 'Adams board 1' --file adams.csv
  canvass audit interpret --data /srv/canvass --audit 2026-rla --board 'Adams board 1' \\
      --ballot \"(('Adams County', None, 'Batch 002'), 17)\" --vote us-senate-pa=Casey

CSV columns: jurisdiction,tabulator,batch,position,contest,selections (selections separated
by ';'; empty for no vote; one row per ballot and contest; a contest without a row is not on
that ballot; an empty contest column records a ballot with no audited contest). More marks
than the contest's winners is an overvote and counts for no one.")]
pub struct InterpretArgs {
    #[command(flatten)]
    target: Target,
    /// The audit board.
    #[arg(long)]
    board: String,
    /// Interpretations as CSV.
    #[arg(long)]
    file: Option<PathBuf>,
    /// One ballot id (with --vote).
    #[arg(long)]
    ballot: Option<String>,
    /// CONTEST=NAME[;NAME] for --ballot (repeat per contest).
    #[arg(long = "vote")]
    votes: Vec<String>,
}

fn split_csv(line: &str) -> Vec<String> {
    let (mut out, mut cur, mut quoted, mut chars) =
        (Vec::new(), String::new(), false, line.chars().peekable());
    while let Some(c) = chars.next() {
        match c {
            '"' if quoted && chars.peek() == Some(&'"') => {
                cur.push('"');
                chars.next();
            }
            '"' => quoted = !quoted,
            ',' if !quoted => out.push(std::mem::take(&mut cur)),
            _ => cur.push(c),
        }
    }
    out.push(cur);
    out
}

fn marks(s: &str) -> Vec<String> {
    s.split(';')
        .map(str::trim)
        .filter(|m| !m.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Reads interpretations CSV rows into ballot id → contest → selections.
fn read_interpretations(
    path: &PathBuf,
) -> Result<BTreeMap<String, BTreeMap<String, Vec<String>>>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut lines = text.lines().enumerate();
    let header = lines.next().map(|(_, l)| split_csv(l)).unwrap_or_default();
    let col = |n: &str| {
        header
            .iter()
            .position(|h| h.trim() == n)
            .ok_or_else(|| format!("{}: line 1: missing column {n}", path.display()))
    };
    let (cj, ct, cb, cp, cc, cs) = (
        col("jurisdiction")?,
        col("tabulator").ok(),
        col("batch")?,
        col("position")?,
        col("contest")?,
        col("selections")?,
    );
    let mut out: BTreeMap<String, BTreeMap<String, Vec<String>>> = BTreeMap::new();
    for (i, line) in lines {
        if line.trim().is_empty() {
            continue;
        }
        let f = split_csv(line);
        let get = |c: usize| f.get(c).map(|s| s.trim().to_owned()).unwrap_or_default();
        let position: u64 = get(cp).parse().map_err(|_| {
            format!(
                "{}: line {}: position {:?} is not a number",
                path.display(),
                i + 1,
                get(cp)
            )
        })?;
        let tab = ct.map(get).filter(|t| !t.is_empty());
        let id = Batch {
            jurisdiction: get(cj),
            tabulator: tab,
            batch: get(cb),
            ballots: 0,
        }
        .ballot_id(position);
        let ballot = out.entry(id).or_default();
        let contest = get(cc);
        if !contest.is_empty() {
            ballot.insert(contest, marks(&get(cs)));
        }
    }
    Ok(out)
}

/// Splits ballots into records of at most [`RECORD_BYTES`] of JSON.
fn chunks(ballots: Vec<BallotVotes>) -> Vec<Vec<BallotVotes>> {
    let mut out: Vec<Vec<BallotVotes>> = vec![Vec::new()];
    let mut size = 0;
    for b in ballots {
        let n = serde_json::to_string(&b).map_or(0, |s| s.len());
        if size + n > RECORD_BYTES && out.last().is_some_and(|c| !c.is_empty()) {
            out.push(Vec::new());
            size = 0;
        }
        size += n;
        if let Some(c) = out.last_mut() {
            c.push(b);
        }
    }
    out
}

/// Runs `canvass audit interpret`.
pub fn interpret(a: InterpretArgs) -> ExitCode {
    done((|| {
        let mut ballots: BTreeMap<String, BTreeMap<String, Vec<String>>> = match &a.file {
            Some(f) => read_interpretations(f)?,
            None => BTreeMap::new(),
        };
        if let Some(id) = &a.ballot {
            let mut votes = BTreeMap::new();
            for v in &a.votes {
                let (c, m) = v
                    .split_once('=')
                    .ok_or_else(|| format!("--vote {v}: write CONTEST=NAME[;NAME]"))?;
                votes.insert(c.to_owned(), marks(m));
            }
            ballots.insert(id.clone(), votes);
        }
        if ballots.is_empty() {
            return Err("give --file CSV or --ballot ID --vote CONTEST=NAME".into());
        }
        let s = session(&a.target)?;
        let mut st = s.started()?;
        let round = st
            .open_round()
            .map(|r| r.number)
            .ok_or("no round is open: run canvass audit draw first")?;
        let list: Vec<BallotVotes> = ballots
            .into_iter()
            .map(|(id, votes)| BallotVotes { id, votes })
            .collect();
        let n = list.len();
        let mut indices = Vec::new();
        for chunk in chunks(list) {
            let r = st.plan(Step::Interpret(Interpretations {
                round,
                board: a.board.clone(),
                ballots: chunk,
            }));
            st.apply(&r).map_err(|e| e.to_string())?;
            indices.push(s.post(&r)?);
        }
        let left = st
            .all_ballot_draws()
            .filter(|d| !st.interpretations.contains_key(&d.draw.id))
            .map(|d| d.draw.id.clone())
            .collect::<std::collections::BTreeSet<_>>()
            .len();
        Ok(finish(
            &a.target,
            json!({"round": round, "ballots": n, "log_indices": indices, "not_yet_interpreted": left}),
            format!(
                "logged {n} interpretations by {} for round {round} (log indices {indices:?}); {left} drawn ballots still to interpret",
                a.board
            ),
        ))
    })())
}

/// Arguments of `canvass audit batch-count`.
#[derive(Args, Debug)]
#[command(after_help = "Examples:
  canvass audit batch-count --data /srv/canvass --audit 2026-rla --contest pa-gov \\
      --board 'Hand count 1' --file counts.csv

CSV columns: batch,selection,votes (one row per batch and selection; every selection of the
contest for each batch counted).")]
pub struct BatchCountArgs {
    #[command(flatten)]
    target: Target,
    /// The batch-comparison contest.
    #[arg(long)]
    contest: String,
    /// The audit board.
    #[arg(long)]
    board: String,
    /// Hand counts as CSV.
    #[arg(long)]
    file: PathBuf,
}

/// Runs `canvass audit batch-count`.
pub fn batch_count(a: BatchCountArgs) -> ExitCode {
    done((|| {
        let s = session(&a.target)?;
        let mut st = s.started()?;
        let round = st
            .open_round()
            .map(|r| r.number)
            .ok_or("no round is open: run canvass audit draw first")?;
        let spec = st
            .start
            .contests
            .iter()
            .find(|c| c.id == a.contest)
            .ok_or_else(|| format!("contest {} is not in the audit", a.contest))?
            .clone();
        let text =
            std::fs::read_to_string(&a.file).map_err(|e| format!("{}: {e}", a.file.display()))?;
        let mut counts: BTreeMap<String, Vec<u64>> = BTreeMap::new();
        for (i, line) in text.lines().enumerate().skip(1) {
            if line.trim().is_empty() {
                continue;
            }
            let f = split_csv(line);
            let [batch, sel, votes] = f.as_slice() else {
                return Err(format!(
                    "{}: line {}: expected batch,selection,votes",
                    a.file.display(),
                    i + 1
                ));
            };
            let k = spec
                .tally
                .iter()
                .position(|(n, _)| n == sel.trim())
                .ok_or_else(|| {
                    format!(
                        "{}: line {}: {sel:?} is not a selection of {}",
                        a.file.display(),
                        i + 1,
                        a.contest
                    )
                })?;
            let v: u64 = votes.trim().parse().map_err(|_| {
                format!(
                    "{}: line {}: votes {votes:?} is not a number",
                    a.file.display(),
                    i + 1
                )
            })?;
            counts
                .entry(batch.trim().to_owned())
                .or_insert_with(|| vec![0; spec.tally.len()])[k] = v;
        }
        let r = st.plan(Step::BatchCount(BatchCounts {
            round,
            board: a.board.clone(),
            contest: a.contest.clone(),
            batches: counts.into_iter().collect(),
        }));
        st.apply(&r).map_err(|e| e.to_string())?;
        let index = s.post(&r)?;
        Ok(finish(
            &a.target,
            json!({"round": round, "log_index": index}),
            format!(
                "logged the batch counts of {} (log index {index})",
                a.contest
            ),
        ))
    })())
}

/// Runs `canvass audit measure`.
pub fn measure(a: StepArgs) -> ExitCode {
    done((|| {
        let s = session(&a.target)?;
        let st = s.started()?;
        let r = st.plan_measure().map_err(|e| e.to_string())?;
        let index = s.post(&r)?;
        let Step::Measure(m) = &r.step else {
            return Err("not a measurement".into());
        };
        let mut h = format!(
            "round {} measured (log index {index}), risk limit {}:\n",
            m.round, st.start.risk_limit
        );
        for c in &m.contests {
            let next = if c.decision == Decision::NextRound {
                format!(" (next round: {})", c.next_size)
            } else {
                String::new()
            };
            h.push_str(&format!(
                "  {:<24} sampled {:>8}  risk {}  {}{next}\n",
                c.contest,
                c.sampled,
                c.p_value,
                c.decision.name()
            ));
        }
        if m.next_ballots > 0 {
            h.push_str(&format!("next round: draw {} ballots", m.next_ballots));
        }
        Ok(finish(
            &a.target,
            json!({"log_index": index, "measurement": m}),
            h.trim_end().to_owned(),
        ))
    })())
}

/// Arguments of `canvass audit report`.
#[derive(Args, Debug)]
#[command(after_help = "Examples:
  canvass audit report --data /srv/canvass --audit 2026-rla --out report/   # report.html, report.csv
  canvass audit report --data /srv/canvass --audit 2026-rla --format csv")]
pub struct ReportArgs {
    #[command(flatten)]
    target: Target,
    /// Write report.html and report.csv into this directory.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Without --out: print html or csv on stdout.
    #[arg(long, default_value = "html")]
    format: String,
}

/// Runs `canvass audit report`.
pub fn report(a: ReportArgs) -> ExitCode {
    done((|| {
        let s = session(&a.target)?;
        let st = s.started()?;
        match &a.out {
            Some(dir) => {
                std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
                let (h, c) = (dir.join("report.html"), dir.join("report.csv"));
                std::fs::write(&h, report_html(&st))
                    .map_err(|e| format!("{}: {e}", h.display()))?;
                std::fs::write(&c, report_csv(&st)).map_err(|e| format!("{}: {e}", c.display()))?;
                Ok(finish(
                    &a.target,
                    json!({"html": h, "csv": c}),
                    format!("wrote {} and {}", h.display(), c.display()),
                ))
            }
            None => {
                match a.format.as_str() {
                    "html" => out!("{}", report_html(&st)),
                    "csv" => out!("{}", report_csv(&st)),
                    f => return Err(format!("--format {f}: use html or csv")),
                }
                Ok(ExitCode::SUCCESS)
            }
        }
    })())
}

/// The audit's state as JSON: per contest its status, per round its sizes.
pub fn status_json(st: &AuditState) -> serde_json::Value {
    let contests: Vec<_> = st
        .start
        .contests
        .iter()
        .map(|c| {
            let (status, round) = match st.status.get(&c.id) {
                Some(ContestStatus::Confirmed(r)) => ("confirmed", Some(*r)),
                Some(ContestStatus::FullHandCount(r)) => ("full-hand-count", Some(*r)),
                _ => ("active", None),
            };
            json!({"contest": c.id, "method": c.method.name(), "status": status, "round": round})
        })
        .collect();
    let rounds: Vec<_> = st.rounds.iter().map(|r| json!({"round": r.number, "ballots": r.draw.ballots, "total": r.draw.total, "measured": r.measure.is_some()})).collect();
    json!({"audit": st.audit, "records": st.records.len(), "finished": st.finished(), "contests": contests, "rounds": rounds,
           "manifests": st.manifests.iter().map(|(j, m)| json!({"jurisdiction": j, "sha256": m.sha256, "ballots": m.manifest.total_ballots()})).collect::<Vec<_>>()})
}

/// Runs `canvass audit status`: recomputes the audit from the log and summarises it.
pub fn status(a: StepArgs) -> ExitCode {
    done((|| {
        let s = session(&a.target)?;
        let st = s.started()?;
        let v = status_json(&st);
        let mut h = format!(
            "audit {}: {} records, recomputed from the log{}\n",
            st.audit,
            st.records.len(),
            if st.finished() { "; finished" } else { "" }
        );
        for c in v["contests"].as_array().into_iter().flatten() {
            h.push_str(&format!(
                "  {:<24} {:<6} {}\n",
                c["contest"].as_str().unwrap_or(""),
                c["method"].as_str().unwrap_or(""),
                c["status"].as_str().unwrap_or("")
            ));
        }
        Ok(finish(&a.target, v, h.trim_end().to_owned()))
    })())
}
