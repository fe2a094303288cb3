//! Fuzz target: the ES&S xlsx reader's fast worksheet scanner against calamine's cell
//! reader alone. Neither may panic or hang, and on every input both must give the same
//! records, or the same error.
#![no_main]

use canvass_formats::SourceOptions;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let options = SourceOptions {
        first_vote_column: Some(2),
        first_vote_row: Some(2),
        id_column: Some(1),
        overvote_delimiter: Some("//".into()),
        treat_blank_as_undeclared_write_in: true,
        ..SourceOptions::default()
    };
    let read = |fast: bool| {
        let mut records = Vec::new();
        let sink: &mut canvass_formats::Sink<'_> = &mut |cvr| {
            records.push(cvr);
            Ok(())
        };
        let r = std::io::Cursor::new(data);
        let result = if fast {
            canvass_formats::ess::read_xlsx_from(r, "fuzz.xlsx", &options, sink)
        } else {
            canvass_formats::ess::read_xlsx_from_calamine(r, "fuzz.xlsx", &options, sink)
        };
        result.map(|_| records).map_err(|e| e.to_string())
    };
    assert_eq!(read(true), read(false));
});
