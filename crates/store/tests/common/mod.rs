//! Support shared by the store tests.
pub mod pg;
