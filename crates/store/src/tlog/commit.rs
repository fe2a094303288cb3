//! Group commit, pipelined over two threads.
//!
//! Appending threads hash their entries (RFC 6962 leaf hashes) outside any lock, copy them into
//! the open batch and wait on that batch's slot. The *journal thread* takes the whole open batch
//! (everything that arrived while the previous `fdatasync` ran), writes it with one `write`, makes
//! it durable with one `fdatasync`, and hands it to the *tree thread*. The tree thread extends
//! the in-memory right edge (writing full tiles and bundles, one file write each) and only then
//! completes the slot, so an acknowledged entry is durable and already readable. While the tree
//! thread works, the journal thread is already writing and syncing the next batch.
//!
//! Batches are journaled and applied strictly in order, so entry indices are assigned by the
//! journal thread and the tree never holds an entry that is not durable.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, sync_channel};
use std::sync::{Arc, Condvar, Mutex, RwLock};
use std::thread::JoinHandle;

use canvass_log::Hash;

use super::edge::Edge;
use super::error::{Result, StoreError};
use super::journal::{self, Journal};
use super::lock;

/// A journal segment larger than this is closed and a new one started.
const SEGMENT_BYTES: u64 = 64 << 20;

/// State shared by the appending threads, the two commit threads and readers.
pub(crate) struct Shared {
    pub(crate) dir: PathBuf,
    pub(crate) edge: RwLock<Edge>,
    pub(crate) poisoned: Mutex<Option<String>>,
    pub(crate) batches: AtomicU64,
    pub(crate) committed: AtomicU64,
    /// Batches by whole milliseconds of `write` + `fdatasync` (last bucket: 31 ms or more).
    pub(crate) batch_ms: [AtomicU64; 32],
    queue: Mutex<Queue>,
    queue_cv: Condvar,
}

impl Shared {
    /// Shared state over a recovered edge.
    pub(crate) fn new(dir: PathBuf, edge: Edge) -> Self {
        Self {
            dir,
            edge: RwLock::new(edge),
            poisoned: Mutex::new(None),
            batches: AtomicU64::new(0),
            committed: AtomicU64::new(0),
            batch_ms: std::array::from_fn(|_| AtomicU64::new(0)),
            queue: Mutex::new(Queue::default()),
            queue_cv: Condvar::new(),
        }
    }

    fn poison(&self, msg: &str) {
        let mut p = lock(&self.poisoned);
        if p.is_none() {
            *p = Some(msg.to_owned());
        }
    }

    fn poisoned(&self) -> Option<String> {
        lock(&self.poisoned).clone()
    }
}

#[derive(Default)]
struct Queue {
    open: Batch,
    shutdown: bool,
}

/// Completion of one batch: the index of its first entry, or why it failed.
#[derive(Default)]
pub(crate) struct Slot {
    done: Mutex<Option<std::result::Result<u64, String>>>,
    cv: Condvar,
}

impl Slot {
    fn complete(&self, r: std::result::Result<u64, String>) {
        let mut d = lock(&self.done);
        if d.is_none() {
            *d = Some(r);
            self.cv.notify_all();
        }
    }

    /// Whether the batch is committed or failed.
    pub(crate) fn is_done(&self) -> bool {
        lock(&self.done).is_some()
    }

    /// Blocks until the batch is durable and in the tree; returns its first index.
    pub(crate) fn wait(&self) -> Result<u64> {
        let mut d = lock(&self.done);
        loop {
            if let Some(r) = d.as_ref() {
                return r.clone().map_err(StoreError::Poisoned);
            }
            d = self
                .cv
                .wait(d)
                .unwrap_or_else(std::sync::PoisonError::into_inner);
        }
    }
}

/// Entries of one group commit, stored flat.
#[derive(Default)]
struct Batch {
    data: Vec<u8>,
    lens: Vec<u32>,
    leaves: Vec<Hash>,
    slot: Arc<Slot>,
}

impl Batch {
    fn entries(&self) -> impl Iterator<Item = (&[u8], &Hash)> {
        let mut off = 0usize;
        self.lens.iter().zip(&self.leaves).map(move |(&len, h)| {
            let e = &self.data[off..off + len as usize];
            off += len as usize;
            (e, h)
        })
    }
}

impl Drop for Batch {
    fn drop(&mut self) {
        // Never leave a waiter hanging, even if a commit thread stopped (a no-op once completed).
        self.slot.complete(Err(
            "the log writer stopped before this batch was durable".into()
        ));
    }
}

/// The two commit threads; dropping this stops them after the queued batches.
pub(crate) struct Pipeline {
    shared: Arc<Shared>,
    threads: Vec<JoinHandle<()>>,
}

impl Pipeline {
    /// Starts the journal and tree threads; `journal` appends at entry `next`.
    pub(crate) fn start(shared: Arc<Shared>, journal: Journal, next: u64) -> Result<Self> {
        let (tx, rx) = sync_channel::<(u64, Batch)>(2);
        let s = Arc::clone(&shared);
        let spawn_err = |e: std::io::Error| StoreError::io("starting a thread for", &shared.dir, e);
        let tree = std::thread::Builder::new()
            .name("tlog-tree".into())
            .spawn(move || tree_thread(&s, &rx))
            .map_err(spawn_err)?;
        let s = Arc::clone(&shared);
        let writer = std::thread::Builder::new()
            .name("tlog-journal".into())
            .spawn(move || {
                let mut journal = journal;
                let mut next = next;
                let mut buf = Vec::new();
                while let Some(batch) = take_batch(&s) {
                    if let Some(msg) = s.poisoned() {
                        batch.slot.complete(Err(msg));
                        continue;
                    }
                    match write_batch(&s, &mut journal, &mut buf, next, &batch) {
                        Ok(()) => {
                            let first = next;
                            next += batch.lens.len() as u64;
                            if tx.send((first, batch)).is_err() {
                                s.poison("the log's tree thread stopped");
                            }
                        }
                        Err(e) => {
                            let msg = e.to_string();
                            s.poison(&msg);
                            batch.slot.complete(Err(msg));
                        }
                    }
                }
            })
            .map_err(spawn_err)?;
        Ok(Self {
            shared,
            threads: vec![writer, tree],
        })
    }

    /// Queues entries (with their leaf hashes) for the next group commit; returns the batch's
    /// slot and the position of the first entry within the batch.
    pub(crate) fn submit<E: AsRef<[u8]>>(
        &self,
        entries: &[E],
        leaves: Vec<Hash>,
    ) -> (Arc<Slot>, u64) {
        let mut q = lock(&self.shared.queue);
        let was_empty = q.open.lens.is_empty();
        let offset = q.open.lens.len() as u64;
        for e in entries {
            let e = e.as_ref();
            q.open.data.extend_from_slice(e);
            q.open.lens.push(e.len() as u32); // at most 65535, checked by the caller
        }
        if was_empty {
            q.open.leaves = leaves;
        } else {
            q.open.leaves.extend(leaves);
        }
        let slot = Arc::clone(&q.open.slot);
        drop(q);
        if was_empty {
            self.shared.queue_cv.notify_one();
        }
        (slot, offset)
    }
}

impl Drop for Pipeline {
    fn drop(&mut self) {
        lock(&self.shared.queue).shutdown = true;
        self.shared.queue_cv.notify_all();
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
    }
}

/// Waits for a non-empty open batch and takes it; `None` once shut down and drained.
fn take_batch(s: &Shared) -> Option<Batch> {
    let mut q = lock(&s.queue);
    while q.open.lens.is_empty() {
        if q.shutdown {
            return None;
        }
        q = s
            .queue_cv
            .wait(q)
            .unwrap_or_else(std::sync::PoisonError::into_inner);
    }
    Some(std::mem::take(&mut q.open))
}

/// One `write` and one `fdatasync` for the whole batch; starts a new segment when it is large.
fn write_batch(
    s: &Shared,
    journal: &mut Journal,
    buf: &mut Vec<u8>,
    first: u64,
    batch: &Batch,
) -> Result<()> {
    buf.clear();
    for (i, (e, _)) in batch.entries().enumerate() {
        journal::encode_record(buf, first + i as u64, e);
    }
    let started = std::time::Instant::now();
    journal.append_durable(buf)?;
    let ms = usize::try_from(started.elapsed().as_millis()).unwrap_or(usize::MAX);
    s.batch_ms[ms.min(31)].fetch_add(1, Ordering::Relaxed);
    s.batches.fetch_add(1, Ordering::Relaxed);
    s.committed
        .fetch_add(batch.lens.len() as u64, Ordering::Relaxed);
    if journal.len > SEGMENT_BYTES {
        *journal = Journal::open(&s.dir, first + batch.lens.len() as u64, 0)?;
    }
    Ok(())
}

/// Applies durable batches to the tree in order and acknowledges them.
fn tree_thread(s: &Shared, rx: &Receiver<(u64, Batch)>) {
    while let Ok((first, batch)) = rx.recv() {
        if let Some(msg) = s.poisoned() {
            batch.slot.complete(Err(msg));
            continue;
        }
        let mut edge = s
            .edge
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let r = if edge.size == first {
            batch
                .entries()
                .try_for_each(|(e, h)| edge.push_hashed(&s.dir, e, *h))
        } else {
            Err(StoreError::corrupt(
                &s.dir,
                format!("batch at {first} reached a tree of size {}", edge.size),
            ))
        };
        drop(edge);
        match r {
            Ok(()) => batch.slot.complete(Ok(first)),
            Err(e) => {
                let msg = e.to_string();
                s.poison(&msg);
                batch.slot.complete(Err(msg));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use canvass_log::LogSigner;

    use crate::tlog::Log;

    #[test]
    fn every_batch_is_in_the_time_histogram() {
        let dir = tempfile::tempdir().expect("tmp");
        let signer = LogSigner::from_seed("test.example/hist", [5; 32]).expect("key");
        let log = Log::open(dir.path(), signer).expect("open");
        for i in 0..5u8 {
            log.append(&[[i; 10]]).expect("append");
        }
        let st = log.stats();
        assert_eq!(st.entries, 5);
        // Each blocking call is its own batch.
        assert_eq!(st.batches, 5);
        assert_eq!(st.batch_ms.iter().sum::<u64>(), 5);
    }
}
