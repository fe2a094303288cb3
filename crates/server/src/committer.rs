//! The second stage of the sequencer: waits for a batch's group commit, asks the checkpointer
//! thread for a checkpoint, records the store rows and security events (one transaction each),
//! publishes the results snapshot, answers the callers and broadcasts the events, strictly in
//! batch order. Meanwhile the sequencer already validates and tabulates the next batch.
//!
//! The checkpointer publishes one checkpoint at a time, each covering everything durable when
//! it starts: under load, checkpoints (a file-system sync each) cover several batches.
//! `App::inclusion_proof` waits for the checkpoint covering a fresh entry.

use std::sync::mpsc::{Receiver, SyncSender};
use std::sync::{Arc, PoisonError};

use canvass_store::tlog::PendingAppend;
use canvass_store::{SecurityEvent, SubmissionRecord};

use crate::app::{Accepted, AppEvent, Shared, Snapshot, SubmitError, hex, lock};
use crate::sequencer::Reply;

/// Accepted submissions waiting for their group commit, and every answer of the batch.
#[derive(Default)]
pub(crate) struct Batch {
    pub(crate) entries: Vec<Vec<u8>>,
    pub(crate) records: Vec<SubmissionRecord>,
    pub(crate) replies: Vec<(Reply<Accepted>, Result<Accepted, SubmitError>)>,
    pub(crate) event_replies: Vec<Reply<()>>,
    pub(crate) events: Vec<SecurityEvent>,
    pub(crate) accepted: Vec<AppEvent>,
}

/// A batch whose entries (ending with the snapshot entry) were queued on the log.
pub(crate) struct Logged {
    pub(crate) pending: PendingAppend,
    /// Index the first entry must land at.
    pub(crate) start: u64,
    /// The snapshot published once the batch is durable.
    pub(crate) snapshot: Snapshot,
}

/// Work for the committer.
pub(crate) enum Msg {
    /// A batch, logged or (no accepted submission) not.
    Commit(Box<(Batch, Option<Logged>)>),
    /// Answered once every earlier message is done.
    Barrier(SyncSender<()>),
}

/// Marks the server failed: nothing more is accepted until it is restarted.
pub(crate) fn fail(shared: &Shared, what: &str, e: &dyn std::fmt::Display) -> String {
    let msg = format!("{what}: {e}: the server must be restarted");
    *lock(&shared.failed) = Some(msg.clone());
    msg
}

/// Publishes a checkpoint of everything durable, with witness cosignatures when witnesses
/// are configured. Only the checkpointer thread calls this: two threads publishing at once
/// could have the smaller checkpoint refused by the log after the larger one (and the server
/// marked failed); others ask with [`checkpoint_through`].
///
/// # Errors
/// [`CheckpointError::Failed`] (the server is then marked failed), or
/// [`CheckpointError::NoQuorum`] when too few witnesses cosigned (nothing was published).
fn checkpoint(shared: &Shared) -> Result<(), CheckpointError> {
    let fatal = |what: &str, e: &dyn std::fmt::Display| {
        fail(shared, what, e);
        CheckpointError::Failed
    };
    let (size, note) = match &shared.witnessing {
        None => {
            let cp = shared
                .log
                .checkpoint()
                .map_err(|e| fatal("publishing a checkpoint", &e))?;
            (cp.checkpoint.size, cp.note)
        }
        Some(w) => {
            let signed = shared
                .log
                .sign_checkpoint()
                .map_err(|e| fatal("signing a checkpoint", &e))?;
            let size = signed.checkpoint.size;
            let note = match w.cosign(&shared.log, size, &signed.note) {
                Ok(n) => n,
                Err(msg) => {
                    tracing::warn!(size, reason = %msg, "checkpoint not published: witness quorum not met");
                    let mut c = lock(&shared.checkpoint);
                    c.attempted = c.attempted.max(size);
                    c.witness_error = Some(msg);
                    shared.checkpoint_cv.notify_all();
                    return Err(CheckpointError::NoQuorum);
                }
            };
            shared
                .log
                .publish(&note, Some(w.policy()))
                .map_err(|e| fatal("publishing a cosigned checkpoint", &e))?;
            (size, note)
        }
    };
    let mut c = lock(&shared.checkpoint);
    if size >= c.size {
        c.size = size;
        c.note = note;
    }
    c.attempted = c.attempted.max(size);
    c.witness_error = None;
    shared.checkpoint_cv.notify_all();
    Ok(())
}

/// Why the checkpointer did not publish.
enum CheckpointError {
    /// The server failed (the message is in `Shared::failed`).
    Failed,
    /// Too few witnesses cosigned; try again later.
    NoQuorum,
}

/// Pause before asking the witnesses again after a round without a quorum.
const WITNESS_RETRY: std::time::Duration = std::time::Duration::from_secs(1);

/// Asks the checkpointer for a checkpoint of at least `size` entries and waits until it is
/// published, or until a checkpoint that large was signed but witnesses withheld the quorum
/// (the entries are durable; publication follows once enough witnesses cosign).
///
/// # Errors
/// The failure message if the server failed (e.g. the checkpoint could not be written).
pub(crate) fn checkpoint_through(shared: &Shared, size: u64) -> Result<(), String> {
    let mut c = lock(&shared.checkpoint);
    c.want = c.want.max(size);
    shared.checkpoint_cv.notify_all();
    while c.size < size && c.attempted < size {
        if let Some(m) = lock(&shared.failed).as_ref() {
            return Err(m.clone());
        }
        c = shared
            .checkpoint_cv
            .wait(c)
            .unwrap_or_else(PoisonError::into_inner);
    }
    Ok(())
}

/// Asks the checkpointer for a checkpoint of at least `size` entries.
pub(crate) fn want_checkpoint(shared: &Shared, size: u64) {
    let mut c = lock(&shared.checkpoint);
    c.want = c.want.max(size);
    shared.checkpoint_cv.notify_all();
}

/// The checkpointer: publishes one checkpoint at a time, each covering everything durable
/// when it starts, so checkpoints (a file-system sync each) coalesce under load. Without a
/// witness quorum it retries every [`WITNESS_RETRY`] until it gets one or is stopped.
fn checkpointer(shared: &Shared) {
    let mut retry_at: Option<std::time::Instant> = None;
    loop {
        {
            let mut c = lock(&shared.checkpoint);
            loop {
                if c.want <= c.size && !c.stop {
                    c = shared
                        .checkpoint_cv
                        .wait(c)
                        .unwrap_or_else(PoisonError::into_inner);
                    continue;
                }
                if c.want <= c.size {
                    return;
                }
                let Some(at) = retry_at else { break };
                if c.stop {
                    // One last try when stopping after a round without a quorum.
                    break;
                }
                let Some(left) = at.checked_duration_since(std::time::Instant::now()) else {
                    break;
                };
                c = shared
                    .checkpoint_cv
                    .wait_timeout(c, left)
                    .unwrap_or_else(PoisonError::into_inner)
                    .0;
            }
        }
        match checkpoint(shared) {
            Ok(()) => retry_at = None,
            Err(CheckpointError::NoQuorum) => {
                if lock(&shared.checkpoint).stop && retry_at.is_some() {
                    return;
                }
                retry_at = Some(std::time::Instant::now() + WITNESS_RETRY);
            }
            Err(CheckpointError::Failed) => {
                // The server is marked failed; wake any waiter and stop.
                let mut c = lock(&shared.checkpoint);
                c.want = c.size;
                shared.checkpoint_cv.notify_all();
                return;
            }
        }
    }
}

/// Runs until the sequencer is gone, then publishes a last checkpoint.
pub(crate) fn run(shared: &Shared, rx: &Receiver<Msg>) {
    std::thread::scope(|s| {
        s.spawn(|| checkpointer(shared));
        while let Ok(m) = rx.recv() {
            match m {
                Msg::Barrier(done) => {
                    let _ = done.send(());
                }
                Msg::Commit(b) => {
                    let (batch, logged) = *b;
                    commit(shared, batch, logged);
                }
            }
        }
        lock(&shared.checkpoint).stop = true;
        shared.checkpoint_cv.notify_all();
    });
}

fn make_durable(shared: &Shared, batch: &Batch, logged: Logged) -> Result<AppEvent, String> {
    let range = logged
        .pending
        .wait()
        .map_err(|e| fail(shared, "appending to the log", &e))?;
    if range.start != logged.start {
        return Err(fail(
            shared,
            "log",
            &format!(
                "entries landed at {}, expected {}",
                range.start, logged.start
            ),
        ));
    }
    want_checkpoint(shared, range.end);
    lock(&shared.store)
        .append_submissions(&batch.records)
        .map_err(|e| fail(shared, "recording submissions", &e))?;
    let s = logged.snapshot;
    let event = AppEvent::Results {
        tree_size: s.tree_size,
        log_index: s.log_index.unwrap_or_default(),
        sha256: hex(&s.sha256),
    };
    let size = s.tree_size;
    *shared
        .snapshot
        .write()
        .unwrap_or_else(PoisonError::into_inner) = Arc::new(s);
    *lock(&shared.published) = size;
    shared.published_cv.notify_all();
    Ok(event)
}

fn commit(shared: &Shared, batch: Batch, logged: Option<Logged>) {
    let results_event = match logged.map(|l| make_durable(shared, &batch, l)) {
        None => None,
        Some(Ok(ev)) => Some(ev),
        Some(Err(msg)) => {
            for (reply, _) in batch.replies {
                let _ = reply.send(Err(SubmitError::Internal(msg.clone())));
            }
            for reply in batch.event_replies {
                let _ = reply.send(Err(SubmitError::Internal(msg.clone())));
            }
            return;
        }
    };
    let events_ok = if batch.events.is_empty() {
        Ok(())
    } else {
        lock(&shared.store)
            .append_events(&batch.events)
            .map(|_| ())
            .map_err(|e| format!("recording security events: {e}"))
    };
    for (reply, r) in batch.replies {
        let r = match (r, &events_ok) {
            (Err(SubmitError::Rejected(_)), Err(m)) => Err(SubmitError::Internal(m.clone())),
            (r, _) => r,
        };
        let _ = reply.send(r);
    }
    for reply in batch.event_replies {
        let _ = reply.send(events_ok.clone().map_err(SubmitError::Internal));
    }
    let tx = &shared.events;
    for e in batch.accepted {
        let _ = tx.send(e);
    }
    for e in &batch.events {
        let _ = tx.send(AppEvent::Rejected {
            code: e.code.clone(),
            field: e.field.clone(),
            source: e.source.clone(),
        });
    }
    if let Some(ev) = results_event {
        let _ = tx.send(ev);
    }
}
