//! `canvass audit retrieval | interpret | batch-count`: the audit boards' steps of the audit
//! workflow (`docs/audit.md`): retrieval lists out, interpretations and hand counts in.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;

use canvass_audit::Batch;
use canvass_audit::workflow::{
    BallotVotes, BatchCounts, Interpretations, Step, retrieval, retrieval_csv, retrieval_html,
};
use clap::Args;
use serde_json::json;

use super::conn::Target;
use super::steps::{done, finish, session};

/// Largest JSON of interpretations per record (a log entry holds at most 64 KiB).
const RECORD_BYTES: usize = 48_000;

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
