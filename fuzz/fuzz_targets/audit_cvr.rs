//! Fuzz the cast vote record CSV parser of ballot-comparison audits
//! (`canvass_audit::workflow::cvr::parse_cvr_csv`) against a fuzzed manifest (the input is
//! `MANIFEST\n---\nCVRS`): it must never panic, and every ballot it accepts must be a ballot of
//! the manifest. Small manifests also check the manifest's run-by-run draw against the plain
//! consistent sampler over every id.
#![no_main]

use canvass_audit::fastdraw::IdSource;
use canvass_audit::parse_manifest_csv;
use canvass_audit::workflow::cvr::parse_cvr_csv;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (manifest, cvrs) = text.split_once("\n---\n").unwrap_or((text, ""));
    let Ok(m) = parse_manifest_csv("manifest.csv", manifest) else {
        return;
    };
    let total = m.total_ballots();
    if total <= 300 {
        let ids: Vec<String> = (0..total).map(|i| m.id(i)).collect();
        let plain = canvass_audit::consistent_sample("12345678901234567890", &ids, true, 10)
            .expect("manifest ids are distinct");
        let fast = m.draw("12345678901234567890", true, 10, 2);
        assert_eq!(plain.len(), fast.len());
        for (p, f) in plain.iter().zip(&fast) {
            assert_eq!(p, &f.draw);
        }
    }
    let Some(j) = m.batches().first().map(|b| b.jurisdiction.clone()) else {
        return;
    };
    let Ok(parsed) = parse_cvr_csv("cvrs.csv", cvrs, &j, &m) else {
        return;
    };
    if total <= 100_000 {
        let ids: std::collections::HashSet<String> = (0..total).map(|i| m.id(i)).collect();
        for id in parsed.keys() {
            assert!(ids.contains(id), "{id} is not a ballot of the manifest");
        }
    }
});
