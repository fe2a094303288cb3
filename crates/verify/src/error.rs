//! The errors of `canvass-verify`: a source that cannot be read at all, a drill that cannot
//! run. Everything a source
//! says that is *wrong* is a [`crate::Finding`], not an error.

/// A resource could not be read.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    /// The file or URL could not be read.
    #[error("cannot read {location}: {reason}: check the URL or directory and try again")]
    Fetch {
        /// The file or URL.
        location: String,
        /// Why.
        reason: String,
    },
    /// It was read but is not what the path promises.
    #[error("{location} is malformed: {reason}")]
    Malformed {
        /// The file or URL.
        location: String,
        /// What is wrong.
        reason: String,
    },
    /// A resource every election has is missing.
    #[error("{location} does not exist: is this a canvass server, export or data directory?")]
    Missing {
        /// The file or URL.
        location: String,
    },
    /// The election definition the roster names cannot be loaded.
    #[error("election {name}: {reason}: pass the definition file with --election")]
    Election {
        /// The election named.
        name: String,
        /// Why it cannot be loaded.
        reason: String,
    },
}

/// A tamper drill could not be run (`canvass drill`).
#[derive(Debug, thiserror::Error)]
pub enum DrillError {
    /// There is no drill with this number.
    #[error("there is no drill {0}: the drills are 1 to 8 (canvass drill list)")]
    NoSuchDrill(u8),
    /// A file could not be read or written.
    #[error("{path}: {reason}")]
    Io {
        /// The file.
        path: String,
        /// Why.
        reason: String,
    },
    /// The data directory is not what a drill needs.
    #[error("{0}")]
    Data(String),
    /// A published resource could not be read.
    #[error(transparent)]
    Source(#[from] SourceError),
}

impl DrillError {
    /// An I/O error on `path`.
    pub fn io(path: &std::path::Path, e: &std::io::Error) -> Self {
        DrillError::Io {
            path: path.display().to_string(),
            reason: e.to_string(),
        }
    }
}
