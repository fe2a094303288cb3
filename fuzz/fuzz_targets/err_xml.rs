//! Fuzz target: the NIST SP 1500-100 (ERR) XML reader must never panic, hang or allocate
//! without bound, whatever the report says.
#![no_main]

use std::sync::OnceLock;

use canvass_formats::medsl;
use libfuzzer_sys::fuzz_target;

/// A small definition to map reports onto (inferred from a two-precinct returns file),
/// built once: the target measures the reader, not the setup.
fn election() -> &'static medsl::Inferred {
    static E: OnceLock<medsl::Inferred> = OnceLock::new();
    E.get_or_init(|| {
        let csv = "precinct,office,party_detailed,mode,votes,county_fips,candidate,district,state_po,writein,magnitude\n\
                   1,MAYOR,DEMOCRAT,TOTAL,10,11001,ANN,,DC,FALSE,1\n\
                   2,MAYOR,REPUBLICAN,TOTAL,5,11001,BEN,,DC,FALSE,1\n";
        let r = medsl::read(csv.as_bytes(), "seed.csv").unwrap_or_default();
        medsl::infer(&r, "fuzz", "fuzz", "2024-11-05")
    })
}

fuzz_target!(|data: &[u8]| {
    let _ = canvass_formats::err::read_xml(data, "fuzz.xml", &election().election);
});
