//! The election definition and the plain data types every other canvass crate speaks.
//!
//! Nothing here does I/O: definitions are parsed from text handed in by the caller, and
//! the built-in elections are compiled into the binary.
#![cfg_attr(not(test), warn(clippy::unwrap_used, clippy::expect_used))]

pub mod builtin;
pub mod cvr;
pub mod definition;
pub mod ids;
pub mod results;
pub mod source;
pub mod summary;
pub mod validate;

pub use builtin::{BUILTIN_NAMES, builtin};
pub use cvr::{CastVoteRecord, Choice, CvrContest, CvrMark};
pub use definition::*;
pub use ids::*;
pub use results::{ContestCount, CountingGroup, PrecinctResult, RankingCount, SelectionCount};
pub use source::{
    DefinitionError, DefinitionFormat, Diagnostic, parse_definition, to_canonical_json,
    to_json_pretty, to_toml,
};
pub use summary::{ElectionSummary, StateSummary};
pub use validate::{FieldPath, Problem, RuleCode, validate};
