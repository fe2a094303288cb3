//! Fuzz target: the nist_xml reader must never panic, hang or allocate without bound.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| canvass_fuzz::read_all(data, canvass_formats::nist::xml::read));
