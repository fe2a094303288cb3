//! Fuzzes what `canvass verify` and `canvass monitor` parse from outside: the witness policy
//! file, published results bytes compared with a recomputed results document, and a published
//! contest document (every level) compared with a recomputed one (any bytes must give
//! findings, never a panic; equal bytes give none).
#![no_main]

use canvass_verify::results::compare_published;
use libfuzzer_sys::fuzz_target;

const RECOMPUTED: &str = r#"{"election":"e","contests":[{"id":"president-PA","state":"PA","district":null,"totals":{"A":60,"B":38},"ballots":100},{"id":"house-PA-07","state":"PA","district":"PA-07","totals":{"A":1},"ballots":1}],"balance":{"senate":{"seats":100}}}"#;

const DETAIL: &str = r#"{"id":"president-PA","state":"PA","district":null,"totals":{"A":600,"B":380},"ballots":1000,"states":[{"id":"PA","totals":{"A":600,"B":380},"ballots":1000,"overvotes":0,"undervotes":20}],"counties":[{"id":"42001","totals":{"A":60,"B":38},"ballots":100,"overvotes":0,"undervotes":2},{"id":"42003","totals":{"A":540,"B":342},"ballots":900,"overvotes":0,"undervotes":18}]}"#;

fuzz_target!(|data: &[u8]| {
    let reported = canvass_verify::levels::Reported::default();
    let findings = canvass_verify::levels::compare(data, DETAIL, Some(9), &reported);
    assert_eq!(findings.is_empty(), data == DETAIL.as_bytes());
    let _ = canvass_verify::levels::compare(
        DETAIL.as_bytes(),
        &String::from_utf8_lossy(data),
        None,
        &reported,
    );
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(p) = canvass_verify::policy::parse(text) {
            assert!(p.threshold >= 1 && p.threshold <= p.witnesses.len());
        }
    }
    let findings = compare_published(data, RECOMPUTED, Some(7));
    assert_eq!(findings.is_empty(), data == RECOMPUTED.as_bytes());
    let _ = compare_published(RECOMPUTED.as_bytes(), &String::from_utf8_lossy(data), None);
});
