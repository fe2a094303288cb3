//! Opening a data directory: the log is replayed from its first entry (the roster) to its
//! last, rebuilding everything the server keeps in memory, and the store is completed with any
//! logged submission it lacks (a crash between the log append and the store write).
//!
//! The store (SQLite or PostgreSQL, [`Database`]) must not hold a submission beyond the end of
//! the log: then it belongs to another log, and opening is refused.
//!
//! Replay trusts the log's own entries (they were checked when they were accepted and the
//! log's tree is verified on open), so submission signatures are not verified again; the
//! roster's and key changes' authority signatures are.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use canvass_model::Election;
use canvass_store::pglog::PgLog;
use canvass_store::tlog::Log;
use canvass_store::{Database, Store, SubmissionRecord};
use canvass_tally::{LiveResults, ReportOptions, Tabulator};

use crate::app::{AppError, Snapshot, hex, now};
use crate::entry::{self, EntryKind, SnapshotEntry};
use crate::io;
use crate::pipeline::Checker;
use crate::roster::{Roster, RosterState};
use crate::sequencer::State;
use crate::submission::{Payload, Submission};

/// Entries read from the log at a time.
const CHUNK: u64 = 4096;

pub(crate) struct Opened {
    pub(crate) checker: Checker,
    pub(crate) roster: Arc<RosterState>,
    pub(crate) log: Log,
    pub(crate) store: Box<dyn Store + Send>,
    pub(crate) snapshot: Snapshot,
    pub(crate) state: State,
}

fn bad(index: u64, reason: impl Into<String>) -> AppError {
    AppError::BadEntry {
        index,
        reason: reason.into(),
    }
}

/// Opens `data` with its relational store in `database`.
///
/// With `shared` (the log in PostgreSQL, `canvass serve --shared-log`), the log directory is
/// a cache: it is first brought up to the shared log (which is started with the roster, or
/// with this directory's log, when empty), and nothing is appended to it here.
pub(crate) fn open_in(
    data: &Path,
    election: Election,
    database: &Database,
    shared: Option<&mut PgLog>,
) -> Result<Opened, AppError> {
    let vkey_path = data.join("authority.vkey");
    let vkey = std::fs::read_to_string(&vkey_path)
        .map_err(|e| crate::IoError::io("reading", &vkey_path, e))?;
    let authority =
        crate::PublicKey::from_vkey(vkey.trim()).map_err(|source| crate::IoError::Key {
            path: vkey_path.clone(),
            source,
        })?;
    let log_key = io::read_secret_key(&io::log_key_path(data))?;
    let signer = canvass_log::LogSigner::from_seed(log_key.name(), log_key.seed())
        .map_err(|e| AppError::LogKey(e.to_string()))?;
    let log = Log::open(data.join("log"), signer)?;
    let is_shared = shared.is_some();
    if let Some(pg) = shared {
        crate::replica::sync_cache(pg, &log, data, &authority, database)?;
    }
    if log.size() == 0 {
        // A new election: the roster is the log's first record.
        let path = io::roster_path(data);
        let doc =
            std::fs::read_to_string(&path).map_err(|e| crate::IoError::io("reading", &path, e))?;
        Roster::open(doc.as_bytes(), Some(&authority))
            .map_err(|source| AppError::Roster { path, source })?;
        log.append(&entry::roster_entries(&doc))?;
    }
    let mut store = database.open()?;
    let stored_to = store.last_log_index()?;
    if let Some(s) = stored_to.filter(|_| !is_shared) {
        // The store is an index of this log: its last row must be this log's entry.
        let detail = if s >= log.size() {
            Some(format!("is beyond the log's {} entries", log.size()))
        } else {
            let entry = log.entry(s)?;
            let same = store.submission_at(s)?.is_some_and(|r| r.document == entry);
            (!same).then(|| "differs from the log's entry there".to_owned())
        };
        if let Some(detail) = detail {
            return Err(canvass_store::DbError::OtherLog {
                database: database.to_string(),
                log_index: s,
                detail,
            }
            .into());
        }
    }
    let checker = Checker::new(election.clone());
    let mut st = State {
        live: LiveResults::new(Tabulator::new(election), ReportOptions::default()),
        latest: (None, 0),
        history: HashMap::new(),
        certified: HashMap::new(),
        changed: HashMap::new(),
        snapshots: HashMap::new(),
        audits: 0,
    };
    let size = log.size();
    let mut roster_bytes = Vec::new();
    let mut roster: Option<Arc<RosterState>> = None;
    let mut last_snapshot: Option<(u64, [u8; 32])> = None;
    let mut last_submission = None;
    let mut missing = Vec::new();
    let mut from = 0;
    while from < size {
        let to = (from + CHUNK).min(size);
        for (index, e) in (from..to).zip(log.entries(from..to)?) {
            if crate::audit::skip_on_replay(&e) {
                st.audits += 1;
                continue;
            }
            let Some(r) = roster.as_mut() else {
                let k = entry::kind(&e)
                    .ok_or_else(|| bad(index, "not a canvass log entry (unknown type line)"))?;
                roster = read_roster(index, k, &e, &mut roster_bytes, &authority)?.map(Arc::new);
                continue;
            };
            match apply_entry(index, &e, r, &mut st)? {
                Applied::Submission(rec) => {
                    last_submission = Some(index);
                    if stored_to.is_none_or(|s| index > s) {
                        missing.push(*rec);
                        if missing.len() >= 1024 {
                            store.append_submissions(&missing)?;
                            missing.clear();
                        }
                    }
                }
                Applied::Snapshot(sha) => last_snapshot = Some((index, sha)),
                Applied::Other => {}
            }
        }
        from = to;
    }
    store.append_submissions(&missing)?;
    let roster = roster.ok_or_else(|| bad(size, "the log ends inside the roster"))?;
    if roster.roster().election != checker.election().election.id {
        return Err(bad(
            0,
            format!(
                "the roster is for election {}, not {}: open the data directory with its own election",
                roster.roster().election,
                checker.election().election.id
            ),
        ));
    }

    // Publish the results of the whole log; log a snapshot entry if the last one does not
    // commit to them (submissions after it, or results computed differently).
    let json: Arc<str> = st.live.json().into();
    let results = crate::app::LazyResults::new(Arc::clone(&json));
    let sha = entry::sha256(json.as_bytes());
    let covered = match (last_snapshot, last_submission) {
        (Some((i, s)), last) => s == sha && last.is_none_or(|l| l < i),
        (None, None) => true,
        (None, Some(_)) => false,
    };
    let snapshot_index = if covered || is_shared {
        // A shared log's batches end with their snapshot entry in the same transaction;
        // anything else is left to the next batch (never appended outside the lock).
        last_snapshot.map(|(i, _)| i)
    } else {
        let after = log.size();
        let e = SnapshotEntry {
            election: checker.election().election.id.clone(),
            after,
            results_sha256: hex(&sha),
        };
        log.append(&[e.to_entry()])?;
        st.snapshots.insert(after, sha);
        Some(after)
    };
    st.latest = (snapshot_index, snapshot_index.map_or(0, |i| i + 1));
    Ok(Opened {
        checker,
        roster,
        log,
        store,
        snapshot: Snapshot {
            json,
            sha256: sha,
            log_index: snapshot_index,
            tree_size: snapshot_index.map_or(0, |i| i + 1),
            results,
        },
        state: st,
    })
}

/// What one replayed entry was.
pub(crate) enum Applied {
    /// A submission, tabulated; its store row.
    Submission(Box<SubmissionRecord>),
    /// A results snapshot with this results SHA-256.
    Snapshot([u8; 32]),
    /// A key change, certification or audit record (audits are loaded on first use).
    Other,
}

/// Applies one logged entry after the roster to the sequencer's state (and a key change to
/// the roster).
///
/// # Errors
/// [`AppError::BadEntry`] naming the index.
pub(crate) fn apply_entry(
    index: u64,
    e: &[u8],
    r: &mut Arc<RosterState>,
    st: &mut State,
) -> Result<Applied, AppError> {
    if crate::audit::skip_on_replay(e) {
        st.audits += 1;
        return Ok(Applied::Other);
    }
    let k =
        entry::kind(e).ok_or_else(|| bad(index, "not a canvass log entry (unknown type line)"))?;
    Ok(match k {
        EntryKind::Submission => Applied::Submission(Box::new(replay_submission(index, e, r, st)?)),
        EntryKind::Snapshot => {
            let s = SnapshotEntry::parse(e).map_err(|m| bad(index, m))?;
            let sha = parse_hex(&s.results_sha256)
                .ok_or_else(|| bad(index, "results_sha256 is not 64 hex digits"))?;
            st.snapshots.insert(s.after, sha);
            Applied::Snapshot(sha)
        }
        EntryKind::KeyChange => {
            Arc::make_mut(r)
                .apply_signed(e)
                .map_err(|err| bad(index, err.to_string()))?;
            Applied::Other
        }
        EntryKind::Certification => {
            let c: entry::Certification = crate::roster::open_signed(
                e,
                "certification",
                entry::CERTIFICATION_TYPE,
                r.authority(),
            )
            .map_err(|err| bad(index, err.to_string()))?;
            st.certified.insert(c.state.to_string(), index);
            Applied::Other
        }
        EntryKind::Roster | EntryKind::RosterPart => {
            return Err(bad(
                index,
                "a second roster: the roster is only logged first",
            ));
        }
    })
}

/// Collects the roster entries at the head of the log; returns the roster when complete.
fn read_roster(
    index: u64,
    k: EntryKind,
    e: &[u8],
    bytes: &mut Vec<u8>,
    authority: &crate::PublicKey,
) -> Result<Option<RosterState>, AppError> {
    let whole = match k {
        EntryKind::Roster if index == 0 => e.to_vec(),
        EntryKind::RosterPart => {
            let (h, part) = entry::parse_roster_part(e).map_err(|m| bad(index, m))?;
            if h.part != index + 1 || h.part > h.parts {
                return Err(bad(index, format!("roster part {} out of order", h.part)));
            }
            bytes.extend_from_slice(part);
            if h.part < h.parts {
                return Ok(None);
            }
            if entry::sha256_hex(bytes) != h.roster_sha256 {
                return Err(bad(index, "the roster parts do not hash to roster_sha256"));
            }
            std::mem::take(bytes)
        }
        _ => {
            return Err(bad(
                index,
                "the log does not start with the roster: this data directory was made by an older canvass; start a new one",
            ));
        }
    };
    let roster = Roster::open(&whole, Some(authority)).map_err(|e| bad(index, e.to_string()))?;
    RosterState::new(roster)
        .map(Some)
        .map_err(|e| bad(index, e.to_string()))
}

fn replay_submission(
    index: u64,
    e: &[u8],
    roster: &RosterState,
    st: &mut State,
) -> Result<SubmissionRecord, AppError> {
    let n = crate::note::parse(e).map_err(|m| bad(index, m))?;
    let s: Submission = serde_json::from_str(n.json)
        .map_err(|err| bad(index, format!("not a submission: {err}")))?;
    let j = s.jurisdiction.to_string();
    let (_, entry) = roster
        .jurisdiction(&j)
        .ok_or_else(|| bad(index, format!("jurisdiction {j} is not in the roster")))?;
    let digest = crate::submission::digest(n.body);
    if let Payload::PrecinctResults { results } = &s.payload {
        for pr in results {
            st.live
                .apply(pr)
                .map_err(|err| bad(index, err.to_string()))?;
        }
    }
    st.changed.insert(entry.state.to_string(), index);
    st.history
        .entry(j.clone())
        .or_default()
        .insert(s.sequence, (digest, index));
    Ok(SubmissionRecord {
        log_index: index,
        jurisdiction: j,
        sequence: s.sequence,
        digest,
        supersedes: s.amendment.as_ref().map(|a| a.supersedes),
        received_at: now(),
        document: e.to_vec(),
    })
}

fn parse_hex(s: &str) -> Option<[u8; 32]> {
    if s.len() != 64 {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, b) in out.iter_mut().enumerate() {
        *b = u8::from_str_radix(s.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    Some(out)
}
