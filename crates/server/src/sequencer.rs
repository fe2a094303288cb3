//! The sequencer: the one thread that orders, logs and counts (issue 6, "Server pipeline"
//! steps 3-6).
//!
//! Callers authenticate and authorize in their own threads (in parallel), then queue the
//! submission here with a reply channel. The sequencer takes everything queued as one batch:
//! validates each submission against the in-memory history (so a replay is found even when its
//! first copy is in the same batch), applies the accepted ones to the tabulator, computes the
//! results snapshot, appends the batch's entries and the `canvass-snapshot/v1` entry with one
//! group commit (a checkpoint follows), records the store rows and the security events in
//! one transaction each, then answers every caller and broadcasts the events. Authority
//! documents (key changes, certifications) are logged on their own, after the submissions
//! queued before them.

use std::collections::{BTreeMap, HashMap};
use std::sync::mpsc::{self, Receiver, SyncSender};
use std::sync::{Arc, PoisonError};
use std::thread::JoinHandle;

use canvass_store::pglog::{Locked, PgLog};
use canvass_store::{SecurityEvent, SubmissionRecord};

use crate::committer::{self, Batch, Logged, Msg};
use canvass_tally::LiveResults;

use crate::app::{Accepted, AppEvent, ContestReport, Shared, SubmitError, hex, lock, now};
use crate::entry;
use crate::pipeline::{Authenticated, History, Verdict};
use crate::rejection::{Flag, FlagCode, RejectCode as C, Rejection};
use crate::roster::RosterState;
use crate::submission::Payload;

/// Largest number of jobs taken as one batch.
pub(crate) const MAX_BATCH: usize = 4096;

/// A reply channel.
pub(crate) type Reply<T> = SyncSender<Result<T, SubmitError>>;

/// Work for the sequencer.
pub(crate) enum Job {
    /// An authenticated, authorized submission.
    Submit {
        a: Box<Authenticated>,
        countersigned: bool,
        /// `RosterState::changes` when it was authenticated.
        roster_changes: u64,
        doc: Vec<u8>,
        source: Option<String>,
        reply: Reply<Accepted>,
    },
    /// A rejection made by the caller: record the security event.
    Reject {
        event: SecurityEvent,
        reply: Reply<()>,
    },
    /// A signed key change.
    KeyChange { doc: Vec<u8>, reply: Reply<u64> },
    /// A signed certification.
    Certify { doc: Vec<u8>, reply: Reply<u64> },
    /// A checked audit record (`crate::audit`), logged as it is if the log still holds
    /// `records` audit records (the ones it was checked against).
    Audit {
        doc: Vec<u8>,
        records: u64,
        reply: Reply<u64>,
    },
    /// Several `Submit` and `Reject` jobs sent together (`App::submit_batch`): taken in this
    /// order into the same log batch, so they share one group commit and one results snapshot.
    Many(Vec<Job>),
    /// One contest at every level, as of the latest snapshot queued on the log (answered
    /// once the batch being formed is queued).
    Contest {
        id: String,
        reply: Reply<Option<ContestReport>>,
    },
}

/// One jurisdiction's accepted submissions: sequence → (digest, log index).
pub(crate) type Accepts = BTreeMap<u64, ([u8; 32], u64)>;

/// What the sequencer knows, rebuilt from the log on open.
pub(crate) struct State {
    /// The tabulator with its results document kept up to date.
    pub(crate) live: LiveResults,
    /// The latest snapshot entry queued on the log (`None` before the first), and the log
    /// size after it: what the tabulator's counts are published as.
    pub(crate) latest: (Option<u64>, u64),
    pub(crate) history: HashMap<String, Accepts>,
    /// Certified states: state → log index of the latest certification.
    pub(crate) certified: HashMap<String, u64>,
    /// State → log index of the latest accepted submission of one of its jurisdictions.
    pub(crate) changed: HashMap<String, u64>,
    /// Snapshot entries: `after` → results SHA-256.
    pub(crate) snapshots: HashMap<u64, [u8; 32]>,
    /// Audit records in the log.
    pub(crate) audits: u64,
}

struct MapHistory<'a>(&'a HashMap<String, Accepts>);

impl History for MapHistory<'_> {
    fn last_sequence(&self, j: &str) -> Option<u64> {
        self.0.get(j).and_then(|m| m.keys().next_back().copied())
    }
    fn accepted(&self, j: &str, seq: u64) -> Option<[u8; 32]> {
        self.0.get(j).and_then(|m| m.get(&seq)).map(|&(d, _)| d)
    }
}

pub(crate) struct Sequencer {
    pub(crate) shared: Arc<Shared>,
    pub(crate) st: State,
    /// The log size once everything handed to the committer is durable.
    pub(crate) next: u64,
    to_commit: Option<SyncSender<Msg>>,
    committer: Option<JoinHandle<()>>,
    /// The shared log in PostgreSQL (`crate::replica`), if the log is shared.
    pg: Option<PgLog>,
    /// Jobs taken from the queue but not processed yet (`crate::replica`: an authority
    /// document that arrived while a batch waited for the shared log's lock).
    pub(crate) held: std::collections::VecDeque<Job>,
}

fn code_str(r: &Rejection) -> String {
    serde_json::to_value(r.code)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// The security event of a rejected document.
pub(crate) fn security_event(doc: &[u8], source: Option<String>, r: &Rejection) -> SecurityEvent {
    SecurityEvent {
        id: 0,
        at: now(),
        source,
        jurisdiction: None,
        code: code_str(r),
        field: r.field.clone(),
        message: r.message.clone(),
        digest: crate::submission::digest(&String::from_utf8_lossy(doc)),
    }
}

impl Sequencer {
    /// A sequencer with its committer thread.
    ///
    /// # Errors
    /// If the thread cannot be started.
    pub(crate) fn new(shared: Arc<Shared>, st: State, pg: Option<PgLog>) -> std::io::Result<Self> {
        // At most two batches wait for the committer: the sequencer runs at most that far
        // ahead of what is durable.
        let (tx, rx) = mpsc::sync_channel(2);
        let s = Arc::clone(&shared);
        let committer = std::thread::Builder::new()
            .name("canvass-committer".into())
            .spawn(move || committer::run(&s, &rx))?;
        Ok(Sequencer {
            next: shared.log.size(),
            shared,
            st,
            to_commit: Some(tx),
            committer: Some(committer),
            pg,
            held: std::collections::VecDeque::new(),
        })
    }

    /// Runs until every sender is gone, then waits for the committer to finish.
    pub(crate) fn run(mut self, rx: &Receiver<Job>) {
        self.serve(rx);
        self.to_commit = None;
        if let Some(c) = self.committer.take() {
            let _ = c.join();
        }
    }

    fn serve(&mut self, rx: &Receiver<Job>) {
        loop {
            let first = match self.held.pop_front() {
                Some(j) => j,
                None => match self.pg.take() {
                    None => match rx.recv() {
                        Ok(j) => j,
                        Err(_) => return,
                    },
                    Some(mut pg) => {
                        // An idle replica follows the shared log.
                        let r = rx.recv_timeout(crate::replica::TAIL_EVERY);
                        if let Err(mpsc::RecvTimeoutError::Timeout) = r {
                            self.tail(&mut pg);
                        }
                        self.pg = Some(pg);
                        match r {
                            Ok(j) => j,
                            Err(mpsc::RecvTimeoutError::Timeout) => continue,
                            Err(mpsc::RecvTimeoutError::Disconnected) => return,
                        }
                    }
                },
            };
            let mut jobs = vec![first];
            jobs.extend(self.held.drain(..));
            while jobs.len() < MAX_BATCH {
                match rx.try_recv() {
                    Ok(j) => jobs.push(j),
                    Err(_) => break,
                }
            }
            match self.pg.take() {
                None => self.process(jobs),
                Some(mut pg) => {
                    self.process_shared(&mut pg, jobs, rx);
                    self.pg = Some(pg);
                }
            }
        }
    }

    pub(crate) fn roster(&self) -> Arc<RosterState> {
        Arc::clone(
            &self
                .shared
                .roster
                .read()
                .unwrap_or_else(PoisonError::into_inner),
        )
    }

    fn process(&mut self, jobs: Vec<Job>) {
        let mut batch = Batch::default();
        let mut roster = self.roster();
        let mut contests = Vec::new();
        for job in jobs {
            self.take(job, &mut batch, &mut roster, &mut contests);
        }
        self.commit(batch);
        self.answer_contests(contests);
    }

    /// Answers contest queries as of the latest snapshot queued on the log.
    pub(crate) fn answer_contests(&self, contests: Vec<(String, Reply<Option<ContestReport>>)>) {
        for (id, reply) in contests {
            let (log_index, tree_size) = self.st.latest;
            let _ = reply.send(Ok(self.st.live.contest(&id).map(|c| ContestReport {
                contest: c,
                log_index,
                tree_size,
            })));
        }
    }

    /// Adds one job to the batch being formed (authority documents commit it first).
    pub(crate) fn take(
        &mut self,
        job: Job,
        batch: &mut Batch,
        roster: &mut Arc<RosterState>,
        contests: &mut Vec<(String, Reply<Option<ContestReport>>)>,
    ) {
        match job {
            Job::Submit {
                a,
                countersigned,
                roster_changes,
                doc,
                source,
                reply,
            } => {
                let r = self.admit(roster, *a, countersigned, roster_changes, &doc, batch);
                if let Err(SubmitError::Rejected(rej)) = &r {
                    batch.events.push(security_event(&doc, source, rej));
                }
                batch.replies.push((reply, r));
            }
            Job::Reject { event, reply } => {
                batch.events.push(event);
                batch.event_replies.push(reply);
            }
            Job::KeyChange { doc, reply } => {
                self.commit(std::mem::take(batch));
                self.barrier();
                let _ = reply.send(self.key_change(&doc, None));
                *roster = self.roster();
            }
            Job::Certify { doc, reply } => {
                self.commit(std::mem::take(batch));
                self.barrier();
                let _ = reply.send(self.certify(&doc, None));
            }
            Job::Audit {
                doc,
                records,
                reply,
            } => {
                self.commit(std::mem::take(batch));
                self.barrier();
                let _ = reply.send(self.log_audit(&doc, records, None));
            }
            Job::Contest { id, reply } => contests.push((id, reply)),
            Job::Many(jobs) => {
                for j in jobs {
                    self.take(j, batch, roster, contests);
                }
            }
        }
    }

    /// Validates one submission and, if it is new, adds it to the batch.
    fn admit(
        &mut self,
        roster: &RosterState,
        mut a: Authenticated,
        mut countersigned: bool,
        roster_changes: u64,
        doc: &[u8],
        batch: &mut Batch,
    ) -> Result<Accepted, SubmitError> {
        let reject = |r: Rejection, _: &[u8]| Err(SubmitError::Rejected(r));
        if roster_changes != roster.changes() {
            // A key change was applied since the caller authenticated: check again.
            match crate::pipeline::authenticate_countersigned(doc, roster)
                .and_then(|(a, c)| self.shared.checker.authorize(&a, roster).map(|()| (a, c)))
            {
                Ok((a2, c)) => (a, countersigned) = (a2, c),
                Err(r) => return reject(r, doc),
            }
        }
        let j = a.submission.jurisdiction.to_string();
        let verdict = match self
            .shared
            .checker
            .validate(&a, &MapHistory(&self.st.history))
        {
            Ok(v) => v,
            Err(r) => return reject(r, doc),
        };
        let mut flags = match verdict {
            Verdict::AlreadyAccepted => {
                let log_index = self
                    .st
                    .history
                    .get(&j)
                    .and_then(|m| m.get(&a.submission.sequence))
                    .map_or(0, |&(_, i)| i);
                return Ok(Accepted {
                    status: "already-accepted",
                    log_index,
                    digest: hex(&a.digest),
                    flags: Vec::new(),
                });
            }
            Verdict::Accept { flags } => flags,
        };
        let state = roster.roster().jurisdictions[a.jurisdiction]
            .state
            .to_string();
        if let Some(&at) = self.st.certified.get(&state) {
            if !countersigned {
                return reject(
                    Rejection::new(
                        C::Certified,
                        "signature",
                        format!(
                            "state {state} was certified at log index {at}: an amendment now needs the authority's countersignature"
                        ),
                    ),
                    doc,
                );
            }
            flags.push(Flag {
                code: FlagCode::Countersigned,
                field: "signature".into(),
                message: format!(
                    "state {state} was certified at log index {at}; accepted with the authority's countersignature"
                ),
            });
        }
        let log_index = self.next_index() + batch.entries.len() as u64;
        if let Payload::PrecinctResults { results } = &a.submission.payload {
            for pr in results {
                // Validation guarantees the tabulator accepts it (see `pipeline`).
                if let Err(e) = self.st.live.apply(pr) {
                    return Err(SubmitError::Internal(format!(
                        "tabulating a validated submission failed: {e}"
                    )));
                }
            }
        }
        self.st
            .history
            .entry(j.clone())
            .or_default()
            .insert(a.submission.sequence, (a.digest, log_index));
        self.st.changed.insert(state, log_index);
        let amendment = a.submission.amendment.as_ref().map(|am| am.supersedes);
        batch.accepted.push(AppEvent::Accepted {
            log_index,
            jurisdiction: j.clone(),
            sequence: a.submission.sequence,
            amendment: amendment.is_some(),
        });
        batch.records.push(SubmissionRecord {
            log_index,
            jurisdiction: j,
            sequence: a.submission.sequence,
            digest: a.digest,
            supersedes: amendment,
            received_at: now(),
            document: doc.to_vec(),
        });
        batch.entries.push(doc.to_vec());
        Ok(Accepted {
            status: "accepted",
            log_index,
            digest: hex(&a.digest),
            flags,
        })
    }

    fn next_index(&self) -> u64 {
        self.next
    }

    /// Waits until the committer has finished everything handed to it.
    pub(crate) fn barrier(&mut self) {
        let (done, wait) = mpsc::sync_channel(1);
        if let Some(tx) = &self.to_commit {
            if tx.send(Msg::Barrier(done)).is_ok() {
                let _ = wait.recv();
            }
        }
        self.next = self.shared.log.size();
    }

    pub(crate) fn send(&self, m: Msg) {
        if let Some(tx) = &self.to_commit {
            // The committer lives as long as the sequencer; if it died, callers see their
            // reply channel closed and answer "the sequencer has stopped".
            let _ = tx.send(m);
        }
    }

    /// Queues the batch's entries and its snapshot entry on the log, and hands the batch to
    /// the committer.
    fn commit(&mut self, mut batch: Batch) {
        if batch.entries.is_empty() {
            if !batch.replies.is_empty() || !batch.event_replies.is_empty() {
                self.send(Msg::Commit(Box::new((batch, None))));
            }
            return;
        }
        match self.queue(&mut batch) {
            Ok(logged) => self.send(Msg::Commit(Box::new((batch, Some(logged))))),
            Err(msg) => {
                for (reply, _) in batch.replies {
                    let _ = reply.send(Err(SubmitError::Internal(msg.clone())));
                }
                for reply in batch.event_replies {
                    let _ = reply.send(Err(SubmitError::Internal(msg.clone())));
                }
            }
        }
    }

    fn queue(&mut self, batch: &mut Batch) -> Result<Logged, String> {
        let start = self.next_index();
        let after = start + batch.entries.len() as u64;
        let (snap, snapshot) = self.make_snapshot(after);
        batch.entries.push(snap);
        let pending = self
            .shared
            .log
            .submit(&batch.entries)
            .map_err(|e| committer::fail(&self.shared, "appending to the log", &e))?;
        self.next = after + 1;
        self.st.snapshots.insert(after, snapshot.sha256);
        self.st.latest = (Some(after), after + 1);
        Ok(Logged {
            pending,
            start,
            snapshot,
        })
    }

    /// Appends one authority document and publishes a checkpoint (after a barrier); on a
    /// shared log, to the shared log first (`locked`).
    pub(crate) fn log_one(
        &mut self,
        doc: &[u8],
        locked: Option<Locked<'_>>,
    ) -> Result<u64, SubmitError> {
        if let Some(l) = locked {
            self.append_shared(l, doc)?;
        }
        let range = self.shared.log.append(&[doc]).map_err(|e| {
            SubmitError::Internal(committer::fail(&self.shared, "appending to the log", &e))
        })?;
        self.next = range.end;
        committer::checkpoint_through(&self.shared, range.end).map_err(SubmitError::Internal)?;
        Ok(range.start)
    }

    /// Appends an audit record checked against `records` audit records, unless the log has
    /// others by now (another instance on a shared log logged one).
    pub(crate) fn log_audit(
        &mut self,
        doc: &[u8],
        records: u64,
        locked: Option<Locked<'_>>,
    ) -> Result<u64, SubmitError> {
        if records != self.st.audits {
            return Err(SubmitError::Rejected(Rejection::new(
                C::BadSequence,
                "document",
                format!(
                    "the log holds {} audit records, this one was checked against {records}: another server logged one meanwhile; nothing was logged: check the record against the audit's latest state and send it again",
                    self.st.audits
                ),
            )));
        }
        let index = self.log_one(doc, locked)?;
        self.st.audits += 1;
        Ok(index)
    }

    fn rejected(&self, doc: &[u8], r: Rejection) -> SubmitError {
        let event = security_event(doc, None, &r);
        let _ = lock(&self.shared.store).append_event(&event);
        let _ = self.shared.events.send(AppEvent::Rejected {
            code: event.code,
            field: event.field,
            source: None,
        });
        SubmitError::Rejected(r)
    }

    pub(crate) fn key_change(
        &mut self,
        doc: &[u8],
        locked: Option<Locked<'_>>,
    ) -> Result<u64, SubmitError> {
        if let Err(r) = crate::pipeline::fits_log_entry(doc, C::BadKeyChange) {
            return Err(self.rejected(doc, r));
        }
        let mut next = (*self.roster()).clone();
        if let Err(e) = next.apply_signed(doc) {
            return Err(self.rejected(
                doc,
                Rejection::new(C::BadKeyChange, "document", e.to_string()),
            ));
        }
        let index = self.log_one(doc, locked)?;
        *self
            .shared
            .roster
            .write()
            .unwrap_or_else(PoisonError::into_inner) = Arc::new(next);
        let _ = self
            .shared
            .events
            .send(AppEvent::KeyChange { log_index: index });
        Ok(index)
    }

    pub(crate) fn certify(
        &mut self,
        doc: &[u8],
        locked: Option<Locked<'_>>,
    ) -> Result<u64, SubmitError> {
        if let Err(r) = crate::pipeline::fits_log_entry(doc, C::BadCertification) {
            return Err(self.rejected(doc, r));
        }
        let roster = self.roster();
        let c = match check_certification(doc, &roster, &self.st) {
            Ok(c) => c,
            Err(r) => return Err(self.rejected(doc, r)),
        };
        let index = self.log_one(doc, locked)?;
        self.st.certified.insert(c.state.to_string(), index);
        let _ = self.shared.events.send(AppEvent::Certified {
            state: c.state.to_string(),
            log_index: index,
        });
        Ok(index)
    }
}

/// Checks a certification against the roster and the sequencer's state: signed by the
/// authority, canonical, this election, a state of the roster, naming a logged snapshot
/// (`after`, `results_sha256`), and no submission of the state accepted after that snapshot.
pub(crate) fn check_certification(
    doc: &[u8],
    roster: &RosterState,
    st: &State,
) -> Result<entry::Certification, Rejection> {
    let bad = |m: String| Rejection::new(C::BadCertification, "document", m);
    let c: entry::Certification = crate::roster::open_signed(
        doc,
        "certification",
        entry::CERTIFICATION_TYPE,
        roster.authority(),
    )
    .map_err(|e| bad(e.to_string()))?;
    if c.election != roster.roster().election {
        return Err(bad(format!(
            "certification is for election {}, this server counts {}",
            c.election,
            roster.roster().election
        )));
    }
    if !roster
        .roster()
        .jurisdictions
        .iter()
        .any(|j| j.state == c.state)
    {
        return Err(bad(format!(
            "state {} has no jurisdiction in the roster",
            c.state
        )));
    }
    if st.snapshots.get(&c.after).map(hex).as_deref() != Some(c.results_sha256.as_str()) {
        return Err(bad(format!(
            "no results snapshot at log index {} with SHA-256 {}: certify a published snapshot (canvass certify reads the latest)",
            c.after, c.results_sha256
        )));
    }
    if let Some(&last) = st.changed.get(c.state.as_str()).filter(|&&l| l >= c.after) {
        return Err(bad(format!(
            "state {} changed at log index {last}, after the snapshot at {}: certify a later snapshot",
            c.state, c.after
        )));
    }
    Ok(c)
}
