//! Errors of the file-backed log.

use std::io;
use std::path::{Path, PathBuf};

use canvass_log::{NoteError, ProofError};

/// Errors of the file-backed transparency log.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The disk (or quota) is full.
    #[error(
        "disk full while {op} {path}: free space, then reopen the log (unacknowledged appends were not stored)"
    )]
    DiskFull {
        /// What was being done.
        op: &'static str,
        /// File involved.
        path: PathBuf,
    },
    /// The file or file system is read-only or not writable by this user.
    #[error(
        "cannot write {path} while {op}: read-only file system or permission denied; open the log on a writable directory"
    )]
    ReadOnly {
        /// What was being done.
        op: &'static str,
        /// File involved.
        path: PathBuf,
    },
    /// Another I/O error.
    #[error("i/o error while {op} {path}: {source}")]
    Io {
        /// What was being done.
        op: &'static str,
        /// File involved.
        path: PathBuf,
        /// The underlying error.
        source: io::Error,
    },
    /// On-disk data is damaged or inconsistent; the log refuses to serve it.
    #[error(
        "corrupt log data in {path}: {detail}; restore this file from a replica or backup (run `canvass log audit` to find all damage)"
    )]
    Corrupt {
        /// File involved.
        path: PathBuf,
        /// What is wrong.
        detail: String,
    },
    /// A restore into a directory that already holds a log (its file named).
    #[error("{0} exists: restore a log only into a directory without one")]
    NotEmpty(PathBuf),
    /// Another process holds the log's lock.
    #[error("log directory {0} is locked by another process: only one writer may open a log")]
    Locked(PathBuf),
    /// An earlier write failed; the in-memory state can no longer be trusted.
    #[error(
        "the log stopped after an earlier write failure ({0}); reopen it to recover to the last durable state"
    )]
    Poisoned(String),
    /// An entry is too large for an entry bundle.
    #[error("entry {position} of the batch is {len} bytes; log entries are at most 65535 bytes")]
    EntryTooLarge {
        /// Position within the submitted batch.
        position: usize,
        /// Its length.
        len: usize,
    },
    /// A requested resource does not exist.
    #[error("{0} does not exist in this log")]
    NotFound(String),
    /// A checkpoint lacks the witness cosignatures the policy requires.
    #[error(transparent)]
    Witness(#[from] canvass_log::cosign::PolicyError),
    /// A checkpoint offered for publication does not match the log.
    #[error("refusing to publish checkpoint: {0}")]
    Rejected(String),
    /// A checkpoint or key problem.
    #[error(transparent)]
    Note(#[from] NoteError),
    /// A proof request out of range, or an unreadable tile.
    #[error(transparent)]
    Proof(#[from] ProofError),
}

impl StoreError {
    /// Classifies an I/O error on `path`.
    pub(crate) fn io(op: &'static str, path: &Path, source: io::Error) -> Self {
        let path = path.to_path_buf();
        match source.kind() {
            io::ErrorKind::StorageFull | io::ErrorKind::QuotaExceeded => {
                Self::DiskFull { op, path }
            }
            io::ErrorKind::ReadOnlyFilesystem | io::ErrorKind::PermissionDenied => {
                Self::ReadOnly { op, path }
            }
            _ => Self::Io { op, path, source },
        }
    }

    /// A corruption error.
    pub(crate) fn corrupt(path: &Path, detail: impl Into<String>) -> Self {
        Self::Corrupt {
            path: path.to_path_buf(),
            detail: detail.into(),
        }
    }
}

/// Result alias for the log store.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;
