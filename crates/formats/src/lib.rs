//! Readers and writers for the cast vote record formats election offices already have.
//!
//! Every reader streams with bounded memory (see [`limits`]) and rejects invalid input
//! whole, with an error naming the file, the record or line, and the field. Start with
//! [`read_source`], which takes a [`SourceSpec`] (provider, path, RCTab-style options).
#![cfg_attr(not(test), warn(clippy::unwrap_used, clippy::expect_used))]

pub mod archive;
pub mod clear_ballot;
pub mod dominion;
pub mod err;
pub mod error;
pub mod ess;
mod ess_xlsx;
pub mod generic_csv;
pub mod hart;
mod jsonscan;
pub mod limits;
pub mod medsl;
pub mod nist;
pub mod precinct_csv;
pub mod rctab;
pub mod source;
mod xlsx_lex;
mod xlsx_parts;
mod xlsx_rows;
mod xlsx_sheet;
mod xmltree;

pub use error::{FormatError, Location};
pub use source::{
    Input, Key, Provider, ReadStats, Sink, SourceOptions, SourceSpec, read_source,
    read_source_to_vec,
};
