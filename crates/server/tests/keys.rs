//! `init_keys`, the roster, rotation and revocation.

use std::os::unix::fs::PermissionsExt as _;

use canvass_server::io::{self, KeySource};
use canvass_server::{KeyAction, KeyChange, Roster, RosterError, RosterState, SecretKey};

fn us2020() -> canvass_model::Election {
    canvass_model::builtin("us-2020").unwrap().unwrap()
}

#[test]
fn init_keys_for_us_2020_writes_0600_keys_and_a_signed_roster() {
    let e = us2020();
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let init = io::init_keys(&data, &e, KeySource::Os).unwrap();
    // 3,143 counties and county-equivalents of the 50 states and DC in 2020, plus the
    // territories' county-equivalents the built-in definition carries: one key each.
    assert_eq!(init.roster.jurisdictions.len(), e.jurisdictions.len());
    assert!(e.jurisdictions.len() >= 3_143);
    let key_files = std::fs::read_dir(data.join("keys/jurisdictions"))
        .unwrap()
        .count();
    assert_eq!(key_files, e.jurisdictions.len());
    for p in [
        io::authority_key_path(&data),
        io::log_key_path(&data),
        io::jurisdiction_key_path(&data, "42001"),
    ] {
        let mode = std::fs::metadata(&p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{}", p.display());
    }
    let mode = std::fs::metadata(data.join("keys"))
        .unwrap()
        .permissions()
        .mode()
        & 0o777;
    assert_eq!(mode, 0o700);
    // The roster verifies against the authority key and names 42001's key.
    let roster = io::read_roster(&init.roster_path, Some(&init.authority)).unwrap();
    assert_eq!(roster, init.roster);
    let k = io::read_secret_key(&io::jurisdiction_key_path(&data, "42001")).unwrap();
    let entry = roster
        .jurisdictions
        .iter()
        .find(|j| j.id.as_str() == "42001")
        .unwrap();
    assert_eq!(entry.key, k.public().to_vkey());
    assert_eq!(entry.counties, vec![canvass_model::CountyId::new("42001")]);
    assert_eq!(k.name(), "canvass/us-2020/jurisdiction/42001");
    // Never overwritten.
    assert!(matches!(
        io::init_keys(&data, &e, KeySource::Os),
        Err(canvass_server::IoError::Exists(_))
    ));
}

#[test]
fn seeded_keys_are_deterministic() {
    let mut e = us2020();
    e.jurisdictions.truncate(3);
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let ra = io::init_keys(a.path(), &e, KeySource::Seeded(7)).unwrap();
    let rb = io::init_keys(b.path(), &e, KeySource::Seeded(7)).unwrap();
    assert_eq!(ra.roster, rb.roster);
    assert_eq!(
        std::fs::read(&ra.roster_path).unwrap(),
        std::fs::read(&rb.roster_path).unwrap()
    );
}

fn small_roster() -> (Roster, SecretKey, Vec<SecretKey>) {
    let mut e = us2020();
    e.jurisdictions.truncate(2);
    let auth = SecretKey::from_seed("canvass/us-2020/authority", [1; 32]).unwrap();
    let log = SecretKey::from_seed("canvass/us-2020/log", [2; 32]).unwrap();
    let ks: Vec<SecretKey> = e
        .jurisdictions
        .iter()
        .enumerate()
        .map(|(i, j)| {
            SecretKey::from_seed(
                &format!("canvass/us-2020/jurisdiction/{}", j.id),
                [10 + i as u8; 32],
            )
            .unwrap()
        })
        .collect();
    let pubs: Vec<_> = ks.iter().map(SecretKey::public).collect();
    (
        Roster::new(&e, &auth.public(), &log.public(), &pubs),
        auth,
        ks,
    )
}

#[test]
fn roster_rejects_tampering_and_other_signers() {
    let (roster, auth, ks) = small_roster();
    let doc = roster.sign(&auth);
    assert_eq!(
        Roster::open(doc.as_bytes(), Some(&auth.public())).unwrap(),
        roster
    );
    // Changing one byte of the body breaks the signature.
    let tampered = doc.replacen("Autauga", "Autauge", 1);
    assert_ne!(tampered, doc);
    assert!(matches!(
        Roster::open(tampered.as_bytes(), None),
        Err(RosterError::BadSignature { .. })
    ));
    // Signed by a jurisdiction key instead of the authority.
    assert!(matches!(
        Roster::open(roster.sign(&ks[0]).as_bytes(), None),
        Err(RosterError::BadSignature { .. })
    ));
    // A valid roster, but not the expected authority.
    let other = SecretKey::from_seed("canvass/us-2020/authority", [9; 32]).unwrap();
    assert!(Roster::open(doc.as_bytes(), Some(&other.public())).is_err());
    // Whitespace inside the JSON is not canonical.
    let spaced = doc.replacen("{\"election\":", "{ \"election\":", 1);
    assert!(matches!(
        Roster::open(spaced.as_bytes(), None),
        Err(RosterError::NotCanonical { .. })
    ));
}

#[test]
fn rotation_and_revocation() {
    let (roster, auth, ks) = small_roster();
    let j0 = roster.jurisdictions[0].id.clone();
    let mut st = RosterState::new(roster).unwrap();
    let k0 = ks[0].public();
    assert_eq!(st.key(k0.name(), k0.id()).unwrap().revoked_by, None);
    let new = SecretKey::from_seed(k0.name(), [99; 32]).unwrap();
    let rotate = KeyChange {
        election: "us-2020".into(),
        sequence: 1,
        jurisdiction: j0.clone(),
        timestamp: 1_604_430_000,
        reason: "scheduled rotation".into(),
        change: KeyAction::Rotate {
            new: new.public().to_vkey(),
        },
    };
    // Signed by someone other than the authority: refused.
    assert!(matches!(
        st.apply_signed(rotate.sign(&ks[1]).as_bytes()),
        Err(RosterError::BadSignature { .. })
    ));
    st.apply_signed(rotate.sign(&auth).as_bytes()).unwrap();
    assert_eq!(st.key(k0.name(), k0.id()).unwrap().revoked_by, Some(1));
    assert_eq!(st.key(new.name(), new.id()).unwrap().revoked_by, None);
    // Out of sequence (1 again).
    assert!(matches!(
        st.apply(&rotate),
        Err(RosterError::BadChange { sequence: 1, .. })
    ));
    // Revoking another jurisdiction's key in j0's name is refused.
    let mut revoke = KeyChange {
        sequence: 2,
        change: KeyAction::Revoke {
            key: ks[1].public().to_vkey(),
        },
        reason: "key lost".into(),
        ..rotate.clone()
    };
    assert!(st.apply(&revoke).is_err());
    revoke.jurisdiction = st.roster().jurisdictions[1].id.clone();
    st.apply(&revoke).unwrap();
    assert_eq!(
        st.key(ks[1].name(), ks[1].id()).unwrap().revoked_by,
        Some(2)
    );
    assert_eq!(st.changes(), 2);
}
