//! Several submissions sent as one (`App::submit_batch`, `POST /api/submissions/batch`):
//! authenticated and authorized in parallel in the caller's threads, then handed to the
//! sequencer as one job, so the accepted ones are validated and logged in the given order,
//! in one log batch with one results snapshot. Each document gets its own answer; a rejected
//! one is written to the security event stream and affects nothing else.

use std::sync::mpsc::{self, Receiver};

use crate::app::{Accepted, SubmitError};
use crate::pipeline::{Authenticated, Checker};
use crate::rejection::Rejection;
use crate::roster::RosterState;
use crate::sequencer::{Job, security_event};

/// Documents authenticated by one thread before the work is split over several.
const PER_THREAD: usize = 32;

/// One document's answer, once the sequencer has sent it.
pub(crate) enum Pending {
    /// Queued as a submission.
    Submit(Receiver<Result<Accepted, SubmitError>>),
    /// Rejected before queueing; the answer says whether the security event was recorded.
    Reject(Box<Rejection>, Receiver<Result<(), SubmitError>>),
}

impl Pending {
    /// Waits for the answer.
    pub(crate) fn wait(self) -> Result<Accepted, SubmitError> {
        let gone = || SubmitError::Internal("the sequencer has stopped".into());
        match self {
            Pending::Submit(rx) => rx.recv().unwrap_or_else(|_| Err(gone())),
            Pending::Reject(r, rx) => match rx.recv() {
                Ok(Ok(())) => Err(SubmitError::Rejected(*r)),
                Ok(Err(e)) => Err(e),
                Err(_) => Err(gone()),
            },
        }
    }
}

type Checked = Result<(Authenticated, bool), Rejection>;

fn check(doc: &[u8], checker: &Checker, roster: &RosterState) -> Checked {
    crate::pipeline::authenticate_countersigned(doc, roster)
        .and_then(|(a, c)| checker.authorize(&a, roster).map(|()| (a, c)))
}

/// Authenticates and authorizes every document, on up to all cores, in order.
fn check_all<D: AsRef<[u8]> + Sync>(
    docs: &[D],
    checker: &Checker,
    roster: &RosterState,
) -> Vec<Checked> {
    let threads = std::thread::available_parallelism()
        .map_or(1, std::num::NonZero::get)
        .min(docs.len().div_ceil(PER_THREAD))
        .max(1);
    if threads == 1 {
        return docs
            .iter()
            .map(|d| check(d.as_ref(), checker, roster))
            .collect();
    }
    let per = docs.len().div_ceil(threads);
    std::thread::scope(|s| {
        let parts: Vec<_> = docs
            .chunks(per)
            .map(|part| {
                s.spawn(move || {
                    part.iter()
                        .map(|d| check(d.as_ref(), checker, roster))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        parts
            .into_iter()
            .flat_map(|h| {
                // A panic while checking one document is a bug; answer every document of
                // that part with an internal error rather than take the caller down.
                h.join().unwrap_or_else(|_| Vec::new())
            })
            .collect()
    })
}

/// The sequencer's jobs for `docs` (one `Submit` or `Reject` each, in order) and where each
/// answer will come from.
///
/// # Errors
/// A message if a checking thread panicked (a bug): nothing was queued.
pub(crate) fn jobs<D: AsRef<[u8]> + Sync>(
    docs: &[D],
    source: Option<&str>,
    checker: &Checker,
    roster: &RosterState,
) -> Result<(Vec<Job>, Vec<Pending>), String> {
    let checked = check_all(docs, checker, roster);
    if checked.len() != docs.len() {
        return Err("checking the batch's signatures failed: retry".into());
    }
    let mut jobs = Vec::with_capacity(docs.len());
    let mut pending = Vec::with_capacity(docs.len());
    for (doc, c) in docs.iter().zip(checked) {
        let doc = doc.as_ref();
        let source = source.map(str::to_owned);
        match c {
            Ok((a, countersigned)) => {
                let (reply, rx) = mpsc::sync_channel(1);
                jobs.push(Job::Submit {
                    a: Box::new(a),
                    countersigned,
                    roster_changes: roster.changes(),
                    doc: doc.to_vec(),
                    source,
                    reply,
                });
                pending.push(Pending::Submit(rx));
            }
            Err(r) => {
                let (reply, rx) = mpsc::sync_channel(1);
                jobs.push(Job::Reject {
                    event: security_event(doc, source, &r),
                    reply,
                });
                pending.push(Pending::Reject(Box::new(r), rx));
            }
        }
    }
    Ok((jobs, pending))
}
