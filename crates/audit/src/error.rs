//! The audit crate's error type.

/// Everything that can go wrong in audit arithmetic, sampling and manifest parsing.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum AuditError {
    /// The same ballot id was listed twice.
    #[error("ballot id {id:?} is listed twice: every ballot needs exactly one id")]
    DuplicateBallotId {
        /// The repeated id.
        id: String,
    },
    /// A dice-roll seed was too short or had a non-digit.
    #[error("seed {seed:?} is not a public dice roll: {reason}")]
    InvalidSeed {
        /// The seed as given.
        seed: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A numeric parameter was out of range.
    #[error("{name} = {value} is out of range: {expected}")]
    OutOfRange {
        /// Parameter name.
        name: &'static str,
        /// The value given.
        value: String,
        /// What would be accepted.
        expected: &'static str,
    },
    /// The reported tally does not determine winners and losers for an audit.
    #[error("contest cannot be audited: {reason}")]
    Unauditable {
        /// Why.
        reason: String,
    },
    /// A sampled count names a candidate the reported tally lacks.
    #[error("sample names {name:?}, which is not in the reported tally: check the spelling")]
    UnknownSelection {
        /// The unknown name.
        name: String,
    },
    /// A manifest file could not be parsed.
    #[error("{file}:{line}: {field}: {message}")]
    Manifest {
        /// File name as given by the caller.
        file: String,
        /// 1-based line number.
        line: usize,
        /// Field (column) name, or `record`.
        field: String,
        /// What is wrong and what to do.
        message: String,
    },
    /// An audit record that does not follow from the records before it.
    #[error("audit {audit:?} record {seq} ({step}): {message}")]
    Workflow {
        /// The audit's name.
        audit: String,
        /// The record's seq.
        seq: u64,
        /// The step (`start`, `draw`, ...).
        step: &'static str,
        /// What is wrong and what to do.
        message: String,
    },
}
