//! Fuzz target: the ES&S xlsx reader (calamine underneath) must never panic or hang.
#![no_main]

use canvass_formats::SourceOptions;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let options = SourceOptions {
        first_vote_column: Some(2),
        first_vote_row: Some(2),
        treat_blank_as_undeclared_write_in: true,
        ..SourceOptions::default()
    };
    let _ = canvass_formats::ess::read_xlsx_from(std::io::Cursor::new(data), "fuzz.xlsx", &options, &mut |_| Ok(()));
});
