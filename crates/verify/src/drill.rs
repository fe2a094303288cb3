//! The tamper drills of issue 8 ("Tamper drills"), run on a copy of a server's data
//! directory (its keys, log files and SQLite index, as `canvass demo --data DIR` leaves them):
//! each drill does what a compromised server, database or key could do, then [`crate::verify()`]
//! and a [`crate::monitor::Monitor`] that watched the election before the tampering must both
//! catch it (`canvass drill`, docs/verify.md).
//!
//! ```text
//! 1 vote-count       one vote count changed inside a stored submission (the SQLite index)
//! 2 delete-entry     a logged submission deleted, the log re-signed with the log key
//! 3 split-view       another log of the same size (one vote changed) served to a second client
//! 4 results-json     one figure of the published results JSON altered
//! 5 replay           an old submission logged again
//! 6 stolen-key       a key revoked by the authority, then used to log a submission
//! 7 rollback         the server restored from an earlier backup (an earlier snapshot)
//! 8 definition       the published election definition swapped (a registered-voter count)
//! ```
//!
//! The log key, the authority key and the jurisdiction keys are read from the data directory
//! (a compromised server holds the first; drill 6 needs the others to play the authority and
//! the thief). The honest election is published as a static export of the copy, with the data
//! directory's `election.json` as its `api/election.json`.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use canvass_model::Election;
use canvass_server::entry::{self, EntryKind};
use canvass_server::io;
use canvass_server::{Amendment, KeyAction, KeyChange, Submission, note};
use serde::Serialize;

use crate::definition::Served;
use crate::engine::{Engine, EngineOptions};
use crate::error::DrillError;
use crate::monitor::{Monitor, MonitorConfig, MonitorState};
use crate::source::{DataDir, ExportDir, Source};
use crate::verify::{VerifyOptions, log_entry};

/// One drill.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Drill {
    /// Its number in issue 8.
    pub number: u8,
    /// A short name.
    pub name: &'static str,
    /// What it does.
    pub tamper: &'static str,
}

/// The seven drills of issue 8, and an eighth: the election definition swapped.
pub const DRILLS: [Drill; 8] = [
    Drill {
        number: 1,
        name: "vote-count",
        tamper: "change one vote count inside a stored submission, directly in the database",
    },
    Drill {
        number: 2,
        name: "delete-entry",
        tamper: "delete a logged submission and re-sign the log with the log key",
    },
    Drill {
        number: 3,
        name: "split-view",
        tamper: "serve a second client another log of the same size (one vote changed)",
    },
    Drill {
        number: 4,
        name: "results-json",
        tamper: "alter one figure of the published results JSON",
    },
    Drill {
        number: 5,
        name: "replay",
        tamper: "log an old submission again",
    },
    Drill {
        number: 6,
        name: "stolen-key",
        tamper: "revoke a jurisdiction's key, then log a submission signed with it",
    },
    Drill {
        number: 7,
        name: "rollback",
        tamper: "restore the server from an earlier backup (an earlier snapshot)",
    },
    Drill {
        number: 8,
        name: "definition",
        tamper: "publish another election definition (one registered-voter count changed)",
    },
];

/// Whether one checker caught the tampering.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Detection {
    /// It found something.
    pub detected: bool,
    /// The finding codes (verify) or alert names (monitor), each once, in order.
    pub codes: Vec<String>,
}

impl Detection {
    fn of(codes: impl IntoIterator<Item = String>) -> Self {
        let mut out: Vec<String> = Vec::new();
        for c in codes {
            if !out.contains(&c) {
                out.push(c);
            }
        }
        Detection {
            detected: !out.is_empty(),
            codes: out,
        }
    }
}

/// What one drill did and who caught it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Outcome {
    /// The drill's number.
    pub drill: u8,
    /// Its name.
    pub name: String,
    /// What was done, precisely (which entry, which figure).
    pub tampered: String,
    /// `canvass verify` of what the tampered server publishes.
    pub verify: Detection,
    /// `canvass monitor` that had watched the honest election before.
    pub monitor: Detection,
}

impl Outcome {
    /// Both checkers caught it.
    pub fn detected(&self) -> bool {
        self.verify.detected && self.monitor.detected
    }
}

/// How to run the drills.
#[derive(Debug, Clone, Default)]
pub struct DrillOptions {
    /// The election definition given by hand; by default the published one (`DATA/election.json`,
    /// which the roster binds), or, for a roster that binds none, `DATA/election.json` itself
    /// or the built-in election the roster names.
    pub election: Option<Election>,
    /// Threads recomputing results snapshots.
    pub workers: usize,
}

/// Runs drill `number` on a copy of `data` made under `work` (which must be empty or
/// missing).
///
/// # Errors
/// [`DrillError`] when the drill is unknown, the data directory cannot be copied or read,
/// lacks a key, or does not verify before the tampering.
pub fn run(
    number: u8,
    data: &Path,
    work: &Path,
    opts: &DrillOptions,
) -> Result<Outcome, DrillError> {
    let drill = DRILLS
        .iter()
        .find(|d| d.number == number)
        .ok_or(DrillError::NoSuchDrill(number))?;
    let definition_file = io::definition_path(data);
    let served = match std::fs::read(&definition_file) {
        Ok(bytes) => Some(Arc::new(Served {
            bytes,
            location: definition_file.display().to_string(),
        })),
        Err(_) => None,
    };
    let binds = io::read_roster(&io::roster_path(data), None)
        .map_err(|e| DrillError::Data(e.to_string()))?
        .definition_sha256
        .is_some();
    let election = match &opts.election {
        Some(e) => Some(e.clone()),
        // A roster from before definitions were bound: the file is taken as it is.
        None if !binds && served.is_some() => Some(
            io::load_election(&definition_file.display().to_string())
                .map_err(|e| DrillError::Data(e.to_string()))?,
        ),
        None => None,
    };
    let served = served.as_ref();
    // The log and the index are copied; the keys (thousands of files) are read where they are.
    let base = work.join("data");
    copy_dir_without_keys(data, &base)?;
    let all = entries(&base)?;
    let honest_results = replay(&all, election.as_ref(), served)?;
    let honest = export(&base, &honest_results, &work.join("honest"))?;
    let honest_cp = read(&honest.join("log/checkpoint"))?;

    let cfg = MonitorConfig {
        election: election.clone(),
        workers: opts.workers.max(1),
        ..MonitorConfig::default()
    };
    let mut watcher = Monitor::new(MonitorState::default(), cfg);
    let before = watcher.poll(&ExportDir::new(&honest), 0)?;
    if let Some(a) = before.first() {
        return Err(DrillError::Data(format!(
            "the election does not verify before the drill ({} alerts, the first: {}): run canvass verify on it",
            before.len(),
            a.message
        )));
    }

    let subs: Vec<u64> = (0..all.len() as u64)
        .filter(|&i| entry::kind(&all[i as usize]) == Some(EntryKind::Submission))
        .collect();
    let Some(&first) = subs.first() else {
        return Err(DrillError::Data(
            "the log has no submission to tamper with: run an election first".into(),
        ));
    };
    let last = subs.last().copied().unwrap_or(first);
    let forged_at = |name: &str| work.join(name);
    let (src, tampered, known): (Box<dyn Source>, String, Vec<Vec<u8>>) = match number {
        1 => {
            let (from, to) = change_vote(&base.join("canvass.db"), first)?;
            (
                Box::new(DataDir::new(&base)),
                format!(
                    "log entry {first} in the SQLite index: a vote count {from} changed to {to}"
                ),
                Vec::new(),
            )
        }
        2 => {
            let mut e = all.clone();
            e.remove(last as usize);
            let dir = forge(data, &e, &honest_results, &forged_at("deleted"))?;
            (
                Box::new(ExportDir::new(dir)),
                format!("log entry {last} (a submission) deleted, the log re-signed"),
                vec![honest_cp.clone()],
            )
        }
        3 => {
            let mut e = all.clone();
            let (from, to) = bump_vote(&mut e[last as usize])?;
            let dir = forge(data, &e, &honest_results, &forged_at("split"))?;
            (
                Box::new(ExportDir::new(dir)),
                format!(
                    "a second log of the same size where a vote count of log entry {last} is {to} instead of {from}"
                ),
                vec![honest_cp.clone()],
            )
        }
        4 => {
            let dir = forged_at("altered");
            copy_dir(&honest, &dir)?;
            let (what, altered) = alter_results(&honest_results)?;
            write(&dir.join("api/results.json"), altered.as_bytes())?;
            (Box::new(ExportDir::new(dir)), what, Vec::new())
        }
        5 => {
            let mut e = all.clone();
            e.push(all[first as usize].clone());
            let dir = forge(data, &e, &honest_results, &forged_at("replayed"))?;
            (
                Box::new(ExportDir::new(dir)),
                format!("log entry {first} logged again at log index {}", all.len()),
                Vec::new(),
            )
        }
        6 => {
            let (kc, doc, j) = stolen_key(data, &all, last, election.as_ref(), served)?;
            let mut e = all.clone();
            e.push(kc.into_bytes());
            e.push(doc.into_bytes());
            let dir = forge(data, &e, &honest_results, &forged_at("stolen"))?;
            (
                Box::new(ExportDir::new(dir)),
                format!(
                    "jurisdiction {j}'s key revoked at log index {}, then used to log a submission at {}",
                    all.len(),
                    all.len() + 1
                ),
                Vec::new(),
            )
        }
        8 => {
            let dir = forged_at("definition");
            copy_dir(&honest, &dir)?;
            let file = dir.join("api/election.json");
            let what = swap_definition(&file)?;
            (
                Box::new(ExportDir::new(dir)),
                format!("the published election definition (api/election.json): {what}"),
                Vec::new(),
            )
        }
        _ => {
            // 7: back to the snapshot before the last one.
            let snaps: Vec<usize> = (0..all.len())
                .filter(|&i| entry::kind(&all[i]) == Some(EntryKind::Snapshot))
                .collect();
            let Some(&to) = snaps.iter().rev().nth(1) else {
                return Err(DrillError::Data(
                    "the log has fewer than two results snapshots: nothing earlier to roll back to"
                        .into(),
                ));
            };
            let e = all[..=to].to_vec();
            let results = replay(&e, election.as_ref(), served)?;
            let dir = forge(data, &e, &results, &forged_at("backup"))?;
            (
                Box::new(ExportDir::new(dir)),
                format!(
                    "the log rolled back from {} to {} entries (the snapshot at log index {to})",
                    all.len(),
                    to + 1
                ),
                vec![honest_cp.clone()],
            )
        }
    };
    let vopts = VerifyOptions {
        election: election.clone(),
        known_checkpoints: known,
        workers: opts.workers,
        check_store: true,
        levels: true,
        ..VerifyOptions::default()
    };
    let report = crate::verify(src.as_ref(), &vopts, &mut |_| {})?;
    let alerts = watcher.poll(src.as_ref(), 1)?;
    Ok(Outcome {
        drill: drill.number,
        name: drill.name.to_owned(),
        tampered,
        verify: Detection::of(
            report
                .findings
                .iter()
                .map(|f| f.code.clone().unwrap_or_else(|| "finding".into())),
        ),
        monitor: Detection::of(alerts.into_iter().map(|a| a.alert)),
    })
}

fn read(p: &Path) -> Result<Vec<u8>, DrillError> {
    std::fs::read(p).map_err(|e| DrillError::io(p, &e))
}

fn write(p: &Path, b: &[u8]) -> Result<(), DrillError> {
    std::fs::write(p, b).map_err(|e| DrillError::io(p, &e))
}

/// Copies `from` into `to` recursively.
///
/// # Errors
/// [`DrillError::Io`] naming the file.
pub fn copy_dir(from: &Path, to: &Path) -> Result<(), DrillError> {
    std::fs::create_dir_all(to).map_err(|e| DrillError::io(to, &e))?;
    for e in std::fs::read_dir(from).map_err(|e| DrillError::io(from, &e))? {
        let e = e.map_err(|e| DrillError::io(from, &e))?;
        let target = to.join(e.file_name());
        if e.file_type()
            .map_err(|x| DrillError::io(&e.path(), &x))?
            .is_dir()
        {
            copy_dir(&e.path(), &target)?;
        } else {
            std::fs::copy(e.path(), &target).map_err(|x| DrillError::io(&e.path(), &x))?;
        }
    }
    Ok(())
}

/// Copies a data directory but its `keys` directory.
fn copy_dir_without_keys(from: &Path, to: &Path) -> Result<(), DrillError> {
    std::fs::create_dir_all(to).map_err(|e| DrillError::io(to, &e))?;
    for e in std::fs::read_dir(from).map_err(|e| DrillError::io(from, &e))? {
        let e = e.map_err(|e| DrillError::io(from, &e))?;
        let target = to.join(e.file_name());
        if e.file_type()
            .map_err(|x| DrillError::io(&e.path(), &x))?
            .is_dir()
        {
            if e.file_name() != "keys" {
                copy_dir(&e.path(), &target)?;
            }
        } else {
            std::fs::copy(e.path(), &target).map_err(|x| DrillError::io(&e.path(), &x))?;
        }
    }
    Ok(())
}

/// Every entry of the log in `dir/log` (its checkpoint's tree, read from the entry bundles).
///
/// # Errors
/// [`DrillError`] when the log key, the checkpoint or a bundle cannot be read.
pub fn entries(dir: &Path) -> Result<Vec<Vec<u8>>, DrillError> {
    let src = ExportDir::new(dir);
    let vkey = crate::verify::source_vkey(&src)?;
    let cp = read(&dir.join("log/checkpoint"))?;
    let size = vkey
        .open_checkpoint(&cp)
        .map_err(|e| DrillError::Data(format!("{}: {e}", dir.join("log/checkpoint").display())))?
        .size;
    (0..size)
        .map(|i| {
            log_entry(&src, i, size)?.ok_or_else(|| {
                DrillError::Data(format!(
                    "log entry {i} cannot be read from its entry bundle"
                ))
            })
        })
        .collect()
}

/// A static export of the log in `data/log` with `results` as `api/results.json` and
/// `data/election.json` as `api/election.json`.
///
/// # Errors
/// [`DrillError::Io`] naming the file.
pub fn export(data: &Path, results: &str, to: &Path) -> Result<PathBuf, DrillError> {
    copy_dir(&data.join("log"), &to.join("log"))?;
    let api = to.join("api");
    std::fs::create_dir_all(&api).map_err(|e| DrillError::io(&api, &e))?;
    write(&api.join("results.json"), results.as_bytes())?;
    copy_definition(data, &api)?;
    Ok(to.to_path_buf())
}

/// Copies `data/election.json` (when there is one) to `api/election.json`.
fn copy_definition(data: &Path, api: &Path) -> Result<(), DrillError> {
    let from = io::definition_path(data);
    if from.is_file() {
        let to = api.join("election.json");
        std::fs::copy(&from, &to).map_err(|e| DrillError::io(&to, &e))?;
    }
    Ok(())
}

/// Adds 1,000 to the first `"registered_voters":N` of a published definition file (the
/// first precinct with a registered-voter count), or, in a definition without one, renames
/// the election; says what it changed.
fn swap_definition(file: &Path) -> Result<String, DrillError> {
    let text = String::from_utf8_lossy(&read(file)?).into_owned();
    let key = "\"registered_voters\":";
    let (what, swapped) = if let Some(at) = text.find(key).map(|a| a + key.len()) {
        let len = text[at..].bytes().take_while(u8::is_ascii_digit).count();
        let was: u64 = text[at..at + len].parse().unwrap_or(0);
        let now = was + 1000;
        (
            format!("a precinct's registered_voters {was} changed to {now}"),
            format!("{}{now}{}", &text[..at], &text[at + len..]),
        )
    } else {
        let key = "\"name\":\"";
        let at = text.find(key).map(|a| a + key.len()).ok_or_else(|| {
            DrillError::Data(format!("{}: not an election definition", file.display()))
        })?;
        (
            "the election's name changed".to_owned(),
            format!("{}Swapped {}", &text[..at], &text[at..]),
        )
    };
    write(file, swapped.as_bytes())?;
    Ok(what)
}

/// What a compromised server holding the log key can publish: a new log in `to/log` with
/// these entries, signed with the log key of `data` and checkpointed, `results` as
/// `to/api/results.json` and `data/election.json` as `to/api/election.json`.
///
/// # Errors
/// [`DrillError`] when the log key cannot be read or the log cannot be written.
pub fn forge(
    data: &Path,
    entries: &[Vec<u8>],
    results: &str,
    to: &Path,
) -> Result<PathBuf, DrillError> {
    let k = io::read_secret_key(&io::log_key_path(data))
        .map_err(|e| DrillError::Data(e.to_string()))?;
    let signer = canvass_log::LogSigner::from_seed(k.name(), k.seed())
        .map_err(|e| DrillError::Data(format!("the log key: {e}")))?;
    let log_err = |e: canvass_store::tlog::StoreError| DrillError::Data(e.to_string());
    let log = canvass_store::tlog::Log::open(to.join("log"), signer).map_err(log_err)?;
    log.append(entries).map_err(log_err)?;
    log.checkpoint().map_err(log_err)?;
    drop(log);
    let api = to.join("api");
    std::fs::create_dir_all(&api).map_err(|e| DrillError::io(&api, &e))?;
    write(&api.join("results.json"), results.as_bytes())?;
    copy_definition(data, &api)?;
    Ok(to.to_path_buf())
}

/// The results JSON of these entries, replayed.
fn replay(
    entries: &[Vec<u8>],
    election: Option<&Election>,
    served: Option<&Arc<Served>>,
) -> Result<String, DrillError> {
    let mut e = Engine::new(EngineOptions {
        election: election.cloned(),
        served: served.cloned(),
        ..EngineOptions::default()
    });
    for (i, x) in entries.iter().enumerate() {
        e.entry(i as u64, x);
    }
    e.finish().final_json.ok_or_else(|| {
        DrillError::Data("the log's roster cannot be opened, so nothing can be tallied".into())
    })
}

/// The first `"votes":N` (a number) of a text, with its byte range.
fn first_votes(text: &str) -> Option<(usize, usize, u64)> {
    let key = "\"votes\":";
    text.match_indices(key).find_map(|(at, _)| {
        let at = at + key.len();
        let len = text[at..].bytes().take_while(u8::is_ascii_digit).count();
        Some((at, at + len, text[at..at + len].parse().ok()?))
    })
}

/// Changes the first vote count of a logged submission by one (its signature no longer holds).
fn bump_vote(e: &mut Vec<u8>) -> Result<(u64, u64), DrillError> {
    let text = String::from_utf8_lossy(e).into_owned();
    let (a, b, v) = first_votes(&text)
        .ok_or_else(|| DrillError::Data("the submission has no vote count".into()))?;
    let to = v + 1;
    *e = format!("{}{to}{}", &text[..a], &text[b..]).into_bytes();
    Ok((v, to))
}

/// Changes one vote count of the submission at `log_index` in the SQLite index (the
/// append-only trigger dropped first, as an attacker with the database would).
fn change_vote(db: &Path, log_index: u64) -> Result<(u64, u64), DrillError> {
    let sql = |e: rusqlite::Error| DrillError::Data(format!("{}: {e}", db.display()));
    let c = rusqlite::Connection::open(db).map_err(sql)?;
    c.execute_batch("DROP TRIGGER IF EXISTS submissions_no_update")
        .map_err(sql)?;
    let mut d: Vec<u8> = c
        .query_row(
            "SELECT document FROM submissions WHERE log_index = ?1",
            [log_index],
            |r| r.get(0),
        )
        .map_err(sql)?;
    let changed = bump_vote(&mut d)?;
    c.execute(
        "UPDATE submissions SET document = ?1 WHERE log_index = ?2",
        rusqlite::params![d, log_index],
    )
    .map_err(sql)?;
    Ok(changed)
}

/// Adds 100 to the first selection's total of the first contest with votes.
fn alter_results(results: &str) -> Result<(String, String), DrillError> {
    let v: serde_json::Value = serde_json::from_str(results)
        .map_err(|e| DrillError::Data(format!("the results JSON: {e}")))?;
    let contest = v["contests"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|c| c["ballots"].as_u64().unwrap_or(0) > 0)
        .and_then(|c| c["id"].as_str())
        .ok_or_else(|| DrillError::Data("no contest has any ballots yet".into()))?;
    let start = results
        .find(&format!("\"id\":\"{contest}\""))
        .unwrap_or_default();
    let totals = start
        + results[start..]
            .find("\"totals\":{")
            .ok_or_else(|| DrillError::Data(format!("contest {contest} has no totals")))?;
    let first = totals + "\"totals\":{".len();
    let colon = first
        + results[first..]
            .find("\":")
            .ok_or_else(|| DrillError::Data(format!("contest {contest} has empty totals")))?
        + 2;
    let len = results[colon..]
        .bytes()
        .take_while(u8::is_ascii_digit)
        .count();
    let was: u64 = results[colon..colon + len].parse().unwrap_or(0);
    let altered = format!(
        "{}{}{}",
        &results[..colon],
        was + 100,
        &results[colon + len..]
    );
    Ok((
        format!(
            "contest {contest} in the published results JSON: the first selection's total {was} changed to {}",
            was + 100
        ),
        altered,
    ))
}

/// A key change revoking the key of the jurisdiction that logged entry `at`, signed by the
/// authority, and an amendment of that entry signed with the revoked key; the jurisdiction.
fn stolen_key(
    data: &Path,
    all: &[Vec<u8>],
    at: u64,
    election: Option<&Election>,
    served: Option<&Arc<Served>>,
) -> Result<(String, String, String), DrillError> {
    let bad = |m: String| DrillError::Data(m);
    let e = &all[at as usize];
    let n = note::parse(e).map_err(|m| bad(format!("log entry {at}: {m}")))?;
    let s: Submission =
        serde_json::from_str(n.json).map_err(|m| bad(format!("log entry {at}: {m}")))?;
    let j = s.jurisdiction.to_string();
    let key = io::read_secret_key(&io::jurisdiction_key_path(data, &j))
        .map_err(|m| bad(format!("the key of jurisdiction {j}: {m}")))?;
    let authority = io::read_secret_key(&io::authority_key_path(data))
        .map_err(|m| bad(format!("the authority key: {m}")))?;
    // The next key change's sequence number: one more than the log's.
    let mut engine = Engine::new(EngineOptions {
        election: election.cloned(),
        served: served.cloned(),
        ..EngineOptions::default()
    });
    for (i, x) in all.iter().enumerate() {
        engine.entry(i as u64, x);
    }
    let last_seq = engine.last_sequence(&j).unwrap_or(s.sequence);
    let out = engine.finish();
    let changes = out.roster.as_ref().map_or(0, |r| r.changes());
    let kc = KeyChange {
        election: s.election.clone(),
        sequence: changes + 1,
        jurisdiction: s.jurisdiction.clone(),
        timestamp: s.timestamp + 3600,
        reason: "drill 6: laptop stolen".into(),
        change: KeyAction::Revoke {
            key: key.public().to_vkey(),
        },
    }
    .sign(&authority);
    let stolen = Submission {
        sequence: last_seq + 1,
        timestamp: s.timestamp + 7200,
        amendment: Some(Amendment {
            supersedes: last_seq,
            reason: "drill 6: sent with the stolen key".into(),
        }),
        ..s
    }
    .sign(&key);
    Ok((kc, stolen, j))
}
