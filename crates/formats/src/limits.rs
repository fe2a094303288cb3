//! Bounds that keep hostile input from exhausting memory or time.
//!
//! Readers stream: memory is bounded by the largest single record, never by the file.

/// The largest single record (a JSON array element, an XML `CVR`, a CSV row) accepted.
pub const MAX_RECORD_BYTES: usize = 64 * 1024 * 1024;

/// The largest manifest or metadata block (Dominion manifests, NIST `Election`) accepted.
pub const MAX_MANIFEST_BYTES: u64 = 512 * 1024 * 1024;

/// The largest single Hart CVR file (one ballot) accepted.
pub const MAX_BALLOT_FILE_BYTES: u64 = 16 * 1024 * 1024;

/// The highest rank accepted. Real ballots rank at most a few dozen choices.
pub const MAX_RANK: u32 = 1000;

/// The most CVR files read from one folder or archive.
pub const MAX_FILES: usize = 10_000_000;
