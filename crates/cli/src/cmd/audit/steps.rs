//! `canvass audit start | manifest | cvr | estimate | draw | measure | report | status`: the audit
//! workflow of issue 9 (`docs/audit.md`; the audit boards' steps are in [`super::boards`]). Each step
//! recomputes the audit from its logged records, makes the next record with
//! `canvass_audit::workflow`, signs it with the authority's key and logs it.

use std::path::PathBuf;
use std::process::ExitCode;

use canvass_audit::workflow::{
    AuditRecord, AuditState, ContestSpec, ContestStatus, Decision, Method, ReportedBatch,
    ResultsRef, Start, Step, cvr_parts, manifest_parts, report_csv, report_html,
};
use clap::Args;
use serde_json::json;

use super::conn::{Session, Target};
use crate::cmd::{fail, print_json};

pub(super) fn session(t: &Target) -> Result<Session, String> {
    Session::open(t)
}

pub(super) fn finish(t: &Target, value: serde_json::Value, human: String) -> ExitCode {
    if t.json {
        return print_json(&value);
    }
    outln!("{human}");
    ExitCode::SUCCESS
}

pub(super) fn done(r: Result<ExitCode, String>) -> ExitCode {
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
log index and SHA-256). METHOD is bravo (ballot polling, the default), macro (batch
comparison over the contest's precinct totals), comparison (ballot-level comparison with the
logged cast vote records, super-simple) or alpha (the same with ALPHA); log the CVRs with
canvass audit cvr. The seed is a public roll of at least 20
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
                Some((id, "comparison")) => (id, Method::Comparison),
                Some((id, "alpha")) => (id, Method::Alpha),
                Some((_, m)) => {
                    return Err(format!(
                        "--contest {c}: method {m:?} is not bravo, macro, comparison or alpha"
                    ));
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

/// Arguments of `canvass audit cvr`.
#[derive(Args, Debug)]
#[command(after_help = "Examples:
  canvass audit cvr --data /srv/canvass --audit 2026-rla --jurisdiction 'Adams County' adams-cvrs.csv

The CSV has the columns of the interpretations CSV,
jurisdiction,tabulator,batch,position,contest,selections (selections separated by ';', empty
for no vote; one row per ballot and contest; a contest without a row is not on that ballot),
one row per ballot of the jurisdiction's manifest. Log it after the jurisdiction's manifest and
before the first draw; at the draw the CVRs of every comparison contest must add up to its
reported tally.")]
pub struct CvrArgs {
    #[command(flatten)]
    target: Target,
    /// The jurisdiction the cast vote records belong to.
    #[arg(long)]
    jurisdiction: String,
    /// The CVR CSV file.
    file: PathBuf,
}

/// Runs `canvass audit cvr`: logs one jurisdiction's cast vote records (in parts).
pub fn cvr(a: CvrArgs) -> ExitCode {
    done((|| {
        let s = session(&a.target)?;
        let mut st = s.started()?;
        let csv =
            std::fs::read_to_string(&a.file).map_err(|e| format!("{}: {e}", a.file.display()))?;
        let mut indices = Vec::new();
        for r in cvr_parts(&st.audit, st.next_seq(), &a.jurisdiction, &csv) {
            st.apply(&r)
                .map_err(|e| format!("{}: {e}", a.file.display()))?;
            indices.push(s.post(&r)?);
        }
        let c = &st.cvrs[&a.jurisdiction];
        Ok(finish(
            &a.target,
            json!({"jurisdiction": a.jurisdiction, "sha256": c.sha256, "ballots": c.ballots.len(),
                   "log_indices": indices}),
            format!(
                "logged the cast vote records of {}: {} ballots, sha256 {} (log indices {indices:?})",
                a.jurisdiction,
                c.ballots.len(),
                c.sha256
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
