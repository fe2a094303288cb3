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

/// The most bytes one zip archive entry may unpack to (4 GiB). A Dominion `CvrExport*.json`
/// or a Hart ballot file is far smaller; a bigger one is read from an unpacked folder.
pub const MAX_ZIP_ENTRY_BYTES: u64 = 4 * 1024 * 1024 * 1024;

/// The most bytes all entries of one zip archive may unpack to together (64 GiB).
pub const MAX_ZIP_TOTAL_BYTES: u64 = 64 * 1024 * 1024 * 1024;

/// The highest compression ratio (unpacked : packed bytes) of a zip entry. Real CVR JSON and
/// XML pack about 5:1 to 50:1; deflate's worst case, a zip bomb's, is about 1000:1.
pub const MAX_ZIP_RATIO: u64 = 250;

/// Entries that unpack to at most this many bytes (1 MiB) are exempt from [`MAX_ZIP_RATIO`]:
/// small, repetitive files may pack very well, and cannot do harm.
pub const ZIP_RATIO_FLOOR_BYTES: u64 = 1024 * 1024;
