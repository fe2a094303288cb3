//! Fuzzes what `canvass verify` and `canvass monitor` parse from outside: the witness policy
//! file, and published results bytes compared with a recomputed results document (any bytes
//! must give findings, never a panic; equal bytes give none).
#![no_main]

use canvass_verify::results::compare_published;
use libfuzzer_sys::fuzz_target;

const RECOMPUTED: &str = r#"{"election":"e","contests":[{"id":"president-PA","state":"PA","district":null,"totals":{"A":60,"B":38},"ballots":100},{"id":"house-PA-07","state":"PA","district":"PA-07","totals":{"A":1},"ballots":1}],"balance":{"senate":{"seats":100}}}"#;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(p) = canvass_verify::policy::parse(text) {
            assert!(p.threshold >= 1 && p.threshold <= p.witnesses.len());
        }
    }
    let findings = compare_published(data, RECOMPUTED, Some(7));
    assert_eq!(findings.is_empty(), data == RECOMPUTED.as_bytes());
    let _ = compare_published(RECOMPUTED.as_bytes(), &String::from_utf8_lossy(data), None);
});
