//! Fuzz target: Dominion manifests and CvrExport JSON must never panic or hang.
//! The input's first byte picks what to fuzz: a manifest, or an export against fixed manifests.
#![no_main]

use canvass_formats::dominion::{Manifests, read_export};
use canvass_formats::{ReadStats, SourceOptions};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&which, rest)) = data.split_first() else { return };
    let mut m = Manifests::default();
    if which % 2 == 0 {
        let _ = m.add("CandidateManifest.json", "fuzz", rest);
        return;
    }
    let _ = m.add("CandidateManifest.json", "c", br#"{"List":[{"Description":"A","Id":5,"ContestId":1},{"Description":"B","Id":6,"ContestId":1}]}"#);
    let _ = m.add("ContestManifest.json", "c", br#"{"List":[{"Description":"Mayor","Id":1}]}"#);
    let _ = m.add("PrecinctPortionManifest.json", "p", br#"{"List":[{"Description":"P1","Id":9}]}"#);
    let _ = m.add("OutstackConditionManifest.json", "o", br#"{"List":[{"Description":"InvalidContest","Id":7}]}"#);
    let mut stats = ReadStats::default();
    let _ = read_export(rest, "fuzz.json", &m, &SourceOptions::default(), &mut |_| Ok(()), &mut stats);
});
