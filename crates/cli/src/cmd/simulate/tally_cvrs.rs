//! `canvass simulate tally-cvrs DIR`: count a simulation's compact CVRs (all files, in
//! parallel) with `canvass_tally::compact_cvr`, print the totals per contest and, with
//! `--check`, compare every precinct's counts with `results/`.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use canvass_tally::compact_cvr::{CompactCounter, CompactLayout};
use clap::Args;

use crate::cmd::{fail, print_json};

/// Count the compact CVRs of a simulation folder.
#[derive(Args)]
#[command(
    after_help = "Reads DIR/cvrs/contests.csv, DIR/cvrs/styles.csv and every
DIR/cvrs/compact/*.csv. Prints ballots and, per contest, undervotes, overvotes and votes per
selection; --json prints {\"ballots\", \"files\", \"bytes\", \"seconds\", \"contests\": [{\"id\",
\"ballots\", \"undervotes\", \"overvotes\", \"votes\": [{\"selection\", \"line\", \"votes\"}]}]}.
--check compares every precinct's counts with DIR/results/<JURIS>.csv for each jurisdiction
with a compact file, and fails (exit 1) on any difference.

Examples:
  canvass simulate tally-cvrs sim --check
  canvass simulate tally-cvrs sim --json --jobs 2"
)]
pub struct TallyCvrsArgs {
    /// The simulation folder (written by `canvass simulate --cvrs`).
    pub dir: PathBuf,
    /// Threads (default: the number of cores).
    #[arg(long, short = 'j')]
    pub jobs: Option<usize>,
    /// Compare every precinct's counts with results/.
    #[arg(long)]
    pub check: bool,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

fn read(p: &std::path::Path) -> Result<String, String> {
    std::fs::read_to_string(p).map_err(|e| format!("cannot read {}: {e}", p.display()))
}

/// Runs `canvass simulate tally-cvrs`.
pub fn run(args: TallyCvrsArgs) -> ExitCode {
    match tally(&args) {
        Ok(code) => code,
        Err(m) => fail(&m),
    }
}

fn tally(args: &TallyCvrsArgs) -> Result<ExitCode, String> {
    let started = Instant::now();
    let cvrs = args.dir.join("cvrs");
    let layout = CompactLayout::parse(
        &read(&cvrs.join("contests.csv"))?,
        &read(&cvrs.join("styles.csv"))?,
    )
    .map_err(|e| format!("{}: {e}", cvrs.display()))?;
    let dir = cvrs.join("compact");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map_err(|e| format!("cannot read {}: {e}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "csv"))
        .collect();
    files.sort();
    let jobs = args
        .jobs
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, usize::from))
        .clamp(1, 256);
    let next = AtomicUsize::new(0);
    let bytes = AtomicUsize::new(0);
    let error: Mutex<Option<String>> = Mutex::new(None);
    let counters: Vec<CompactCounter> = std::thread::scope(|s| {
        let hs: Vec<_> = (0..jobs)
            .map(|_| {
                s.spawn(|| {
                    let mut c = CompactCounter::new(&layout);
                    loop {
                        let k = next.fetch_add(1, Ordering::Relaxed);
                        let Some(p) = files.get(k) else { break };
                        let r = std::fs::read(p)
                            .map_err(|e| format!("cannot read {}: {e}", p.display()))
                            .and_then(|d| {
                                bytes.fetch_add(d.len(), Ordering::Relaxed);
                                c.count(&p.display().to_string(), &d)
                                    .map_err(|e| e.to_string())
                            });
                        if let Err(m) = r {
                            error
                                .lock()
                                .unwrap_or_else(std::sync::PoisonError::into_inner)
                                .get_or_insert(m);
                            break;
                        }
                    }
                    c
                })
            })
            .collect();
        hs.into_iter().filter_map(|h| h.join().ok()).collect()
    });
    if let Some(m) = error
        .into_inner()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
    {
        return Err(m);
    }
    let mut all = CompactCounter::new(&layout);
    for c in &counters {
        all.merge(c);
    }
    let totals = all.totals();
    let seconds = started.elapsed().as_secs_f64();
    let mismatches = if args.check {
        check(args, &layout, &all, &files)?
    } else {
        Vec::new()
    };
    let contests: Vec<serde_json::Value> = layout
        .contests
        .iter()
        .zip(&totals)
        .filter(|(_, t)| t.iter().any(|&v| v > 0))
        .map(|(c, t)| {
            serde_json::json!({
                "id": c.id, "ballots": t.iter().sum::<u64>(), "undervotes": t[0], "overvotes": t[t.len() - 1],
                "votes": c.columns.iter().zip(&t[1..]).map(|((s, l), v)| serde_json::json!({"selection": s, "line": l, "votes": v})).collect::<Vec<_>>(),
            })
        })
        .collect();
    let ok = mismatches.is_empty();
    if args.json {
        let mut doc = serde_json::json!({
            "ballots": all.ballots, "files": files.len(), "bytes": bytes.load(Ordering::Relaxed),
            "seconds": seconds, "contests": contests,
        });
        if args.check {
            doc["check"] = serde_json::json!({"ok": ok, "mismatches": mismatches});
        }
        let code = print_json(&doc);
        return Ok(if ok { code } else { ExitCode::from(1) });
    }
    outln!(
        "{} ballots in {} files ({} bytes) counted in {seconds:.3} s ({:.0} ballots/s); {} contests",
        all.ballots,
        files.len(),
        bytes.load(Ordering::Relaxed),
        all.ballots as f64 / seconds.max(1e-9),
        contests.len()
    );
    for c in &contests {
        let votes: Vec<String> = c["votes"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|v| match v["line"].as_str() {
                Some(l) => format!(
                    "{}:{l} {}",
                    v["selection"].as_str().unwrap_or(""),
                    v["votes"]
                ),
                None => format!("{} {}", v["selection"].as_str().unwrap_or(""), v["votes"]),
            })
            .collect();
        outln!(
            "{}: {} ballots, {} under, {} over; {}",
            c["id"].as_str().unwrap_or(""),
            c["ballots"],
            c["undervotes"],
            c["overvotes"],
            votes.join(", ")
        );
    }
    if args.check {
        if ok {
            outln!("check: every precinct's CVRs add up to its results");
        } else {
            for m in mismatches.iter().take(20) {
                eprintln!("error: {m}");
            }
            return Ok(fail(&format!(
                "check: {} precinct counts differ from results/",
                mismatches.len()
            )));
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Compares the counts of every precinct of each jurisdiction with a compact file against
/// `results/<JURIS>.csv`; returns the differences.
fn check(
    args: &TallyCvrsArgs,
    layout: &CompactLayout,
    counter: &CompactCounter,
    files: &[PathBuf],
) -> Result<Vec<String>, String> {
    let style_of: std::collections::HashMap<&str, usize> = layout
        .precincts
        .iter()
        .enumerate()
        .filter_map(|(i, p)| p.as_deref().map(|p| (p, i)))
        .collect();
    let mut out = Vec::new();
    for f in files {
        let Some(stem) = f.file_stem() else { continue };
        let path = args.dir.join("results").join(stem).with_extension("csv");
        let file = std::fs::File::open(&path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        let results = canvass_formats::precinct_csv::read(
            std::io::BufReader::new(file),
            &path.display().to_string(),
        )
        .map_err(|e| e.to_string())?;
        for r in results {
            let Some(&style) = style_of.get(r.precinct.as_str()) else {
                out.push(format!("precinct {} is not in styles.csv", r.precinct));
                continue;
            };
            let got: Vec<(usize, Vec<u64>)> = counter
                .style(style)
                .map(|(ci, n)| (ci, n.iter().map(|&v| u64::from(v)).collect()))
                .collect();
            let want: Vec<(String, Vec<u64>)> = r
                .contests
                .iter()
                .map(|c| {
                    let mut v = vec![c.undervotes];
                    let columns = layout
                        .contests
                        .iter()
                        .find(|x| x.id == c.contest.as_str())
                        .map_or(&[][..], |x| &x.columns[..]);
                    v.extend(columns.iter().map(|(sel, line)| {
                        c.votes
                            .iter()
                            .filter(|s| {
                                s.selection.as_str() == sel
                                    && s.line.as_ref().map(|l| l.as_str()) == line.as_deref()
                            })
                            .map(|s| s.votes)
                            .sum::<u64>()
                    }));
                    v.push(c.overvotes);
                    (c.contest.to_string(), v)
                })
                .collect();
            let got: Vec<(String, Vec<u64>)> = got
                .into_iter()
                .map(|(ci, v)| (layout.contests[ci].id.clone(), v))
                .collect();
            let (mut got, mut want) = (got, want);
            got.sort();
            want.sort();
            if got != want {
                out.push(format!(
                    "precinct {}: CVRs count {got:?}, results say {want:?}",
                    r.precinct
                ));
            }
        }
    }
    Ok(out)
}
