//! Readers and writers for the cast vote record formats election offices already have.
//!
//! Every reader streams with bounded memory and rejects invalid input whole, with an
//! error naming the file, the record or line, and the field.
#![cfg_attr(not(test), warn(clippy::unwrap_used, clippy::expect_used))]
