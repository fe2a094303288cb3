//! Fuzz target: the ess_csv reader must never panic, hang or allocate without bound.
#![no_main]

use canvass_formats::{Input, SourceOptions};
use libfuzzer_sys::fuzz_target;

fn options() -> SourceOptions {
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

fuzz_target!(|data: &[u8]| {
    let input = Input::Bytes { name: "fuzz".into(), bytes: data.to_vec() };
    let _ = canvass_formats::ess::read_csv(&input, &options(), &mut |_| Ok(()));
});
