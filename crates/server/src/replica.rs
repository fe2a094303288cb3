//! Several servers, one log (issue 10, "High availability"): with `canvass serve --database
//! postgres://… --shared-log`, the log's entries live in PostgreSQL (`canvass_store::pglog`)
//! and every instance is a replica of the log's state machine.
//!
//! - Any instance accepts submissions. Its sequencer takes a batch, locks the shared log's
//!   head (waiting while another instance appends), catches up on the entries others
//!   appended since its own size (tabulating them with the replay code), validates and
//!   tabulates the batch against that state, and appends the batch, its snapshot entry and
//!   the submissions' store rows in the same transaction. Only then are the entries written
//!   to the local tile directory (a cache, rebuilt from PostgreSQL on start) and answered.
//! - An idle instance tails the shared log every [`TAIL_EVERY`], so its `/log`, results and
//!   checkpoints follow the others'.
//! - Each instance signs checkpoints of its own tile directory with the shared log key; every
//!   tile directory is a prefix of the same log, so all checkpoints are consistent.
//! - An instance that dies loses its transaction with its connection: the next appender
//!   goes on at once. A failure after the batch was tabulated but before it committed marks
//!   the instance failed (restart it; it rebuilds from the shared log).

use std::collections::VecDeque;
use std::path::Path;
use std::sync::mpsc::Receiver;
use std::sync::{Arc, PoisonError};
use std::time::Duration;

use canvass_store::pglog::{Locked, PgLog};
use canvass_store::tlog::Log;
use canvass_store::{Database, DbError};

use crate::app::{AppError, Snapshot, SubmitError, hex};
use crate::committer::{self, Batch, Logged, Msg};
use crate::entry::{self, SnapshotEntry};
use crate::replay::{Applied, apply_entry};
use crate::sequencer::{Job, MAX_BATCH, Sequencer};

/// How often an idle instance looks for entries appended by others.
pub(crate) const TAIL_EVERY: Duration = Duration::from_millis(100);

/// Entries copied at a time.
const CHUNK: u64 = 4096;

/// Brings the local tile directory up to the shared log. An empty shared log is started
/// with this directory's log (moving a single server to a shared log) or, when both are
/// empty, with the signed roster. A local log longer than the shared one, or with another
/// entry at its last index, belongs to another log and is refused.
pub(crate) fn sync_cache(
    pg: &mut PgLog,
    log: &Log,
    data: &Path,
    authority: &crate::PublicKey,
    database: &Database,
) -> Result<(), AppError> {
    {
        let locked = pg.lock()?;
        if locked.size() == 0 {
            let entries = if log.size() == 0 {
                let path = crate::io::roster_path(data);
                let doc = std::fs::read_to_string(&path)
                    .map_err(|e| crate::IoError::io("reading", &path, e))?;
                crate::roster::Roster::open(doc.as_bytes(), Some(authority))
                    .map_err(|source| AppError::Roster { path, source })?;
                entry::roster_entries(&doc)
            } else {
                log.entries(0..log.size())?
            };
            locked.append(&entries, &[])?;
        }
    }
    let size = pg.size()?;
    let local = log.size();
    let other = |log_index, detail: String| DbError::OtherLog {
        database: database.to_string(),
        log_index,
        detail,
    };
    if local > size {
        return Err(other(
            size,
            format!(
                "is the shared log's end, but the local log {} has {local} entries",
                log.dir().display()
            ),
        )
        .into());
    }
    // Every local entry must be the shared log's (a local log of another history is refused,
    // also where only its middle differs).
    let mut at = 0;
    while at < local {
        let to = (at + CHUNK).min(local);
        let (mine, theirs) = (log.entries(at..to)?, pg.entries(at..to)?);
        if let Some(i) = mine.iter().zip(&theirs).position(|(a, b)| a != b) {
            return Err(other(
                at + i as u64,
                format!(
                    "differs from the local log's entry there ({}): this data directory holds another log; give the instance a copy of a data directory without entries, or of one on this shared log",
                    log.dir().display()
                ),
            )
            .into());
        }
        at = to;
    }
    let mut from = local;
    while from < size {
        let to = (from + CHUNK).min(size);
        let range = log.append(&pg.entries(from..to)?)?;
        if range.start != from {
            return Err(AppError::BadEntry {
                index: from,
                reason: format!("copying the shared log landed at {}", range.start),
            });
        }
        from = to;
    }
    Ok(())
}

/// Entries appended by other instances, tabulated but not yet in the local tile directory.
#[derive(Default)]
pub(crate) struct Caught {
    start: u64,
    entries: Vec<Vec<u8>>,
    /// Index of the last snapshot entry among them.
    snapshot: Option<u64>,
}

fn refuse(job: Job, msg: &str) {
    let e = || SubmitError::Internal(msg.to_owned());
    match job {
        Job::Submit { reply, .. } => drop(reply.send(Err(e()))),
        Job::Reject { reply, .. } => drop(reply.send(Err(e()))),
        Job::KeyChange { reply, .. } | Job::Certify { reply, .. } | Job::Audit { reply, .. } => {
            drop(reply.send(Err(e())));
        }
        Job::Many(jobs) => jobs.into_iter().for_each(|j| refuse(j, msg)),
        Job::Contest { reply, .. } => drop(reply.send(Err(e()))),
    }
}

/// Moves the jobs queued on `rx` into `jobs` (flattened), up to `max`. A job holding an
/// authority document ends it: that job waits in `held`, and everything queued behind it
/// stays queued, so nothing is logged out of its order.
fn grow(jobs: &mut Vec<Job>, held: &mut VecDeque<Job>, rx: &Receiver<Job>, max: usize) {
    while jobs.len() < max {
        let Ok(job) = rx.try_recv() else { return };
        let mut flat = Vec::new();
        flatten(job, &mut flat);
        if flat.iter().any(is_authority) {
            held.push_back(Job::Many(flat));
            return;
        }
        jobs.append(&mut flat);
    }
}

fn is_authority(job: &Job) -> bool {
    matches!(
        job,
        Job::KeyChange { .. } | Job::Certify { .. } | Job::Audit { .. }
    )
}

fn flatten(job: Job, out: &mut Vec<Job>) {
    match job {
        Job::Many(jobs) => jobs.into_iter().for_each(|j| flatten(j, out)),
        j => out.push(j),
    }
}

impl Sequencer {
    /// Processes jobs on the shared log: runs of submissions as one batch each, authority
    /// documents one at a time, each under the log lock. The last run also takes what was
    /// queued on `rx` while it waited for the lock.
    pub(crate) fn process_shared(&mut self, pg: &mut PgLog, jobs: Vec<Job>, rx: &Receiver<Job>) {
        let mut flat = Vec::with_capacity(jobs.len());
        for j in jobs {
            flatten(j, &mut flat);
        }
        let mut run = Vec::new();
        for job in flat {
            match job {
                j if is_authority(&j) => {
                    if !run.is_empty() {
                        self.round(pg, std::mem::take(&mut run), None);
                    }
                    self.authority(pg, j);
                }
                j => run.push(j),
            }
        }
        if !run.is_empty() {
            self.round(pg, run, Some(rx));
        }
    }

    /// Locks the shared log and tabulates what others appended since `self.next`.
    fn lock_and_catch_up<'a>(&mut self, pg: &'a mut PgLog) -> Result<(Locked<'a>, Caught), String> {
        let mut locked = pg
            .lock()
            .map_err(|e| format!("locking the shared log: {e}: retry"))?;
        let (from, to) = (self.next, locked.size());
        if to < from {
            return Err(committer::fail(
                &self.shared,
                "the shared log",
                &format!("it has {to} entries, fewer than the {from} served here"),
            ));
        }
        let entries = locked
            .entries(from..to)
            .map_err(|e| format!("reading the shared log: {e}: retry"))?;
        let caught = self.apply_caught(from, entries)?;
        Ok((locked, caught))
    }

    /// Tabulates entries appended by others (at `start..`), advancing `self.next`.
    fn apply_caught(&mut self, start: u64, entries: Vec<Vec<u8>>) -> Result<Caught, String> {
        let mut roster = self.roster();
        let mut snapshot = None;
        let changes = roster.changes();
        for (index, e) in (start..).zip(&entries) {
            match apply_entry(index, e, &mut roster, &mut self.st) {
                Ok(Applied::Snapshot(_)) => snapshot = Some(index),
                Ok(_) => {}
                Err(err) => {
                    return Err(committer::fail(
                        &self.shared,
                        "replaying the shared log",
                        &err,
                    ));
                }
            }
        }
        if roster.changes() != changes {
            *self
                .shared
                .roster
                .write()
                .unwrap_or_else(PoisonError::into_inner) = roster;
        }
        self.next = start + entries.len() as u64;
        if let Some(s) = snapshot {
            self.st.latest = (Some(s), s + 1);
        }
        Ok(Caught {
            start,
            entries,
            snapshot,
        })
    }

    /// The results snapshot of the current state, committed to by a snapshot entry at
    /// `after`: the entry and the snapshot (for the local and the shared log alike).
    pub(crate) fn make_snapshot(&mut self, after: u64) -> (Vec<u8>, Snapshot) {
        let json: Arc<str> = self.st.live.json().into();
        let results = crate::app::LazyResults::new(Arc::clone(&json));
        let sha = entry::sha256(json.as_bytes());
        let snap = SnapshotEntry {
            election: self.shared.checker.election().election.id.clone(),
            after,
            results_sha256: hex(&sha),
        };
        (
            snap.to_entry().into_bytes(),
            Snapshot {
                json,
                sha256: sha,
                log_index: Some(after),
                tree_size: after + 1,
                results,
            },
        )
    }

    /// Writes caught-up entries to the local tile directory and hands them to the committer
    /// (which publishes the latest snapshot among them once durable).
    fn store_caught(&mut self, caught: Caught, batch: Batch) {
        if caught.entries.is_empty() {
            if !batch.replies.is_empty() || !batch.event_replies.is_empty() {
                self.send(Msg::Commit(Box::new((batch, None))));
            }
            return;
        }
        let snapshot = match caught.snapshot {
            Some(s) => self.make_snapshot(s).1,
            None => (*self.shared.snapshot()).clone(),
        };
        match self.shared.log.submit(&caught.entries) {
            Ok(pending) => {
                let logged = Logged {
                    pending,
                    start: caught.start,
                    snapshot,
                };
                self.send(Msg::Commit(Box::new((batch, Some(logged)))));
            }
            Err(e) => {
                let msg = committer::fail(&self.shared, "caching the shared log", &e);
                answer_all(batch, &msg);
            }
        }
    }

    /// One batch of submissions (and rejections, contest queries) on the shared log.
    fn round(&mut self, pg: &mut PgLog, mut jobs: Vec<Job>, rx: Option<&Receiver<Job>>) {
        let (locked, caught) = match self.lock_and_catch_up(pg) {
            Ok(x) => x,
            Err(msg) => {
                jobs.into_iter().for_each(|j| refuse(j, &msg));
                return;
            }
        };
        if let Some(rx) = rx {
            grow(&mut jobs, &mut self.held, rx, MAX_BATCH);
        }
        let mut batch = Batch::default();
        let mut roster = self.roster();
        let mut contests = Vec::new();
        for job in jobs {
            self.take(job, &mut batch, &mut roster, &mut contests);
        }
        if batch.entries.is_empty() {
            drop(locked);
            self.store_caught(caught, batch);
        } else {
            self.append_batch(locked, caught, batch);
        }
        self.answer_contests(contests);
    }

    /// Appends the batch and its snapshot entry to the shared log, then to the local one.
    fn append_batch(&mut self, locked: Locked<'_>, caught: Caught, mut batch: Batch) {
        let start = self.next;
        let after = start + batch.entries.len() as u64;
        let (snap, snapshot) = self.make_snapshot(after);
        batch.entries.push(snap);
        match locked.append(&batch.entries, &batch.records) {
            Ok(r) if r.start == start => {}
            Ok(r) => {
                let msg = committer::fail(
                    &self.shared,
                    "the shared log",
                    &format!("the batch landed at {}, expected {start}", r.start),
                );
                return answer_all(batch, &msg);
            }
            Err(e) => {
                // The batch is tabulated here but not logged: this state is lost.
                let msg = committer::fail(&self.shared, "appending to the shared log", &e);
                return answer_all(batch, &msg);
            }
        }
        batch.records.clear();
        self.st.snapshots.insert(after, snapshot.sha256);
        self.st.latest = (Some(after), after + 1);
        self.next = after + 1;
        let first = if caught.entries.is_empty() {
            start
        } else {
            caught.start
        };
        let mut all = caught.entries;
        all.append(&mut batch.entries);
        match self.shared.log.submit(&all) {
            Ok(pending) => {
                let logged = Logged {
                    pending,
                    start: first,
                    snapshot,
                };
                self.send(Msg::Commit(Box::new((batch, Some(logged)))));
            }
            Err(e) => {
                let msg = committer::fail(&self.shared, "caching the shared log", &e);
                answer_all(batch, &msg);
            }
        }
    }

    /// A key change, certification or audit record on the shared log.
    fn authority(&mut self, pg: &mut PgLog, job: Job) {
        self.barrier();
        let (locked, caught) = match self.lock_and_catch_up(pg) {
            Ok(x) => x,
            Err(msg) => return refuse(job, &msg),
        };
        self.store_caught(caught, Batch::default());
        self.barrier();
        match job {
            Job::KeyChange { doc, reply } => drop(reply.send(self.key_change(&doc, Some(locked)))),
            Job::Certify { doc, reply } => drop(reply.send(self.certify(&doc, Some(locked)))),
            Job::Audit {
                doc,
                records,
                reply,
            } => drop(reply.send(self.log_audit(&doc, records, Some(locked)))),
            other => refuse(other, "not an authority document"),
        }
    }

    /// Appends one authority document to the shared log (before the local one).
    pub(crate) fn append_shared(
        &mut self,
        locked: Locked<'_>,
        doc: &[u8],
    ) -> Result<(), SubmitError> {
        let at = self.next;
        match locked.append(&[doc], &[]) {
            Ok(r) if r.start == at => Ok(()),
            Ok(r) => Err(SubmitError::Internal(committer::fail(
                &self.shared,
                "the shared log",
                &format!("the document landed at {}, expected {at}", r.start),
            ))),
            Err(e) => Err(SubmitError::Internal(format!(
                "appending to the shared log: {e}: retry"
            ))),
        }
    }

    /// Tabulates and caches what others appended (an idle instance, every [`TAIL_EVERY`]).
    pub(crate) fn tail(&mut self, pg: &mut PgLog) {
        let from = self.next;
        let entries = match pg.size().and_then(|size| pg.entries(from..size.max(from))) {
            Ok(e) => e,
            Err(e) => {
                tracing::warn!("reading the shared log: {e}");
                return;
            }
        };
        if entries.is_empty() {
            return;
        }
        if let Ok(caught) = self.apply_caught(from, entries) {
            self.store_caught(caught, Batch::default());
        }
    }
}

fn answer_all(batch: Batch, msg: &str) {
    for (reply, _) in batch.replies {
        let _ = reply.send(Err(SubmitError::Internal(msg.to_owned())));
    }
    for reply in batch.event_replies {
        let _ = reply.send(Err(SubmitError::Internal(msg.to_owned())));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc;

    fn reject() -> Job {
        let (reply, _) = mpsc::sync_channel(1);
        Job::Reject {
            event: canvass_store::SecurityEvent {
                id: 0,
                at: 0,
                source: None,
                jurisdiction: None,
                code: "bad-signature".into(),
                field: String::new(),
                message: String::new(),
                digest: [0; 32],
            },
            reply,
        }
    }

    fn key_change() -> Job {
        let (reply, _) = mpsc::sync_channel(1);
        Job::KeyChange {
            doc: b"k".to_vec(),
            reply,
        }
    }

    fn kinds(jobs: &[Job]) -> String {
        jobs.iter()
            .map(|j| match j {
                Job::Reject { .. } => "r".to_owned(),
                Job::KeyChange { .. } => "k".to_owned(),
                Job::Many(m) => format!("[{}]", kinds(m)),
                _ => "?".to_owned(),
            })
            .collect()
    }

    #[test]
    fn growing_stops_at_an_authority_document() {
        let (tx, rx) = mpsc::channel();
        for j in [
            reject(),
            Job::Many(vec![reject(), reject()]),
            Job::Many(vec![reject(), key_change()]),
            reject(),
        ] {
            tx.send(j).unwrap();
        }
        let (mut jobs, mut held) = (vec![reject()], VecDeque::new());
        grow(&mut jobs, &mut held, &rx, 100);
        assert_eq!(kinds(&jobs), "rrrr");
        assert_eq!(kinds(held.make_contiguous()), "[rk]");
        // What came after the authority document is still queued, in order.
        assert_eq!(kinds(&rx.try_iter().collect::<Vec<_>>()), "r");
    }

    #[test]
    fn growing_stops_at_the_largest_batch() {
        let (tx, rx) = mpsc::channel();
        for _ in 0..5 {
            tx.send(reject()).unwrap();
        }
        let (mut jobs, mut held) = (Vec::new(), VecDeque::new());
        grow(&mut jobs, &mut held, &rx, 3);
        assert_eq!((jobs.len(), held.len(), rx.try_iter().count()), (3, 0, 2));
    }
}
