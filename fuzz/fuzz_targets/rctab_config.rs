//! Fuzz target: the RCTab config reader must never panic on any text, and a config it
//! accepts must name at least one CVR source.
#![no_main]

use std::path::Path;

use canvass_formats::rctab::parse_config;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(config) = parse_config(text, "fuzz_config.json", Path::new("/fuzz")) {
            assert!(!config.sources.is_empty());
        }
    }
});
