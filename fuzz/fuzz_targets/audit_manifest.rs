//! Fuzz the ballot manifest CSV parser: it must never panic, and an accepted manifest must
//! be self-consistent (total = sum of batches, every index locates to a valid position).
#![no_main]

use canvass_audit::fastdraw::IdSource;
use canvass_audit::parse_manifest_csv;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(m) = parse_manifest_csv("fuzz.csv", text) else {
        return;
    };
    let total: u64 = m.batches().iter().map(|b| b.ballots).fold(0, u64::saturating_add);
    assert_eq!(m.total_ballots(), total);
    if total > 0 {
        for index in [0, total / 2, total - 1] {
            let (b, pos) = m.locate(index).expect("index below total");
            assert!(pos >= 1 && pos <= m.batches()[b].ballots);
            assert!(m.id(index).ends_with(&format!(", {pos})")));
        }
    }
    assert!(m.locate(total).is_none());
});
