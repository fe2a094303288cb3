//! The one error type every reader and writer returns.

use std::fmt;

/// Where in a file a problem was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// The file as a whole (e.g. a missing manifest or an empty folder).
    File,
    /// A 1-based line (CSV, or a spreadsheet row).
    Line(u64),
    /// A 1-based record number (the n-th ballot or session), with the byte offset it starts at.
    Record {
        /// The 1-based record number within the file.
        index: u64,
        /// The byte offset of the record's start, if known.
        offset: Option<u64>,
    },
    /// A byte offset (e.g. the position of an XML syntax error).
    Offset(u64),
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Location::File => write!(f, "whole file"),
            Location::Line(n) => write!(f, "line {n}"),
            Location::Record {
                index,
                offset: Some(o),
            } => write!(f, "record {index} (byte {o})"),
            Location::Record {
                index,
                offset: None,
            } => write!(f, "record {index}"),
            Location::Offset(o) => write!(f, "byte {o}"),
        }
    }
}

/// Everything that can go wrong reading or writing a cast vote record export.
///
/// Every variant names the file; invalid-input variants also name the line or record and the
/// field, and say what was expected. A reader that returns an error has rejected the input
/// whole: callers must discard every record already handed to their callback.
#[derive(Debug, thiserror::Error)]
pub enum FormatError {
    /// The file could not be opened or read.
    #[error("{file}: cannot read: {source}; check the path and permissions")]
    Io {
        /// The file (or `archive.zip!entry`).
        file: String,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The input does not follow its format.
    #[error("{file}, {location}, field `{field}`: expected {expected}; fix or re-export the file")]
    Invalid {
        /// The file (or `archive.zip!entry`).
        file: String,
        /// The line, record or offset.
        location: Location,
        /// The field (column header, JSON key or XML element) at fault.
        field: String,
        /// What was expected, and what was found.
        expected: String,
    },
    /// The reader options do not make sense for this source.
    #[error("invalid source options for {file}: {message}")]
    Options {
        /// The file or folder the options are for.
        file: String,
        /// What is wrong with them.
        message: String,
    },
    /// The caller's record callback asked to stop.
    #[error("stopped by the record consumer: {0}")]
    Consumer(String),
}

impl FormatError {
    /// Builds an [`FormatError::Invalid`].
    pub fn invalid(
        file: impl Into<String>,
        location: Location,
        field: impl Into<String>,
        expected: impl Into<String>,
    ) -> Self {
        FormatError::Invalid {
            file: file.into(),
            location,
            field: field.into(),
            expected: expected.into(),
        }
    }

    /// Builds an [`FormatError::Io`].
    pub fn io(file: impl Into<String>, source: std::io::Error) -> Self {
        FormatError::Io {
            file: file.into(),
            source,
        }
    }
}

/// Shorthand for results in this crate.
pub type Result<T, E = FormatError> = std::result::Result<T, E>;
