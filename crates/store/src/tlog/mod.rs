//! A durable, file-backed transparency log in the C2SP tlog-tiles layout.
//!
//! ```text
//! <dir>/checkpoint                 latest signed checkpoint (C2SP tlog-checkpoint note)
//! <dir>/vkey                       the log's verifier key (signed-note vkey)
//! <dir>/tile/<L>/<N>[.p/<W>]       hash tiles
//! <dir>/tile/entries/<N>[.p/<W>]   entry bundles
//! <dir>/journal/<base>.wal         append journal (durability point, see `journal`)
//! <dir>/state                      size up to which tiles are known durable, with its root
//! <dir>/lock                       single-writer lock
//! ```
//!
//! Invariants:
//! - [`Log::append`] returns only after the entries are durable in the journal (one
//!   `fdatasync` per group-committed batch, shared by all concurrent callers).
//! - [`Log::checkpoint`] publishes a checkpoint only after every tile of that tree is written
//!   and the file system is synced.
//! - Opening a log recovers the last durable state: a torn journal tail is cut off, tiles are
//!   rebuilt from the journal, and the tree is checked against the `state` root and the
//!   published checkpoint. Any mismatch is reported as [`StoreError::Corrupt`]; a wrong root is
//!   never served.

mod commit;
mod edge;
mod error;
mod fsutil;
mod journal;
mod reader;
mod restore;
mod state;

use std::fs::{self, File};
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, RwLockReadGuard};

use canvass_log::tile::{MAX_ENTRY_SIZE, TILE_WIDTH, Tile, TileKind, decode_bundle};
use canvass_log::{
    Checkpoint, Hash, LogSigner, LogVerifier, WitnessPolicy, consistency_proof, inclusion_proof,
    leaf_hash, tree_root,
};

pub use error::{Result, StoreError};
pub use reader::{
    AuditReport, LogSource, SourceTiles, TileReader, audit, audit_from, published, published_from,
};
pub use restore::{restore_dir, tree_tiles};

use commit::{Pipeline, Shared};
use edge::{Edge, EdgeSource};
use journal::Journal;
use state::State;

/// A published checkpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedCheckpoint {
    /// The checkpoint body.
    pub checkpoint: Checkpoint,
    /// The signed note, as written to `<dir>/checkpoint`.
    pub note: String,
}

/// A file-backed transparency log with one writer process.
pub struct Log {
    // Declared first so the commit threads stop before the directory lock is released.
    pipeline: Pipeline,
    shared: Arc<Shared>,
    dir: PathBuf,
    signer: LogSigner,
    _lock: File,
    state: Mutex<State>,
    publish: Mutex<()>,
    recovery: Recovery,
    synced_through: AtomicU64,
}

/// Entries queued by [`Log::submit`], not yet acknowledged.
#[must_use = "entries are acknowledged only by PendingAppend::wait"]
pub struct PendingAppend {
    slot: Option<Arc<commit::Slot>>,
    offset: u64,
    count: u64,
}

impl std::fmt::Debug for PendingAppend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PendingAppend({} entries)", self.count)
    }
}

impl PendingAppend {
    /// Whether the batch has been committed (or failed): [`PendingAppend::wait`] will not block.
    pub fn is_done(&self) -> bool {
        self.slot.as_ref().is_none_or(|s| s.is_done())
    }

    /// Blocks until the entries are durable and returns their indices.
    ///
    /// # Errors
    /// [`StoreError::Poisoned`] if the batch could not be made durable.
    pub fn wait(self) -> Result<Range<u64>> {
        match self.slot {
            None => Ok(self.offset..self.offset),
            Some(slot) => {
                let first = slot.wait()? + self.offset;
                Ok(first..first + self.count)
            }
        }
    }
}

/// Counters since the log was opened.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stats {
    /// Group-committed batches, i.e. journal fsyncs.
    pub batches: u64,
    /// Entries appended.
    pub entries: u64,
    /// Batches by the time their `write` and `fdatasync` took, in whole milliseconds:
    /// `batch_ms[k]` counts batches that took `k` to `k + 1` ms (the last bucket: 31 ms or
    /// more). An append waits at most for the batch in progress and then its own.
    pub batch_ms: [u64; 32],
}

/// What [`Log::open`] found and repaired.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Recovery {
    /// Bytes of a torn journal tail (an interrupted, unacknowledged batch) that were cut off.
    pub torn_bytes: u64,
    /// Entries replayed from the journal to rebuild tiles.
    pub replayed: u64,
}

pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic while holding one of these locks leaves plain data behind; keep going.
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl std::fmt::Debug for Log {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Log({}, size {})", self.dir.display(), self.size())
    }
}

impl Log {
    /// Opens (or creates) the log in `dir`, signing checkpoints with `signer` (whose name is the
    /// log origin), and recovers the last durable state.
    ///
    /// # Errors
    /// [`StoreError::Locked`] if another process has it open, [`StoreError::Corrupt`] if the
    /// data on disk is damaged or the published checkpoint does not match it (or was signed by
    /// another key), and I/O errors ([`StoreError::ReadOnly`], [`StoreError::DiskFull`]).
    pub fn open(dir: impl AsRef<Path>, signer: LogSigner) -> Result<Self> {
        let dir = dir.as_ref().to_path_buf();
        fs::create_dir_all(&dir).map_err(|e| StoreError::io("creating directory", &dir, e))?;
        let lock_path = dir.join("lock");
        let lock_file = fsutil::open_append(&lock_path)?;
        rustix::fs::flock(
            &lock_file,
            rustix::fs::FlockOperation::NonBlockingLockExclusive,
        )
        .map_err(|_| StoreError::Locked(dir.clone()))?;

        let verifier = signer.verifier();
        let vkey_path = dir.join("vkey");
        match fsutil::read_optional(&vkey_path)? {
            Some(v) if String::from_utf8_lossy(&v).trim() != verifier.to_vkey() => {
                return Err(StoreError::corrupt(
                    &vkey_path,
                    "this log was created with a different key; open it with its own signer key",
                ));
            }
            Some(_) => {}
            None => fsutil::write_atomic(
                &vkey_path,
                format!("{}\n", verifier.to_vkey()).as_bytes(),
                true,
            )?,
        }

        let st = state::read(&dir)?;
        let mut edge = if st.synced > 0 {
            Edge::from_tiles(&dir, st.synced)?
        } else {
            Edge::default()
        };
        let root = tree_root(
            &EdgeSource {
                dir: &dir,
                edge: &edge,
            },
            st.synced,
        )
        .map_err(|e| StoreError::corrupt(&dir.join("state"), e.to_string()))?;
        if root != st.root {
            return Err(StoreError::corrupt(
                &dir.join("tile"),
                format!(
                    "tiles give root {root} at size {} but the state file recorded {}",
                    st.synced, st.root
                ),
            ));
        }

        // Drop segments entirely below the synced size, then replay the rest.
        let mut segments = journal::list_segments(&dir)?;
        while segments.len() >= 2 && segments[1] <= st.synced {
            let p = journal::segment_path(&dir, segments[0]);
            fs::remove_file(&p).map_err(|e| StoreError::io("removing old segment", &p, e))?;
            segments.remove(0);
        }
        if let Some(&first) = segments.first() {
            if first > st.synced {
                return Err(StoreError::corrupt(
                    &journal::segment_path(&dir, first),
                    format!(
                        "journal starts at entry {first} but tiles are only durable up to {}",
                        st.synced
                    ),
                ));
            }
        }
        let mut tail = None;
        let mut recovery = Recovery::default();
        for (i, &base) in segments.iter().enumerate() {
            let last = i + 1 == segments.len();
            let scan = journal::scan_segment(&dir, base, last, |index, data| {
                if index < edge.size {
                    return Ok(());
                }
                if index != edge.size {
                    return Err(StoreError::corrupt(
                        &journal::segment_path(&dir, base),
                        format!("entry {index} follows entry {}", edge.size),
                    ));
                }
                recovery.replayed += 1;
                edge.push(&dir, data)
            })?;
            if scan.torn {
                let len = fs::metadata(journal::segment_path(&dir, base))
                    .map(|m| m.len())
                    .unwrap_or(scan.valid_len);
                recovery.torn_bytes = len - scan.valid_len;
            }
            if last {
                tail = Some((base, scan.valid_len));
            }
        }
        let (base, valid_len) = tail.unwrap_or((edge.size, 0));
        let journal = Journal::open(&dir, base, valid_len)?;
        check_published(&dir, &edge, &verifier)?;

        let next = edge.size;
        let shared = Arc::new(Shared::new(dir.clone(), edge));
        let pipeline = Pipeline::start(Arc::clone(&shared), journal, next)?;
        Ok(Self {
            pipeline,
            shared,
            dir,
            signer,
            _lock: lock_file,
            state: Mutex::new(st),
            publish: Mutex::new(()),
            recovery,
            synced_through: AtomicU64::new(0),
        })
    }

    fn edge_read(&self) -> RwLockReadGuard<'_, Edge> {
        self.shared
            .edge
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn check_poisoned(&self) -> Result<()> {
        match lock(&self.shared.poisoned).as_ref() {
            Some(msg) => Err(StoreError::Poisoned(msg.clone())),
            None => Ok(()),
        }
    }

    /// Batches (journal fsyncs) and entries appended since opening.
    pub fn stats(&self) -> Stats {
        Stats {
            batches: self.shared.batches.load(Ordering::Relaxed),
            entries: self.shared.committed.load(Ordering::Relaxed),
            batch_ms: std::array::from_fn(|k| self.shared.batch_ms[k].load(Ordering::Relaxed)),
        }
    }

    /// What recovery did when this log was opened.
    pub fn recovery(&self) -> Recovery {
        self.recovery
    }

    /// The log's directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The log's verifier key.
    pub fn verifier(&self) -> LogVerifier {
        self.signer.verifier()
    }

    /// Number of durable entries.
    pub fn size(&self) -> u64 {
        self.edge_read().size
    }

    /// Root hash of the tree of `size` durable entries.
    ///
    /// # Errors
    /// [`StoreError::Proof`] if `size` is larger than the log or a tile cannot be read.
    pub fn root_at(&self, size: u64) -> Result<Hash> {
        let edge = self.edge_read();
        if size > edge.size {
            return Err(canvass_log::ProofError::TooLarge {
                size,
                available: edge.size,
            }
            .into());
        }
        Ok(tree_root(
            &EdgeSource {
                dir: &self.dir,
                edge: &edge,
            },
            size,
        )
        .map_err(canvass_log::ProofError::from)?)
    }

    /// Appends entries and returns their indices once they are durable. Concurrent callers
    /// share one journal write and one fsync (group commit); a batch is whatever arrived while
    /// the previous fsync was running. Same as [`Log::submit`] followed by
    /// [`PendingAppend::wait`].
    ///
    /// # Errors
    /// [`StoreError::EntryTooLarge`] for entries over 65535 bytes; I/O errors, after which the
    /// log is poisoned ([`StoreError::Poisoned`]) and must be reopened. Entries of a failed call
    /// are not acknowledged; they may or may not be present after recovery.
    pub fn append<E: AsRef<[u8]>>(&self, entries: &[E]) -> Result<Range<u64>> {
        self.submit(entries)?.wait()
    }

    /// Queues entries for the next group commit without waiting: one thread (for example a
    /// server's event loop) can keep many appends in flight. Nothing is acknowledged until
    /// [`PendingAppend::wait`] returns their indices; dropping the handle does not cancel the
    /// append.
    ///
    /// # Errors
    /// [`StoreError::EntryTooLarge`] for entries over 65535 bytes; [`StoreError::Poisoned`]
    /// after an I/O error.
    pub fn submit<E: AsRef<[u8]>>(&self, entries: &[E]) -> Result<PendingAppend> {
        for (position, e) in entries.iter().enumerate() {
            if e.as_ref().len() > MAX_ENTRY_SIZE {
                return Err(StoreError::EntryTooLarge {
                    position,
                    len: e.as_ref().len(),
                });
            }
        }
        self.check_poisoned()?;
        if entries.is_empty() {
            return Ok(PendingAppend {
                slot: None,
                offset: self.size(),
                count: 0,
            });
        }
        // Leaf hashing happens here, in the appending thread, outside every lock.
        let leaves: Vec<Hash> = entries.iter().map(|e| leaf_hash(e.as_ref())).collect();
        let (slot, offset) = self.pipeline.submit(entries, leaves);
        Ok(PendingAppend {
            slot: Some(slot),
            offset,
            count: entries.len() as u64,
        })
    }

    /// Publishes a signed checkpoint for all durable entries ([`Log::sign_checkpoint`] then
    /// [`Log::publish`] without a witness policy).
    ///
    /// # Errors
    /// As for those two functions; the previous checkpoint then stays published.
    pub fn checkpoint(&self) -> Result<SignedCheckpoint> {
        let signed = self.sign_checkpoint()?;
        self.publish(&signed.note, None)?;
        Ok(signed)
    }

    /// Prepares a checkpoint for all durable entries: writes the partial tiles, syncs the file
    /// system so every tile of the tree is durable, and signs. Nothing is published yet: collect
    /// witness cosignatures on the note if needed, then call [`Log::publish`].
    ///
    /// # Errors
    /// I/O errors or a signing error.
    pub fn sign_checkpoint(&self) -> Result<SignedCheckpoint> {
        self.check_poisoned()?;
        let (size, root) = {
            let edge = self.edge_read();
            edge.write_partials(&self.dir)?;
            let root = tree_root(
                &EdgeSource {
                    dir: &self.dir,
                    edge: &edge,
                },
                edge.size,
            )
            .map_err(canvass_log::ProofError::from)?;
            (edge.size, root)
        };
        fsutil::sync_filesystem(&self.dir)?;
        self.synced_through.fetch_max(size, Ordering::SeqCst);
        let checkpoint = Checkpoint {
            origin: self.signer.name().to_owned(),
            size,
            root,
            extensions: vec![],
        };
        let note = self.signer.sign_checkpoint(&checkpoint)?;
        Ok(SignedCheckpoint { checkpoint, note })
    }

    /// Publishes a checkpoint note signed by this log (it may carry witness cosignatures) as
    /// `<dir>/checkpoint`. With a `policy`, at least k of its n witnesses must have cosigned.
    /// Refuses a checkpoint whose tree is not fully on disk, whose root differs from the data,
    /// or that is older than the one already published. Then records the durable tile state
    /// and retires old journal segments.
    ///
    /// # Errors
    /// [`StoreError::Note`] for a bad signature, [`StoreError::Witness`] when the policy is not
    /// met, [`StoreError::Rejected`] for a checkpoint that does not match the log, I/O errors.
    pub fn publish(&self, note: &str, policy: Option<&WitnessPolicy>) -> Result<Checkpoint> {
        self.check_poisoned()?;
        let _publishing = lock(&self.publish);
        let cp = self.signer.verifier().open_checkpoint(note.as_bytes())?;
        if let Some(p) = policy {
            p.check(note.as_bytes())?;
        }
        let root = self
            .root_at(cp.size)
            .map_err(|e| StoreError::Rejected(e.to_string()))?;
        if root != cp.root {
            return Err(StoreError::Rejected(format!(
                "checkpoint root {} at size {} differs from the log's root {root}",
                cp.root, cp.size
            )));
        }
        for t in Tile::partial_tiles(cp.size) {
            if !self.dir.join(t.path()).exists() {
                return Err(StoreError::Rejected(format!(
                    "{} is not on disk: create checkpoints with sign_checkpoint",
                    t.path()
                )));
            }
        }
        if let Some(prev) = fsutil::read_optional(&self.dir.join("checkpoint"))? {
            let prev = self.signer.verifier().open_checkpoint(&prev)?;
            if prev.size > cp.size {
                return Err(StoreError::Rejected(format!(
                    "checkpoint of size {} is older than the published one of size {}",
                    cp.size, prev.size
                )));
            }
        }
        if self.synced_through.load(Ordering::SeqCst) < cp.size {
            fsutil::sync_filesystem(&self.dir)?;
            self.synced_through.fetch_max(cp.size, Ordering::SeqCst);
        }
        fsutil::write_atomic(&self.dir.join("checkpoint"), note.as_bytes(), true)?;
        self.retire(cp.size)?;
        Ok(cp)
    }

    /// Records that tiles below `durable_size` are durable and drops journal segments that are
    /// no longer needed.
    fn retire(&self, durable_size: u64) -> Result<()> {
        let synced = durable_size / TILE_WIDTH * TILE_WIDTH;
        let mut st = lock(&self.state);
        if synced > st.synced {
            let new = State {
                synced,
                root: self.root_at(synced)?,
            };
            state::write(&self.dir, &new)?;
            *st = new;
        }
        let segments = journal::list_segments(&self.dir)?;
        for pair in segments.windows(2) {
            if pair[1] <= st.synced {
                let p = journal::segment_path(&self.dir, pair[0]);
                fs::remove_file(&p).map_err(|e| StoreError::io("removing old segment", &p, e))?;
            }
        }
        Ok(())
    }

    /// The latest published checkpoint note, if any.
    ///
    /// # Errors
    /// I/O errors.
    pub fn published_checkpoint(&self) -> Result<Option<String>> {
        Ok(fsutil::read_optional(&self.dir.join("checkpoint"))?
            .map(|b| String::from_utf8_lossy(&b).into_owned()))
    }

    /// Inclusion proof for entry `index` in the tree of `size` (at most [`Log::size`]).
    ///
    /// # Errors
    /// [`StoreError::Proof`] for out-of-range arguments or unreadable tiles.
    pub fn inclusion_proof(&self, index: u64, size: u64) -> Result<Vec<Hash>> {
        let edge = self.edge_read();
        if size > edge.size {
            return Err(canvass_log::ProofError::TooLarge {
                size,
                available: edge.size,
            }
            .into());
        }
        Ok(inclusion_proof(
            &EdgeSource {
                dir: &self.dir,
                edge: &edge,
            },
            index,
            size,
        )?)
    }

    /// Consistency proof from tree size `old` to `new` (at most [`Log::size`]).
    ///
    /// # Errors
    /// [`StoreError::Proof`] for out-of-range arguments or unreadable tiles.
    pub fn consistency_proof(&self, old: u64, new: u64) -> Result<Vec<Hash>> {
        let edge = self.edge_read();
        if new > edge.size {
            return Err(canvass_log::ProofError::TooLarge {
                size: new,
                available: edge.size,
            }
            .into());
        }
        Ok(consistency_proof(
            &EdgeSource {
                dir: &self.dir,
                edge: &edge,
            },
            old,
            new,
        )?)
    }

    /// The entry at `index`.
    ///
    /// # Errors
    /// [`StoreError::NotFound`] beyond the log; [`StoreError::Corrupt`] for a damaged bundle.
    pub fn entry(&self, index: u64) -> Result<Vec<u8>> {
        let edge = self.edge_read();
        if index >= edge.size {
            return Err(StoreError::NotFound(format!("entry {index}")));
        }
        let n = index / TILE_WIDTH;
        if n == edge.size / TILE_WIDTH {
            let entries = decode_bundle(&edge.bundle)
                .map_err(|e| StoreError::corrupt(&self.dir, format!("partial bundle: {e}")))?;
            return entries
                .get((index % TILE_WIDTH) as usize)
                .map(|e| e.to_vec())
                .ok_or_else(|| StoreError::NotFound(format!("entry {index}")));
        }
        drop(edge);
        let t = Tile {
            kind: TileKind::Entries,
            index: n,
            width: 256,
        };
        let path = self.dir.join(t.path());
        let bytes = fs::read(&path).map_err(|e| StoreError::io("reading", &path, e))?;
        let entries =
            decode_bundle(&bytes).map_err(|e| StoreError::corrupt(&path, e.to_string()))?;
        entries
            .get((index % TILE_WIDTH) as usize)
            .map(|e| e.to_vec())
            .ok_or_else(|| StoreError::corrupt(&path, "bundle has fewer than 256 entries"))
    }

    /// The entries in `range`, read a whole entry bundle at a time (for replaying the log).
    ///
    /// # Errors
    /// [`StoreError::NotFound`] beyond the log; [`StoreError::Corrupt`] for a damaged bundle.
    pub fn entries(&self, range: Range<u64>) -> Result<Vec<Vec<u8>>> {
        let mut out =
            Vec::with_capacity(usize::try_from(range.end.saturating_sub(range.start)).unwrap_or(0));
        let mut index = range.start;
        while index < range.end {
            let n = index / TILE_WIDTH;
            let edge = self.edge_read();
            if range.end > edge.size {
                return Err(StoreError::NotFound(format!("entry {}", range.end - 1)));
            }
            let bytes;
            let (bundle, path): (&[u8], PathBuf) = if n == edge.size / TILE_WIDTH {
                (&edge.bundle, self.dir.clone())
            } else {
                let t = Tile {
                    kind: TileKind::Entries,
                    index: n,
                    width: 256,
                };
                let path = self.dir.join(t.path());
                bytes = fs::read(&path).map_err(|e| StoreError::io("reading", &path, e))?;
                (&bytes, path)
            };
            let entries =
                decode_bundle(bundle).map_err(|e| StoreError::corrupt(&path, e.to_string()))?;
            let end = range.end.min((n + 1) * TILE_WIDTH);
            for i in index..end {
                let e = entries
                    .get((i % TILE_WIDTH) as usize)
                    .ok_or_else(|| StoreError::corrupt(&path, format!("bundle lacks entry {i}")))?;
                out.push(e.to_vec());
            }
            index = end;
        }
        Ok(out)
    }

    /// Reads a published resource by its tlog-tiles path relative to the log prefix:
    /// `checkpoint`, `vkey`, `tile/<L>/<N>[.p/<W>]` or `tile/entries/<N>[.p/<W>]`.
    ///
    /// # Errors
    /// [`StoreError::NotFound`] for unknown or malformed paths and missing tiles.
    pub fn read_path(&self, path: &str) -> Result<Vec<u8>> {
        read_path(&self.dir, path)
    }
}

/// Refuses to serve if the published checkpoint is not a prefix of the recovered tree.
fn check_published(dir: &Path, edge: &Edge, verifier: &LogVerifier) -> Result<()> {
    let path = dir.join("checkpoint");
    let Some(note) = fsutil::read_optional(&path)? else {
        return Ok(());
    };
    let cp = verifier.open_checkpoint(&note).map_err(|e| {
        StoreError::corrupt(&path, format!("published checkpoint does not verify: {e}"))
    })?;
    if cp.size > edge.size {
        return Err(StoreError::corrupt(
            &path,
            format!(
                "published checkpoint has {} entries but only {} are on disk",
                cp.size, edge.size
            ),
        ));
    }
    let root = tree_root(&EdgeSource { dir, edge }, cp.size)
        .map_err(|e| StoreError::corrupt(&path, e.to_string()))?;
    if root != cp.root {
        return Err(StoreError::corrupt(
            &path,
            format!(
                "published root {} at size {} but the data on disk gives {root}",
                cp.root, cp.size
            ),
        ));
    }
    Ok(())
}

/// Reads `checkpoint`, `vkey` or a tile path from a log directory (see [`Log::read_path`]).
///
/// # Errors
/// [`StoreError::NotFound`] for unknown or malformed paths and missing files.
pub fn read_path(dir: &Path, path: &str) -> Result<Vec<u8>> {
    let rel = match path {
        "checkpoint" | "vkey" => path.to_owned(),
        _ => path
            .parse::<Tile>()
            .map_err(|e| StoreError::NotFound(e.to_string()))?
            .path(),
    };
    fsutil::read_optional(&dir.join(&rel))?.ok_or(StoreError::NotFound(rel))
}
