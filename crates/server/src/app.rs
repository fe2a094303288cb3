//! The server's core, without HTTP: accept a signed document, or reject it with a reason.
//!
//! For each submission: authenticate and authorize (no lock), then under the submission lock
//! validate against the store's history, append the document to the transparency log
//! (durable before it returns), record it in the store, and apply it to the tabulator.
//! A rejection is written to the store's security event stream and changes nothing else.
//!
//! The log is the source of truth: the store row of an entry is written after the entry is
//! durable, and on open any logged entry missing from the store (a crash between the two) is
//! re-read from the log and recorded. The tabulator is rebuilt from the store on open, so
//! results are a function of the logged submissions.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, RwLock};

use canvass_model::Election;
use canvass_store::sqlite::SqliteStore;
use canvass_store::tlog::Log;
use canvass_store::{SecurityEvent, Store, SubmissionRecord};
use canvass_tally::{ReportOptions, Tabulator};
use serde::Serialize;

use crate::io;
use crate::pipeline::{Checker, History, Verdict};
use crate::rejection::{Flag, Rejection};
use crate::roster::RosterState;
use crate::submission::{Payload, Submission};

/// Errors opening or running the server's storage.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// Keys, roster or election.
    #[error(transparent)]
    Io(#[from] crate::IoError),
    /// The roster does not open.
    #[error("{}: {source}", path.display())]
    Roster {
        /// The roster file.
        path: PathBuf,
        /// The cause.
        source: crate::RosterError,
    },
    /// The transparency log.
    #[error("transparency log: {0}")]
    Log(#[from] canvass_store::tlog::StoreError),
    /// The relational store.
    #[error("store: {0}")]
    Db(#[from] canvass_store::DbError),
    /// A logged entry that no longer passes as a submission (wrong data directory?).
    #[error("log entry {index} is not a valid submission: {reason}")]
    BadEntry {
        /// The log index.
        index: u64,
        /// Why.
        reason: String,
    },
    /// A key that cannot be used as the log key.
    #[error("log key: {0}")]
    LogKey(String),
}

/// The answer to an accepted (or already accepted) submission.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Accepted {
    /// `accepted`, or `already-accepted` for a replay.
    pub status: &'static str,
    /// Index of the submission's entry in the transparency log.
    pub log_index: u64,
    /// SHA-256 of the signed body, hex.
    pub digest: String,
    /// Things worth a look (e.g. ballots above registered voters).
    pub flags: Vec<Flag>,
}

/// Why a submission failed: rejected as invalid, or a storage failure (nothing accepted).
#[derive(Debug)]
pub enum SubmitError {
    /// The submission is invalid; nothing changed except the security event stream.
    Rejected(Rejection),
    /// Storage failed; the submission was not accepted and may be retried.
    Internal(String),
}

/// The running server state.
pub struct App {
    checker: Checker,
    roster: RwLock<RosterState>,
    log: Log,
    store: Mutex<SqliteStore>,
    tabulator: Mutex<Tabulator>,
    submit: Mutex<()>,
}

impl std::fmt::Debug for App {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "App({:?})", self.log)
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic while holding a lock leaves plain data behind; keep serving.
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn hex(d: &[u8; 32]) -> String {
    d.iter().map(|b| format!("{b:02x}")).collect()
}

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

struct StoreHistory<'a>(&'a SqliteStore);

impl History for StoreHistory<'_> {
    fn last_sequence(&self, j: &str) -> Option<u64> {
        self.0.last_sequence(j).ok().flatten()
    }
    fn accepted(&self, j: &str, seq: u64) -> Option<[u8; 32]> {
        self.0.accepted_digest(j, seq).ok().flatten()
    }
}

fn results_of(s: &Submission) -> &[canvass_model::PrecinctResult] {
    match &s.payload {
        Payload::PrecinctResults { results } => results,
        Payload::CvrBatch { .. } => &[],
    }
}

impl App {
    /// Opens the data directory made by `canvass keys init`: `<data>/roster.note` (checked
    /// against `<data>/authority.vkey`), the log key, the log in `<data>/log` and the store
    /// `<data>/canvass.db`; recovers and re-tabulates every accepted submission.
    ///
    /// # Errors
    /// [`AppError`] naming the file or log entry at fault.
    pub fn open(data: &Path, election: Election) -> Result<App, AppError> {
        let vkey_path = data.join("authority.vkey");
        let vkey = std::fs::read_to_string(&vkey_path)
            .map_err(|e| crate::IoError::io("reading", &vkey_path, e))?;
        let authority =
            crate::PublicKey::from_vkey(vkey.trim()).map_err(|source| crate::IoError::Key {
                path: vkey_path.clone(),
                source,
            })?;
        let roster = io::read_roster(&io::roster_path(data), Some(&authority))?;
        let roster = RosterState::new(roster).map_err(|source| AppError::Roster {
            path: io::roster_path(data),
            source,
        })?;
        let log_key = io::read_secret_key(&io::log_key_path(data))?;
        let signer = canvass_log::LogSigner::from_seed(log_key.name(), log_key.seed())
            .map_err(|e| AppError::LogKey(e.to_string()))?;
        let log = Log::open(data.join("log"), signer)?;
        let mut store = SqliteStore::open(data.join("canvass.db"))?;
        let checker = Checker::new(election.clone());
        // Entries logged but not yet recorded (a crash between the two writes).
        let stored = store.submission_count()?;
        for index in stored..log.size() {
            let doc = log.entry(index)?;
            let a =
                crate::pipeline::authenticate(&doc, &roster).map_err(|r| AppError::BadEntry {
                    index,
                    reason: r.to_string(),
                })?;
            store.append_submission(&SubmissionRecord {
                log_index: index,
                jurisdiction: a.submission.jurisdiction.to_string(),
                sequence: a.submission.sequence,
                digest: a.digest,
                supersedes: a.submission.amendment.as_ref().map(|am| am.supersedes),
                received_at: now(),
                document: doc,
            })?;
        }
        let mut tabulator = Tabulator::new(election);
        let mut from = 0;
        loop {
            let page = store.submissions(from, 1024)?;
            let Some(last) = page.last() else { break };
            from = last.log_index + 1;
            for r in &page {
                let doc = crate::note::parse(&r.document).map_err(|reason| AppError::BadEntry {
                    index: r.log_index,
                    reason,
                })?;
                let s: Submission =
                    crate::canonical::decode(doc.json).map_err(|_| AppError::BadEntry {
                        index: r.log_index,
                        reason: "not a canonical submission".into(),
                    })?;
                for pr in results_of(&s) {
                    tabulator.apply(pr).map_err(|e| AppError::BadEntry {
                        index: r.log_index,
                        reason: e.to_string(),
                    })?;
                }
            }
        }
        if log.size() > 0 {
            log.checkpoint()?;
        }
        Ok(App {
            checker,
            roster: RwLock::new(roster),
            log,
            store: Mutex::new(store),
            tabulator: Mutex::new(tabulator),
            submit: Mutex::new(()),
        })
    }

    /// Processes one signed submission document; `source` (e.g. the peer address) goes into
    /// the security event of a rejection.
    ///
    /// # Errors
    /// [`SubmitError::Rejected`] with the reason, or [`SubmitError::Internal`] if storage
    /// failed (nothing was accepted).
    pub fn submit(&self, doc: &[u8], source: Option<String>) -> Result<Accepted, SubmitError> {
        let checked = {
            let roster = self
                .roster
                .read()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            crate::pipeline::authenticate(doc, &roster)
                .and_then(|a| self.checker.authorize(&a, &roster).map(|()| a))
        };
        let _guard = lock(&self.submit);
        let (a, verdict) = match checked.and_then(|a| {
            let store = lock(&self.store);
            let v = self.checker.validate(&a, &StoreHistory(&store))?;
            Ok((a, v))
        }) {
            Ok(x) => x,
            Err(r) => return Err(self.reject(doc, source, r)),
        };
        let jurisdiction = a.submission.jurisdiction.to_string();
        let flags = match verdict {
            Verdict::AlreadyAccepted => {
                let store = lock(&self.store);
                let rec = store
                    .jurisdiction_history(&jurisdiction)
                    .map_err(|e| SubmitError::Internal(e.to_string()))?
                    .into_iter()
                    .find(|r| r.sequence == a.submission.sequence)
                    .ok_or_else(|| SubmitError::Internal("replayed submission vanished".into()))?;
                return Ok(Accepted {
                    status: "already-accepted",
                    log_index: rec.log_index,
                    digest: hex(&a.digest),
                    flags: Vec::new(),
                });
            }
            Verdict::Accept { flags } => flags,
        };
        let internal = |e: &dyn std::fmt::Display| SubmitError::Internal(e.to_string());
        let range = self.log.append(&[doc]).map_err(|e| internal(&e))?;
        self.log.checkpoint().map_err(|e| internal(&e))?;
        lock(&self.store)
            .append_submission(&SubmissionRecord {
                log_index: range.start,
                jurisdiction,
                sequence: a.submission.sequence,
                digest: a.digest,
                supersedes: a.submission.amendment.as_ref().map(|am| am.supersedes),
                received_at: now(),
                document: doc.to_vec(),
            })
            .map_err(|e| internal(&e))?;
        let mut tab = lock(&self.tabulator);
        for pr in results_of(&a.submission) {
            // Validation guarantees the tabulator accepts it (see `pipeline`).
            tab.apply(pr).map_err(|e| internal(&e))?;
        }
        Ok(Accepted {
            status: "accepted",
            log_index: range.start,
            digest: hex(&a.digest),
            flags,
        })
    }

    fn reject(&self, doc: &[u8], source: Option<String>, r: Rejection) -> SubmitError {
        let event = SecurityEvent {
            id: 0,
            at: now(),
            source,
            jurisdiction: None,
            code: serde_json::to_value(r.code)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default(),
            field: r.field.clone(),
            message: r.message.clone(),
            digest: crate::submission::digest(&String::from_utf8_lossy(doc)),
        };
        if let Err(e) = lock(&self.store).append_event(&event) {
            return SubmitError::Internal(format!("recording the security event: {e}"));
        }
        SubmitError::Rejected(r)
    }

    /// The canonical results JSON (see `docs/results-json.md`).
    pub fn results_json(&self) -> String {
        let tab = lock(&self.tabulator);
        let r = canvass_tally::results(&tab, &ReportOptions::default());
        serde_json::to_string(&r).unwrap_or_default()
    }

    /// The transparency log.
    pub fn log(&self) -> &Log {
        &self.log
    }

    /// Security events after `after_id` (at most `limit`).
    ///
    /// # Errors
    /// Store errors.
    pub fn events(&self, after_id: u64, limit: usize) -> Result<Vec<SecurityEvent>, AppError> {
        Ok(lock(&self.store).events(after_id, limit)?)
    }
}
