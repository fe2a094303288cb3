//! Errors of the server crate (rejections of submissions are [`crate::Rejection`], not errors).

use std::path::PathBuf;

/// A key that cannot be made or read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    /// A signed-note key name must be non-empty with no whitespace and no `+`.
    #[error("key name {0:?} is invalid: use a name with no spaces and no '+'")]
    BadName(String),
    /// Malformed key text.
    #[error("malformed {what}: {reason}")]
    BadKey {
        /// Which kind of key.
        what: &'static str,
        /// What is wrong.
        reason: String,
    },
}

/// A roster or key-change document that cannot be accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RosterError {
    /// The document does not parse.
    #[error("{what} is malformed: {reason}")]
    Malformed {
        /// Which document.
        what: &'static str,
        /// What is wrong, naming the field where known.
        reason: String,
    },
    /// The JSON is valid but not in canonical form.
    #[error(
        "{what} is not in canonical form (fixed field order, no whitespace): re-create it with canvass"
    )]
    NotCanonical {
        /// Which document.
        what: &'static str,
    },
    /// The authority's signature is missing or wrong.
    #[error("{what} is not signed by the election authority key {authority}")]
    BadSignature {
        /// Which document.
        what: &'static str,
        /// The authority's verifier key name and id.
        authority: String,
    },
    /// A key change that cannot be applied to the roster.
    #[error("key change {sequence}: {reason}")]
    BadChange {
        /// The key change's sequence number.
        sequence: u64,
        /// What is wrong.
        reason: String,
    },
}

/// An error at the file edge (`io`).
#[derive(Debug, thiserror::Error)]
pub enum IoError {
    /// A file operation failed.
    #[error("{action} {}: {source}", path.display())]
    Io {
        /// What was being done.
        action: &'static str,
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// Keys already exist; they are never overwritten.
    #[error(
        "{} already exists: keys are never overwritten; choose another --data directory",
        .0.display()
    )]
    Exists(PathBuf),
    /// A key file does not hold a valid key.
    #[error("{}: {source}", path.display())]
    Key {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: KeyError,
    },
    /// A roster file that cannot be accepted.
    #[error("{}: {source}", path.display())]
    Roster {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: RosterError,
    },
    /// The election cannot be loaded.
    #[error("election {name:?}: {reason}")]
    Election {
        /// The name or file given.
        name: String,
        /// What is wrong.
        reason: String,
    },
    /// The operating system's random number generator failed.
    #[error("cannot draw random key material: {0}")]
    Random(String),
}

impl IoError {
    pub(crate) fn io(action: &'static str, path: &std::path::Path, source: std::io::Error) -> Self {
        IoError::Io {
            action,
            path: path.to_path_buf(),
            source,
        }
    }
}
