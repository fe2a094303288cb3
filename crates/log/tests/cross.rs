//! Cross-checks against independent implementations: `ct-merkle` (roots and proofs),
//! `tlog_tiles` (roots, proofs, tile paths) and `signed_note` (keys and note signatures).

use canvass_log::tile::{Tile, TileKind};
use canvass_log::{Hash, LogSigner, LogVerifier, MemoryTree, verify_consistency, verify_inclusion};
use ct_merkle::mem_backed_tree::MemoryBackedTree;
use proptest::prelude::*;
use sha2_011::Sha256;
use tlog_tiles::tlog as tt;

/// A `tlog_tiles` hash store (Go tlog layout) built by its own `stored_hashes`.
struct GoStore(Vec<tt::Hash>);

impl tt::HashReader for GoStore {
    fn read_hashes(&self, indexes: &[u64]) -> Result<Vec<tt::Hash>, tt::Error> {
        Ok(indexes.iter().map(|&i| self.0[i as usize]).collect())
    }
}

fn go_store(entries: &[Vec<u8>]) -> GoStore {
    let mut s = GoStore(Vec::new());
    for (n, e) in entries.iter().enumerate() {
        let new = tt::stored_hashes(n as u64, e, &s).expect("stored hashes");
        s.0.extend(new);
    }
    s
}

fn ours(h: &tt::Hash) -> Hash {
    Hash(h.0)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn roots_and_proofs_match_ct_merkle(
        entries in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..8), 1..80),
        pick in any::<prop::sample::Index>(),
        pick_old in any::<prop::sample::Index>(),
    ) {
        let tree = MemoryTree::from_entries(&entries);
        let mut ct = MemoryBackedTree::<Sha256, Vec<u8>>::new();
        for e in &entries {
            ct.push(e.clone());
        }
        let n = entries.len() as u64;
        let (r1, r2) = (tree.root(), ct.root());
        prop_assert_eq!(r1.0.as_slice(), r2.as_bytes().as_slice());

        let idx = pick.index(entries.len()) as u64;
        let proof = tree.inclusion_proof(idx, n).expect("inclusion");
        let ct_proof = ct.prove_inclusion(idx as usize);
        let flat: Vec<u8> = proof.iter().flat_map(|h| h.0).collect();
        prop_assert_eq!(flat.as_slice(), ct_proof.as_bytes());
        prop_assert!(verify_inclusion(idx, n, &canvass_log::leaf_hash(&entries[idx as usize]), &proof, &tree.root()).is_ok());

        let old = pick_old.index(entries.len()) as u64 + 1;
        let cproof = tree.consistency_proof(old, n).expect("consistency");
        if old < n {
            let ct_c = ct.prove_consistency((n - old) as usize);
            let flat: Vec<u8> = cproof.iter().flat_map(|h| h.0).collect();
            prop_assert_eq!(flat.as_slice(), ct_c.as_bytes());
        }
        prop_assert!(verify_consistency(old, n, &cproof, &tree.root_at(old), &tree.root()).is_ok());
        // A different old root must fail.
        let mut bad = tree.root_at(old);
        bad.0[0] ^= 1;
        prop_assert!(verify_consistency(old, n, &cproof, &bad, &tree.root()).is_err());
    }

    #[test]
    fn roots_and_proofs_match_tlog_tiles(
        entries in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..8), 1..300),
        pick in any::<prop::sample::Index>(),
        pick_old in any::<prop::sample::Index>(),
    ) {
        let tree = MemoryTree::from_entries(&entries);
        let go = go_store(&entries);
        let n = entries.len() as u64;
        prop_assert_eq!(ours(&tt::tree_hash(n, &go).expect("tree hash")), tree.root());
        let idx = pick.index(entries.len()) as u64;
        let p: Vec<Hash> = tt::prove_record(n, idx, &go).expect("prove").iter().map(ours).collect();
        prop_assert_eq!(p, tree.inclusion_proof(idx, n).expect("inclusion"));
        let old = pick_old.index(entries.len()) as u64 + 1;
        let p: Vec<Hash> = tt::prove_tree(n, old, &go).expect("prove tree").iter().map(ours).collect();
        prop_assert_eq!(p, tree.consistency_proof(old, n).expect("consistency"));
    }

    #[test]
    fn tile_paths_match_tlog_tiles(level in 0u8..64, index in any::<u64>(), width in 1u16..=256, entries in any::<bool>()) {
        let kind = if entries { TileKind::Entries } else { TileKind::Hash(level) };
        let t = Tile { kind, index, width };
        let go = tlog_tiles::Tile::new(8, if entries { 0 } else { level }, index, u32::from(width), entries);
        // tlog_tiles writes Go sumdb paths `tile/8/<L>/...` and `tile/8/data/...`.
        let go_path = go.path();
        let expected = go_path.replacen("tile/8/", "tile/", 1).replacen("tile/data/", "tile/entries/", 1);
        prop_assert_eq!(t.path(), expected);
        prop_assert_eq!(t.path().parse::<Tile>(), Ok(t));
    }
}

#[test]
fn log_keys_interoperate_with_signed_note() {
    let signer = LogSigner::from_seed("canvass.example/log", [7u8; 32]).expect("signer");
    let skey = signer.to_skey();
    let vkey = signer.verifier().to_vkey();
    // signed_note parses our encodings and checks our key ids.
    let theirs = signed_note::StandardSigner::new(&skey).expect("signed_note parses our skey");
    signed_note::StandardVerifier::new(&vkey).expect("signed_note parses our vkey");
    assert_eq!(
        LogVerifier::from_vkey(&vkey).expect("round trip").to_vkey(),
        vkey
    );
    assert_eq!(
        LogSigner::from_skey(&skey).expect("round trip").to_skey(),
        skey
    );

    // A checkpoint signed by signed_note's own signer verifies with our verifier.
    let cp = canvass_log::Checkpoint {
        origin: "canvass.example/log".into(),
        size: 3,
        root: canvass_log::leaf_hash(b"x"),
        extensions: vec![],
    };
    let mut note = signed_note::Note::new(cp.to_text().as_bytes(), &[]).expect("note");
    note.add_sigs(&[&theirs]).expect("sign");
    let opened = signer
        .verifier()
        .open_checkpoint(&note.to_bytes())
        .expect("verify");
    assert_eq!(opened, cp);
    // And ours is byte-identical (Ed25519 is deterministic).
    assert_eq!(
        signer.sign_checkpoint(&cp).expect("sign").into_bytes(),
        note.to_bytes()
    );
}

#[test]
fn spec_example_signed_note_verifies() {
    // The example verifier key and signed note from c2sp signed-note.md.
    let vkey = "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k";
    let note = "This is an example message.\n\n\u{2014} example.com/foo Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM=\n";
    let v = LogVerifier::from_vkey(vkey).expect("spec vkey parses");
    assert_eq!(v.to_vkey(), vkey);
    assert_eq!(
        v.verify_note(note.as_bytes()).as_deref(),
        Ok("This is an example message.\n")
    );
    let tampered = note.replace("example message", "example massage");
    assert!(v.verify_note(tampered.as_bytes()).is_err());
    // Not a checkpoint body.
    assert!(v.open_checkpoint(note.as_bytes()).is_err());
}
