//! Fuzz target: the MEDSL returns reader, inference and mapping must never panic, hang or
//! allocate without bound.
#![no_main]

use canvass_formats::medsl::{self, Aliases};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(r) = medsl::read(data, "fuzz.csv") {
        let inferred = medsl::infer(&r, "fuzz", "fuzz", "2024-11-05");
        let aliases = Aliases { ignore_contests: inferred.left_out.clone(), ..Aliases::default() };
        let _ = medsl::map(&r, &inferred.election, &aliases);
    }
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = Aliases::from_toml(text, "fuzz.toml");
    }
});
