//! Fuzzes the transparency log parsers (tile paths, checkpoints, entry bundles, witness
//! requests, verifier keys, signed notes) and checks their round trips.
#![no_main]

use canvass_log::tile::{Tile, decode_bundle, encode_bundle};
use canvass_log::witness::AddCheckpoint;
use canvass_log::{Checkpoint, LogVerifier};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(t) = text.parse::<Tile>() {
            assert_eq!(t.path(), text, "tile paths are canonical");
        }
        if let Ok(cp) = Checkpoint::parse(text) {
            assert_eq!(cp.to_text(), text, "checkpoint text round trips");
        }
        let _ = LogVerifier::from_vkey(text);
    }
    if let Ok(entries) = decode_bundle(data) {
        assert_eq!(encode_bundle(&entries).ok().as_deref(), Some(data), "bundles round trip");
    }
    if let Ok(req) = AddCheckpoint::parse(data) {
        let again = AddCheckpoint::parse(&req.to_body()).ok();
        assert_eq!(again.as_ref(), Some(&req), "witness requests round trip");
    }
    let v = LogVerifier::from_vkey("example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k");
    if let Ok(v) = v {
        let _ = v.verify_note(data);
    }
});
