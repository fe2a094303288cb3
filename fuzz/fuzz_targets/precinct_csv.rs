//! Fuzz target: canvass's precinct-results CSV reader must never panic, hang or allocate
//! without bound; what it accepts must write and read back the same.
#![no_main]

use canvass_formats::precinct_csv;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(results) = precinct_csv::read(data, "fuzz.csv") {
        let mut out = Vec::new();
        if precinct_csv::write(&results, &mut out, "out.csv").is_ok() {
            let back = precinct_csv::read(out.as_slice(), "out.csv");
            assert_eq!(back.ok().as_ref(), Some(&results), "precinct CSV round trip");
        }
    }
});
