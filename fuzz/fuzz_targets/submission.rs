//! Fuzz the submission document parsers: the signed-note envelope, canonical JSON decoding
//! and the authenticate step against a one-jurisdiction roster. None may panic; a decoded
//! submission must re-encode to the same bytes.
#![no_main]

use std::sync::OnceLock;

use canvass_server::{Roster, RosterState, SecretKey, Submission, canonical, note};
use libfuzzer_sys::fuzz_target;

fn roster() -> &'static RosterState {
    static R: OnceLock<RosterState> = OnceLock::new();
    R.get_or_init(|| {
        let auth = SecretKey::from_seed("canvass/us-2020/authority", [1; 32]).unwrap();
        let key = SecretKey::from_seed("canvass/us-2020/jurisdiction/42001", [2; 32]).unwrap();
        let roster = Roster {
            election: "us-2020".into(),
            authority: auth.public().to_vkey(),
            log: auth.public().to_vkey(),
            jurisdictions: vec![canvass_server::RosterEntry {
                id: "42001".into(),
                name: "Adams County, PA".into(),
                state: "PA".into(),
                key: key.public().to_vkey(),
                counties: vec!["42001".into()],
                precincts: vec![],
            }],
            definition_sha256: None,
        };
        RosterState::new(roster).unwrap()
    })
}

fuzz_target!(|data: &[u8]| {
    let _ = note::parse(data);
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(s) = canonical::decode::<Submission>(text) {
            assert_eq!(s.to_json(), text);
        }
    }
    let _ = canvass_server::authenticate(data, roster());
});
