//! Shared set-up for the fuzz targets: the reader options and a driver for the readers that
//! take an [`Input`].

use canvass_formats::{FormatError, Input, ReadStats, Sink, SourceOptions};

/// RCTab-style options that exercise every column a tabular CVR reader may look at.
pub fn cvr_options() -> SourceOptions {
    SourceOptions {
        first_vote_column: Some(2),
        first_vote_row: Some(2),
        id_column: Some(1),
        precinct_column: Some(3),
        overvote_delimiter: Some("//".into()),
        overvote_label: Some("overvote".into()),
        undervote_label: Some("undervote".into()),
        ..SourceOptions::default()
    }
}

/// The signature of the readers that take a whole [`Input`].
pub type Reader = fn(&Input, &SourceOptions, &mut Sink<'_>) -> Result<ReadStats, FormatError>;

/// Runs `read` over `data` with [`cvr_options`], discarding the records; errors are fine,
/// panics, hangs and unbounded allocation are what the fuzzer looks for.
pub fn read_all(data: &[u8], read: Reader) {
    let input = Input::Bytes { name: "fuzz".into(), bytes: data.to_vec() };
    let _ = read(&input, &cvr_options(), &mut |_| Ok(()));
}
