//! Fuzz target: the Hart Verity per-ballot XML reader must never panic or hang.
#![no_main]

use canvass_formats::{Key, ReadStats, SourceOptions};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut stats = ReadStats::default();
    let by_id = SourceOptions::default();
    let _ = canvass_formats::hart::read_ballot(data, "fuzz.xml", &by_id, &mut |_| Ok(()), &mut stats);
    let by_name = SourceOptions { key: Key::Name, ..SourceOptions::default() };
    let _ = canvass_formats::hart::read_ballot(data, "fuzz.xml", &by_name, &mut |_| Ok(()), &mut stats);
});
