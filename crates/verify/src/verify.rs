//! `canvass verify`: everything published, recomputed from the log alone (docs/verify.md).
//!
//! 1. the published results (`api/results`) are read first, then the checkpoint (so it covers
//!    them), verified with the log key and the witness policy;
//! 2. every entry bundle and hash tile is recomputed up to the checkpoint's root
//!    ([`crate::tree::walk`]), and each entry replayed ([`crate::engine::Engine`]);
//! 3. earlier checkpoints the caller has seen must be consistent with this one;
//! 4. the published results must be byte for byte the results recomputed at the snapshot they
//!    claim to be; every submission the server's index holds must be the logged bytes.

use canvass_log::{Checkpoint, LogVerifier, WitnessPolicy, consistency_proof, verify_consistency};
use canvass_model::Election;
use canvass_server::PublicKey;
use canvass_store::tlog::SourceTiles;

use crate::engine::{Engine, EngineOptions, EngineOutput};
use crate::error::SourceError;
use crate::levels::ContestDoc;
use crate::report::{Check, CheckpointSummary, Finding, Report};
use crate::source::{LogPart, Source, Stored};
use crate::tree::{Published, read_checkpoint, walk};

/// What to trust and what to check.
#[derive(Debug, Clone, Default)]
pub struct VerifyOptions {
    /// The election definition given by hand; by default the one the source publishes
    /// (`api/election`, checked against the SHA-256 the roster binds) or the built-in election
    /// the roster names.
    pub election: Option<Election>,
    /// The election authority's key, pinned out of band.
    pub authority: Option<PublicKey>,
    /// The log's key, pinned out of band; by default the source's `log/vkey`.
    pub log_key: Option<LogVerifier>,
    /// Witness cosignatures the checkpoint needs.
    pub policy: Option<WitnessPolicy>,
    /// Signed checkpoints seen before (by anyone): each must be consistent with this log.
    pub known_checkpoints: Vec<Vec<u8>>,
    /// Threads recomputing snapshot entries (0: do not check snapshots).
    pub workers: usize,
    /// Compare every logged submission with the server's index of submissions.
    pub check_store: bool,
    /// Recompute every contest at every level (states, counties, districts, reporting
    /// units) and compare it with what the source publishes (`api/contests/{id}`).
    pub levels: bool,
}

/// How far verification is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Progress {
    /// Entries replayed of the checkpoint's size.
    Entries(u64, u64),
    /// Submissions compared with the server's index.
    Store(u64, u64),
}

/// Most notes kept in a report.
const MAX_NOTES: usize = 100;

/// Verifies everything `src` publishes.
///
/// # Errors
/// [`SourceError`] when the source cannot be read at all (unreachable server, no checkpoint,
/// no log key); everything the source says that is wrong is a finding in the [`Report`].
pub fn verify(
    src: &dyn Source,
    opts: &VerifyOptions,
    progress: &mut dyn FnMut(Progress),
) -> Result<Report, SourceError> {
    let mut findings = Vec::new();
    let mut notes = Vec::new();
    let published = src.fetch("api/results")?;
    let results_index = src.results_log_index();
    let (contests, level_note) = contest_docs(src, published.as_deref(), opts.levels)?;
    notes.extend(level_note);
    // The newest snapshot anything published claims to be: the checkpoint must cover it.
    let newest = contests
        .iter()
        .filter_map(|d| d.log_index)
        .chain(results_index)
        .max();
    let verifier = match &opts.log_key {
        Some(v) => v.clone(),
        None => {
            notes.push("the log key was taken from the source's own log/vkey: pin it with --log-key (or pin the authority with --authority, whose roster names the log key)".to_owned());
            source_vkey(src)?
        }
    };
    let mut cp = read_checkpoint(src, &verifier, opts.policy.as_ref(), &mut findings)?;
    // The server publishes results as soon as they are durable and checkpoints them a moment
    // later: wait (a few seconds at most) for a checkpoint that covers them.
    for _ in 0..50 {
        if newest.is_none_or(|i| i < cp.checkpoint.size) {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
        findings.clear();
        cp = read_checkpoint(src, &verifier, opts.policy.as_ref(), &mut findings)?;
    }
    let size = cp.checkpoint.size;
    let served = crate::source::served_definition(src)?;
    let mut engine = Engine::new(EngineOptions {
        election: opts.election.clone(),
        served,
        authority: opts.authority.clone(),
        workers: opts.workers,
        keep: results_index,
        snapshots_from: 0,
        levels: opts.levels,
        contests,
    });
    let (root, tiles) = walk(
        src,
        size,
        &mut findings,
        &mut |i, e| engine.entry(i, e),
        &mut |done| progress(Progress::Entries(done, size)),
    )?;
    let out = engine.finish();
    if let Some(root) = root {
        if root != cp.checkpoint.root {
            findings.push(
                Finding::new(
                    Check::Tiles,
                    "the checkpoint's root is not the root of the entries",
                )
                .values(cp.checkpoint.root.to_string(), root.to_string())
                .code("root-mismatch"),
            );
        } else {
            for known in &opts.known_checkpoints {
                findings.extend(check_known(src, &verifier, known, &cp.checkpoint));
            }
        }
    }
    if let Some(r) = out.roster.as_ref() {
        if r.roster().log.trim() != verifier.to_vkey() {
            findings.push(
                Finding::new(
                    Check::Checkpoint,
                    "the checkpoint is signed by a log key the roster does not name",
                )
                .values(verifier.to_vkey(), r.roster().log.clone())
                .code("wrong-log-key"),
            );
        }
    }
    // A replay stopped at the roster (its findings say why) recomputed no results to compare.
    let compared = out.roster.is_some()
        && compare_results(published.as_deref(), results_index, &out, &mut findings);
    let mut counts = out.counts.clone();
    counts.entries = size;
    counts.tiles = tiles;
    if opts.check_store {
        counts.stored = check_store(src, size, 0, &out, &mut findings, progress)?;
    }
    findings.extend(out.findings.iter().cloned());
    findings.sort_by_key(|f| (f.log_index.is_some(), f.log_index));
    notes.extend(out.notes.iter().cloned());
    if notes.len() > MAX_NOTES {
        let more = notes.len() - MAX_NOTES;
        notes.truncate(MAX_NOTES);
        notes.push(format!("... and {more} more notes"));
    }
    Ok(Report {
        ok: findings.is_empty(),
        source: src.locate(""),
        election: out.roster.as_ref().map(|r| r.roster().election.to_string()),
        definition_sha256: out
            .roster
            .as_ref()
            .and_then(|r| r.roster().definition_sha256.clone()),
        definition_source: out.definition_source.clone(),
        checkpoint: Some(summary(&cp)),
        results_sha256: out
            .final_json
            .as_ref()
            .map(|j| crate::results::hex(&canvass_server::entry::sha256(j.as_bytes()))),
        published_results_compared: compared,
        counts,
        notes,
        findings,
    })
}

/// The published contest documents of every contest in the published results, and a note
/// when the source publishes none (their levels are then only recomputed).
///
/// # Errors
/// [`SourceError`] when the source cannot be read.
pub fn contest_docs(
    src: &dyn Source,
    published: Option<&[u8]>,
    levels: bool,
) -> Result<(Vec<ContestDoc>, Option<String>), SourceError> {
    if !levels {
        return Ok((Vec::new(), None));
    }
    let ids: Vec<String> = published
        .and_then(|p| serde_json::from_slice::<serde_json::Value>(p).ok())
        .and_then(|v| {
            v["contests"].as_array().map(|a| {
                a.iter()
                    .filter_map(|c| c["id"].as_str().map(str::to_owned))
                    .collect()
            })
        })
        .unwrap_or_default();
    if ids.is_empty() {
        return Ok((Vec::new(), None));
    }
    Ok(match src.contests(&ids)? {
        Some(docs) => (docs, None),
        None => (
            Vec::new(),
            Some("the source publishes no contest documents (api/contests/{id}): every contest was recomputed at every level, but not compared".to_owned()),
        ),
    })
}

/// The source's own log key (`log/vkey`).
///
/// # Errors
/// [`SourceError`] if it is missing or malformed.
pub fn source_vkey(src: &dyn Source) -> Result<LogVerifier, SourceError> {
    let v = src.fetch("log/vkey")?.ok_or_else(|| SourceError::Missing {
        location: src.locate("log/vkey"),
    })?;
    LogVerifier::from_vkey(String::from_utf8_lossy(&v).trim()).map_err(|e| SourceError::Malformed {
        location: src.locate("log/vkey"),
        reason: e.to_string(),
    })
}

fn summary(cp: &Published) -> CheckpointSummary {
    CheckpointSummary {
        origin: cp.checkpoint.origin.clone(),
        size: cp.checkpoint.size,
        root: cp.checkpoint.root.to_base64(),
        witnesses: cp.witnesses.clone(),
    }
}

/// Checks that `new` (whose tiles `src` serves and which was verified) extends the tree of an
/// older checkpoint: a smaller checkpoint seen later is a rollback, a different root at the
/// same size or a failed consistency proof (from the tiles) is a fork.
pub fn consistency(src: &dyn Source, old: &Checkpoint, new: &Checkpoint) -> Option<Finding> {
    let f = |code: &str, msg: String| {
        Some(
            Finding::new(Check::Checkpoint, msg)
                .values(
                    format!("size {} root {}", new.size, new.root),
                    format!("size {} root {}", old.size, old.root),
                )
                .code(code),
        )
    };
    if old.size > new.size {
        return f(
            "rollback",
            format!(
                "the log has {} entries, but a checkpoint of {} entries was seen before: the server was rolled back",
                new.size, old.size
            ),
        );
    }
    if old.size == new.size {
        if old.root != new.root {
            return f(
                "fork",
                "two checkpoints of the same size with different roots: a split view".into(),
            );
        }
        return None;
    }
    if old.size == 0 {
        return None;
    }
    let part = LogPart(src);
    let tiles = SourceTiles::new(&part, new.size);
    let proof = match consistency_proof(&tiles, old.size, new.size) {
        Ok(p) => p,
        Err(e) => {
            return f(
                "fork",
                format!("no consistency proof can be read from the tiles: {e}"),
            );
        }
    };
    match verify_consistency(old.size, new.size, &proof, &old.root, &new.root) {
        Ok(()) => None,
        Err(e) => f(
            "fork",
            format!(
                "the log is not an extension of a checkpoint seen before (a fork or split view): {e}"
            ),
        ),
    }
}

fn check_known(
    src: &dyn Source,
    verifier: &LogVerifier,
    note: &[u8],
    cp: &Checkpoint,
) -> Option<Finding> {
    match verifier.open_checkpoint(note) {
        Ok(old) => consistency(src, &old, cp),
        Err(e) => Some(
            Finding::new(
                Check::Checkpoint,
                format!("a known checkpoint given is not signed by the log key, so it proves nothing: {e}"),
            )
            .code("known-checkpoint-unsigned"),
        ),
    }
}

pub(crate) fn compare_results(
    published: Option<&[u8]>,
    index: Option<u64>,
    out: &EngineOutput,
    findings: &mut Vec<Finding>,
) -> bool {
    let Some(p) = published else { return false };
    let recomputed = match index {
        Some(i) => match &out.kept_json {
            Some(j) => j,
            None => {
                findings.push(
                    Finding::new(
                        Check::Results,
                        "the published results claim to be the snapshot at this log index, which is not a snapshot entry of the checkpointed log",
                    )
                    .at(i)
                    .code("no-such-snapshot"),
                );
                return true;
            }
        },
        None => match &out.final_json {
            Some(j) => j,
            None => return false,
        },
    };
    let at = index.or(out.last_snapshot);
    findings.extend(
        crate::results::compare_published(p, recomputed, at)
            .into_iter()
            .map(|f| f.code("results-differ")),
    );
    true
}

pub(crate) fn check_store(
    src: &dyn Source,
    size: u64,
    from: u64,
    out: &EngineOutput,
    findings: &mut Vec<Finding>,
    progress: &mut dyn FnMut(Progress),
) -> Result<u64, SourceError> {
    let total = out.submissions.len() as u64;
    let mut done = 0;
    for &(index, sha) in out.submissions.iter().filter(|(i, _)| *i >= from) {
        match src.stored(index)? {
            Stored::Unavailable => return Ok(done),
            Stored::Missing => findings.push(
                Finding::new(
                    Check::Store,
                    "the server's index has no submission at this log index, but the log does",
                )
                .at(index)
                .code("store-missing"),
            ),
            Stored::Document(d) => {
                let got = canvass_server::entry::sha256(&d);
                if got != sha {
                    findings.push(
                        Finding::new(
                            Check::Store,
                            format!(
                                "the server's index holds other bytes than the log for this submission: {}",
                                first_difference(&d, log_entry(src, index, size)?.as_deref())
                            ),
                        )
                        .at(index)
                        .values(crate::results::hex(&got), crate::results::hex(&sha))
                        .code("store-differs"),
                    );
                }
            }
        }
        done += 1;
        if done % 256 == 0 || done == total {
            progress(Progress::Store(done, total));
        }
    }
    Ok(done)
}

/// Reads log entry `index` of a tree of `size` from its entry bundle.
///
/// # Errors
/// [`SourceError`] if the bundle cannot be read.
pub fn log_entry(src: &dyn Source, index: u64, size: u64) -> Result<Option<Vec<u8>>, SourceError> {
    use canvass_log::tile::{TILE_WIDTH, Tile, TileKind, decode_bundle};
    if index >= size {
        return Ok(None);
    }
    let n = index / TILE_WIDTH;
    let t = Tile {
        kind: TileKind::Entries,
        index: n,
        width: (size - n * TILE_WIDTH).min(TILE_WIDTH) as u16,
    };
    let Some(bytes) = src.fetch(&format!("log/{}", t.path()))? else {
        return Ok(None);
    };
    Ok(decode_bundle(&bytes)
        .ok()
        .and_then(|b| b.get((index % TILE_WIDTH) as usize).map(|e| e.to_vec())))
}

/// Where two documents first differ, with some text of each around it.
fn first_difference(stored: &[u8], logged: Option<&[u8]>) -> String {
    let Some(logged) = logged else {
        return "the logged entry could not be read back".into();
    };
    let at = stored
        .iter()
        .zip(logged)
        .position(|(a, b)| a != b)
        .unwrap_or(stored.len().min(logged.len()));
    let around = |d: &[u8]| {
        let from = at.saturating_sub(30);
        String::from_utf8_lossy(&d[from.min(d.len())..(at + 30).min(d.len())]).into_owned()
    };
    format!(
        "first difference at byte {at}: stored {:?}, logged {:?}",
        around(stored),
        around(logged)
    )
}
