//! The server's core, without HTTP: accept a signed document, or reject it with a reason.
//!
//! The transparency log is the whole record (`docs/submissions.md`, "The log"): the roster
//! first, then submissions, results snapshots, key changes and certifications, in order.
//! [`App::submit`] authenticates and authorizes in the caller's thread, then hands the
//! submission to the [`crate::sequencer`], which validates, logs (one group commit per batch,
//! ending with a snapshot entry), records, tabulates and publishes. A rejection is written to
//! the store's security event stream and changes nothing else.
//!
//! The store is an index: on open the log is replayed (see [`crate::replay`]), any logged
//! submission missing from the store (a crash between the two writes) is recorded, and the
//! tabulator is rebuilt, so results are a function of the log.

use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError, RwLock};
use std::thread::JoinHandle;

use canvass_model::Election;
use canvass_store::tlog::Log;
use canvass_store::{SecurityEvent, SubmissionRecord};
use serde::Serialize;
use tokio::sync::broadcast;

use crate::pipeline::Checker;
use crate::rejection::{Flag, Rejection};
use crate::roster::RosterState;
use crate::sequencer::{Job, Reply, Sequencer, security_event};

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
    /// A logged entry that cannot be replayed (wrong data directory?).
    #[error("log entry {index}: {reason}")]
    BadEntry {
        /// The log index.
        index: u64,
        /// Why.
        reason: String,
    },
    /// A key that cannot be used as the log key.
    #[error("log key: {0}")]
    LogKey(String),
    /// A shared log that cannot be used.
    #[error("shared log: {0}")]
    SharedLog(String),
    /// An index beyond the latest checkpoint.
    #[error(
        "log index {index} is not in the latest checkpoint (size {size}): wait for the next one"
    )]
    NotInCheckpoint {
        /// The index asked for.
        index: u64,
        /// The checkpoint's tree size.
        size: u64,
    },
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

/// A published results snapshot: the canonical results JSON and the log entry committing
/// to it.
#[derive(Debug, Clone)]
pub struct Snapshot {
    /// The canonical results JSON (`docs/results-json.md`).
    pub json: Arc<str>,
    /// SHA-256 of `json`.
    pub sha256: [u8; 32],
    /// Index of the `canvass-snapshot/v1` entry committing to it; `None` before the first.
    pub log_index: Option<u64>,
    /// The log size after that entry (0 before the first).
    pub tree_size: u64,
    /// The typed results, read from `json` on first use.
    pub results: LazyResults,
}

/// The typed results of a snapshot, read from its JSON on first use (most snapshots are
/// only ever served as JSON, so none is built per batch). Dereferences to
/// [`canvass_tally::Results`].
#[derive(Debug, Clone)]
pub struct LazyResults {
    json: Arc<str>,
    parsed: std::sync::OnceLock<canvass_tally::Results>,
}

impl LazyResults {
    /// The results whose canonical JSON is `json`.
    pub fn new(json: Arc<str>) -> Self {
        LazyResults {
            json,
            parsed: std::sync::OnceLock::new(),
        }
    }
}

impl std::ops::Deref for LazyResults {
    type Target = canvass_tally::Results;
    fn deref(&self) -> &canvass_tally::Results {
        self.parsed.get_or_init(|| {
            // The JSON was written from a `Results` (a tally test checks the round trip);
            // if it ever did not read back, serve an empty document rather than panic.
            serde_json::from_str(&self.json).unwrap_or_else(|e| {
                tracing::error!("the results snapshot does not read back: {e}");
                canvass_tally::Results {
                    election: String::new(),
                    contests: Vec::new(),
                    president: None,
                    balance: canvass_tally::Balance {
                        senate: None,
                        house: None,
                        governors: None,
                    },
                }
            })
        })
    }
}

/// One contest at every level (state, county, congressional district, reporting unit) as
/// of one published results snapshot (`canvass_tally::contest_detail`).
#[derive(Debug, Clone)]
pub struct ContestReport {
    /// The contest, with `states`, `counties`, `districts` and `precincts`.
    pub contest: canvass_tally::ContestResult,
    /// The snapshot entry whose results these are (`None` before the first).
    pub log_index: Option<u64>,
    /// The log size after that entry (0 before the first).
    pub tree_size: u64,
}

/// Something that happened, for live updates (`GET /api/events`).
#[derive(Clone, Debug, Serialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum AppEvent {
    /// A new results snapshot was published.
    Results {
        /// The log size after the snapshot entry.
        tree_size: u64,
        /// The snapshot entry's index.
        log_index: u64,
        /// SHA-256 of the results JSON, hex.
        sha256: String,
    },
    /// A submission was accepted.
    Accepted {
        /// Its log index.
        log_index: u64,
        /// The jurisdiction.
        jurisdiction: String,
        /// Its sequence number.
        sequence: u64,
        /// Whether it amends an earlier one.
        amendment: bool,
    },
    /// A document was rejected.
    Rejected {
        /// The rejection code.
        code: String,
        /// The field.
        field: String,
        /// Where it came from, if known.
        source: Option<String>,
    },
    /// A state's results were certified.
    Certified {
        /// The state.
        state: String,
        /// The certification's log index.
        log_index: u64,
    },
    /// A key was rotated or revoked.
    KeyChange {
        /// The key change's log index.
        log_index: u64,
    },
}

/// What the API threads and the sequencer share.
pub(crate) struct Shared {
    pub(crate) checker: Checker,
    pub(crate) roster: RwLock<Arc<RosterState>>,
    pub(crate) log: Log,
    pub(crate) store: Mutex<Box<dyn canvass_store::Store + Send>>,
    pub(crate) snapshot: RwLock<Arc<Snapshot>>,
    /// The published snapshot's tree size, signalled by `published_cv` when it grows.
    pub(crate) published: Mutex<u64>,
    pub(crate) published_cv: Condvar,
    /// The latest published checkpoint, and the size the checkpointer should reach.
    pub(crate) checkpoint: Mutex<Cp>,
    /// Signalled when a checkpoint is wanted or published.
    pub(crate) checkpoint_cv: Condvar,
    pub(crate) events: broadcast::Sender<AppEvent>,
    /// Set when storage failed mid-batch: nothing more is accepted.
    pub(crate) failed: Mutex<Option<String>>,
    /// Witnesses that must cosign a checkpoint before it is published, if any.
    pub(crate) witnessing: Option<crate::witnessing::Witnessing>,
}

impl Shared {
    /// The published results snapshot.
    pub(crate) fn snapshot(&self) -> Arc<Snapshot> {
        Arc::clone(&self.snapshot.read().unwrap_or_else(PoisonError::into_inner))
    }
}

/// The checkpointer's state.
pub(crate) struct Cp {
    /// Tree size of the latest published checkpoint.
    pub(crate) size: u64,
    /// Its note.
    pub(crate) note: String,
    /// Publish a checkpoint of at least this size.
    pub(crate) want: u64,
    /// Largest size signed and offered for publication, published or not.
    pub(crate) attempted: u64,
    /// Why the last checkpoint signed was not published (witness quorum not met).
    pub(crate) witness_error: Option<String>,
    /// Stop once `want` is reached.
    pub(crate) stop: bool,
}

/// How to open the server beyond the data directory.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Publish checkpoints only with this witness quorum (none: publish at once).
    pub witnesses: Option<crate::witnessing::WitnessConfig>,
    /// The store (none: the embedded SQLite file `<data>/canvass.db`).
    pub database: Option<canvass_store::Database>,
    /// Keep the log itself in the PostgreSQL `database`, shared with every other instance
    /// opened on it with this option (`crate::replica`); `<data>/log` is then a cache.
    pub shared_log: bool,
}

/// The running server state.
pub struct App {
    shared: Arc<Shared>,
    /// Contest reports of the snapshot of this tree size.
    contests: Mutex<(u64, std::collections::HashMap<String, Arc<ContestReport>>)>,
    /// The audits of the log (`crate::audit`), loaded on first use.
    pub(crate) audits: crate::audit::AuditCell,
    tx: Option<mpsc::SyncSender<Job>>,
    worker: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for App {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "App({:?})", self.shared.log)
    }
}

impl Drop for App {
    fn drop(&mut self) {
        // Closing the queue ends the sequencer; joining it releases the log before a reopen.
        self.tx = None;
        if let Some(w) = self.worker.take() {
            let _ = w.join();
        }
    }
}

pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic while holding a lock leaves plain data behind; keep serving.
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

pub(crate) fn hex(d: &[u8; 32]) -> String {
    crate::entry::hex(d)
}

pub(crate) fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// Writes the witness policy served at `/log/witnesses`, or removes a stale one.
fn write_policy(log_dir: &Path, policy: Option<String>) -> Result<(), AppError> {
    let path = log_dir.join(crate::logroutes::WITNESSES_FILE);
    let io = |e: std::io::Error| AppError::Io(crate::IoError::io("writing", &path, e));
    match policy {
        Some(text) => {
            let tmp = path.with_extension("tmp");
            std::fs::write(&tmp, text).map_err(io)?;
            std::fs::rename(&tmp, &path).map_err(io)
        }
        None => match std::fs::remove_file(&path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(io(e)),
            _ => Ok(()),
        },
    }
}

/// Queue length before callers wait (back pressure).
const QUEUE: usize = 16_384;

impl App {
    /// Opens the data directory made by `canvass keys init`: the authority key
    /// `<data>/authority.vkey`, the log key, the log in `<data>/log` and the store
    /// `<data>/canvass.db`. An empty log gets the signed roster `<data>/roster.note` as its
    /// first entries; otherwise the log is replayed (roster, key changes, submissions,
    /// snapshots, certifications) and the store completed.
    ///
    /// # Errors
    /// [`AppError`] naming the file or log entry at fault.
    pub fn open(data: &Path, election: Election) -> Result<App, AppError> {
        Self::open_with(data, election, Options::default())
    }

    /// [`App::open`] with [`Options`]. With witnesses, the log's checkpoint is published only
    /// once the quorum has cosigned it; until then the previously published one stays.
    ///
    /// # Errors
    /// As [`App::open`].
    pub fn open_with(data: &Path, election: Election, options: Options) -> Result<App, AppError> {
        let database = options
            .database
            .unwrap_or_else(|| canvass_store::Database::default_for(data));
        let mut pg = match (&database, options.shared_log) {
            (_, false) => None,
            (canvass_store::Database::Postgres(url), true) => {
                Some(canvass_store::pglog::PgLog::connect(url)?)
            }
            (other, true) => {
                return Err(AppError::SharedLog(format!(
                    "a shared log needs a PostgreSQL database (--database postgres://...), not {other}"
                )));
            }
        };
        let opened = crate::replay::open_in(data, election, &database, pg.as_mut())?;
        let (events, _) = broadcast::channel(1024);
        let published = opened.snapshot.tree_size;
        let (cp_size, cp_note, witnessing) = match options.witnesses {
            None => {
                let cp = opened.log.checkpoint()?;
                (cp.checkpoint.size, cp.note, None)
            }
            Some(config) => {
                let note = opened.log.published_checkpoint()?.unwrap_or_default();
                let size = if note.is_empty() {
                    0
                } else {
                    opened
                        .log
                        .verifier()
                        .open_checkpoint(note.as_bytes())
                        .map_err(|e| AppError::LogKey(format!("the published checkpoint: {e}")))?
                        .size
                };
                let w = crate::witnessing::Witnessing::new(
                    config,
                    Some((size, &note)),
                    options.shared_log,
                );
                (size, note, Some(w))
            }
        };
        write_policy(
            opened.log.dir(),
            witnessing.as_ref().map(|w| w.policy_text()),
        )?;
        let want = opened.log.size();
        let shared = Arc::new(Shared {
            checker: opened.checker,
            roster: RwLock::new(opened.roster),
            log: opened.log,
            store: Mutex::new(opened.store),
            snapshot: RwLock::new(Arc::new(opened.snapshot)),
            published: Mutex::new(published),
            published_cv: Condvar::new(),
            checkpoint: Mutex::new(Cp {
                size: cp_size,
                note: cp_note,
                want,
                attempted: cp_size,
                witness_error: None,
                stop: false,
            }),
            checkpoint_cv: Condvar::new(),
            events,
            failed: Mutex::new(None),
            witnessing,
        });
        let (tx, rx) = mpsc::sync_channel(QUEUE);
        let seq = Sequencer::new(Arc::clone(&shared), opened.state, pg)
            .map_err(|e| AppError::LogKey(format!("cannot start the committer thread: {e}")))?;
        let worker = std::thread::Builder::new()
            .name("canvass-sequencer".into())
            .spawn(move || seq.run(&rx))
            .map_err(|e| AppError::LogKey(format!("cannot start the sequencer thread: {e}")))?;
        Ok(App {
            shared,
            contests: Mutex::default(),
            audits: crate::audit::AuditCell::default(),
            tx: Some(tx),
            worker: Some(worker),
        })
    }

    pub(crate) fn send<T>(&self, make: impl FnOnce(Reply<T>) -> Job) -> Result<T, SubmitError> {
        if let Some(m) = lock(&self.shared.failed).as_ref() {
            return Err(SubmitError::Internal(m.clone()));
        }
        let (reply, answer) = mpsc::sync_channel(1);
        let gone = || SubmitError::Internal("the sequencer has stopped".into());
        self.tx
            .as_ref()
            .ok_or_else(gone)?
            .send(make(reply))
            .map_err(|_| gone())?;
        answer.recv().map_err(|_| gone())?
    }

    fn roster(&self) -> Arc<RosterState> {
        Arc::clone(
            &self
                .shared
                .roster
                .read()
                .unwrap_or_else(PoisonError::into_inner),
        )
    }

    /// Processes one signed submission document; `source` (e.g. the peer address) goes into
    /// the security event of a rejection. Returns once the submission is durable in the log
    /// and counted (or was accepted before).
    ///
    /// # Errors
    /// [`SubmitError::Rejected`] with the reason, or [`SubmitError::Internal`] if storage
    /// failed (nothing was accepted).
    pub fn submit(&self, doc: &[u8], source: Option<String>) -> Result<Accepted, SubmitError> {
        let roster = self.roster();
        let checked = crate::pipeline::authenticate_countersigned(doc, &roster)
            .and_then(|(a, c)| self.shared.checker.authorize(&a, &roster).map(|()| (a, c)));
        match checked {
            Ok((a, countersigned)) => self.send(|reply| Job::Submit {
                a: Box::new(a),
                countersigned,
                roster_changes: roster.changes(),
                doc: doc.to_vec(),
                source,
                reply,
            }),
            Err(r) => {
                let event = security_event(doc, source, &r);
                self.send(|reply| Job::Reject { event, reply })?;
                Err(SubmitError::Rejected(r))
            }
        }
    }

    /// Processes several signed submission documents as one (`POST /api/submissions/batch`):
    /// each is authenticated and authorized (in parallel), then the valid ones are logged in
    /// the given order in one log batch with one results snapshot. Returns one answer per
    /// document, in order, once the batch is durable; a rejection (written to the security
    /// event stream, with `source`) affects only its own document, and a document sent twice
    /// (in this batch or before) is `already-accepted`.
    pub fn submit_batch<D: AsRef<[u8]> + Sync>(
        &self,
        docs: &[D],
        source: Option<String>,
    ) -> Vec<Result<Accepted, SubmitError>> {
        let all = |e: &str| {
            docs.iter()
                .map(|_| Err(SubmitError::Internal(e.to_owned())))
                .collect()
        };
        if docs.is_empty() {
            return Vec::new();
        }
        if let Some(m) = lock(&self.shared.failed).as_ref() {
            return all(m);
        }
        let roster = self.roster();
        let (jobs, pending) =
            match crate::batch::jobs(docs, source.as_deref(), &self.shared.checker, &roster) {
                Ok(j) => j,
                Err(m) => return all(&m),
            };
        let sent = self
            .tx
            .as_ref()
            .is_some_and(|tx| tx.send(Job::Many(jobs)).is_ok());
        if !sent {
            return all("the sequencer has stopped");
        }
        pending
            .into_iter()
            .map(crate::batch::Pending::wait)
            .collect()
    }

    /// Logs an authority-signed key change (`canvass-key-change/v1`) and applies it: from
    /// then on the retired or revoked key is refused. Returns its log index.
    ///
    /// # Errors
    /// [`SubmitError::Rejected`] (`bad-key-change`) if it is malformed, not signed by the
    /// authority or out of sequence; [`SubmitError::Internal`] if storage failed.
    pub fn submit_key_change(&self, doc: &[u8]) -> Result<u64, SubmitError> {
        self.send(|reply| Job::KeyChange {
            doc: doc.to_vec(),
            reply,
        })
    }

    /// Logs an authority-signed certification (`canvass-certification/v1`) of a state's
    /// results; from then on a submission of that state needs the authority's
    /// countersignature. Returns its log index.
    ///
    /// # Errors
    /// [`SubmitError::Rejected`] (`bad-certification`) if it is malformed, not signed by the
    /// authority, or does not name a logged snapshot after which the state is unchanged.
    pub fn certify(&self, doc: &[u8]) -> Result<u64, SubmitError> {
        self.send(|reply| Job::Certify {
            doc: doc.to_vec(),
            reply,
        })
    }

    /// The latest published results snapshot (no recomputation).
    pub fn snapshot(&self) -> Arc<Snapshot> {
        self.shared.snapshot()
    }

    /// Contest `id` at every level (state, county, congressional district, reporting unit),
    /// as of a published snapshot: the latest when the sequencer is idle, otherwise the one
    /// being committed (this waits, at most 30 s, until it is published). `None` for an
    /// unknown contest. Reports are kept until the next snapshot is published.
    ///
    /// # Errors
    /// [`SubmitError::Internal`] if the server failed or stopped, or the snapshot was not
    /// published in time.
    pub fn contest(&self, id: &str) -> Result<Option<Arc<ContestReport>>, SubmitError> {
        if !self.election().contests.iter().any(|c| c.id.as_str() == id) {
            return Ok(None);
        }
        let current = self.snapshot().tree_size;
        {
            let cache = lock(&self.contests);
            if cache.0 == current {
                if let Some(r) = cache.1.get(id) {
                    return Ok(Some(Arc::clone(r)));
                }
            }
        }
        let Some(report) = self.send(|reply| Job::Contest {
            id: id.to_owned(),
            reply,
        })?
        else {
            return Ok(None);
        };
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        let mut published = lock(&self.shared.published);
        while *published < report.tree_size {
            if let Some(m) = lock(&self.shared.failed).as_ref() {
                return Err(SubmitError::Internal(m.clone()));
            }
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            if left.is_zero() {
                return Err(SubmitError::Internal(format!(
                    "the results snapshot at log size {} was not published within 30 s: retry",
                    report.tree_size
                )));
            }
            published = self
                .shared
                .published_cv
                .wait_timeout(published, left)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
        drop(published);
        let report = Arc::new(report);
        let mut cache = lock(&self.contests);
        if cache.0 != report.tree_size {
            *cache = (report.tree_size, std::collections::HashMap::new());
        }
        cache.1.insert(id.to_owned(), Arc::clone(&report));
        Ok(Some(report))
    }

    /// The canonical results JSON of the latest snapshot (see `docs/results-json.md`).
    pub fn results_json(&self) -> String {
        self.snapshot().json.to_string()
    }

    /// Live events: results snapshots, accepted and rejected submissions, certifications and
    /// key changes. A slow receiver loses the oldest (see `tokio::sync::broadcast`).
    pub fn subscribe(&self) -> broadcast::Receiver<AppEvent> {
        self.shared.events.subscribe()
    }

    /// The roster with every logged key change applied.
    pub fn roster_state(&self) -> Arc<RosterState> {
        self.roster()
    }

    /// The election.
    pub fn election(&self) -> &Election {
        self.shared.checker.election()
    }

    /// The submission logged at `log_index`, if that entry is a submission.
    ///
    /// # Errors
    /// Store errors.
    pub fn submission(&self, log_index: u64) -> Result<Option<SubmissionRecord>, AppError> {
        Ok(lock(&self.shared.store).submission_at(log_index)?)
    }

    /// Every version a jurisdiction submitted, in sequence order (amendments included).
    ///
    /// # Errors
    /// Store errors.
    pub fn jurisdiction_history(
        &self,
        jurisdiction: &str,
    ) -> Result<Vec<SubmissionRecord>, AppError> {
        Ok(lock(&self.shared.store).jurisdiction_history(jurisdiction)?)
    }

    /// The latest signed checkpoint note.
    pub fn checkpoint_text(&self) -> String {
        lock(&self.shared.checkpoint).note.clone()
    }

    /// Why the newest signed checkpoint is not published yet (too few witness cosignatures),
    /// if it is not.
    pub fn witness_error(&self) -> Option<String> {
        lock(&self.shared.checkpoint).witness_error.clone()
    }

    /// The witness policy checkpoints are published under, in `canvass verify --policy`
    /// format, if witnesses are configured.
    pub fn witness_policy_text(&self) -> Option<String> {
        self.shared.witnessing.as_ref().map(|w| w.policy_text())
    }

    /// Inclusion proof of entry `index` in the tree of the latest checkpoint: that tree's
    /// size and the proof's hashes. For an entry that is durable but not yet in a published
    /// checkpoint, waits (up to 30 s) for the checkpoint that covers it.
    ///
    /// # Errors
    /// [`AppError::NotInCheckpoint`] for an index beyond it; log errors.
    pub fn inclusion_proof(&self, index: u64) -> Result<(u64, Vec<[u8; 32]>), AppError> {
        let mut cp = lock(&self.shared.checkpoint);
        if index >= cp.size && index < self.shared.log.size() {
            let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
            while cp.size <= index {
                let left = deadline.saturating_duration_since(std::time::Instant::now());
                if left.is_zero() {
                    break;
                }
                cp = self
                    .shared
                    .checkpoint_cv
                    .wait_timeout(cp, left)
                    .unwrap_or_else(PoisonError::into_inner)
                    .0;
            }
        }
        let size = cp.size;
        drop(cp);
        if index >= size {
            return Err(AppError::NotInCheckpoint { index, size });
        }
        let proof = self.shared.log.inclusion_proof(index, size)?;
        Ok((size, proof.into_iter().map(|h| h.0).collect()))
    }

    /// The transparency log.
    pub fn log(&self) -> &Log {
        &self.shared.log
    }

    /// Security events after `after_id` (at most `limit`).
    ///
    /// # Errors
    /// Store errors.
    pub fn events(&self, after_id: u64, limit: usize) -> Result<Vec<SecurityEvent>, AppError> {
        Ok(lock(&self.shared.store).events(after_id, limit)?)
    }
}
