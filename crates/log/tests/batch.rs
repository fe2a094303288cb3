//! The batch verifier and prover (`InclusionVerifier`, `InclusionProver`): every
//! transparency-dev inclusion vector (tests/data/merkle, see SOURCE.md) gives the same verdict
//! with a fresh verifier and with one that has already proven every path of the tree; tampering
//! with any proof hash, the leaf or the index is rejected however warm the verifier is; the
//! prover gives exactly the single-proof generator's hashes in any order.

mod common;

use std::fs;

use canvass_log::{
    DEFAULT_CACHE_NODES, Hash, InclusionProver, InclusionVerifier, MemoryTree, VerifyError,
    inclusion_proof, leaf_hash, verify_inclusion,
};
use common::{Inclusion, files, hash};
use proptest::prelude::*;

/// The RFC 6962 reference leaves the numbered vector directories are about.
fn reference_leaves() -> Vec<Vec<u8>> {
    vec![
        vec![],
        vec![0x00],
        vec![0x10],
        vec![0x20, 0x21],
        vec![0x30, 0x31],
        vec![0x40, 0x41, 0x42, 0x43],
        vec![0x50, 0x51, 0x52, 0x53, 0x54, 0x55, 0x56, 0x57],
        (0x60..=0x6f).collect(),
    ]
}

/// Proves every leaf of the first `size` reference leaves into `v`, in the given order.
fn warm(v: &mut InclusionVerifier, tree: &MemoryTree, size: u64, order: &[u64]) {
    let leaves = reference_leaves();
    for &i in order {
        let proof = tree.inclusion_proof(i, size).expect("prove");
        v.verify(i, &leaf_hash(&leaves[i as usize]), &proof)
            .expect("a generated proof verifies");
    }
}

#[test]
fn inclusion_vectors_fresh_and_warm() {
    let tree = MemoryTree::from_entries(reference_leaves());
    let paths = files("inclusion");
    assert_eq!(paths.len(), 98, "expected the full vector set");
    let (mut warm_checked, mut warm_rejected) = (0, 0);
    for p in paths {
        let v: Inclusion = serde_json::from_slice(&fs::read(&p).expect("read")).expect("json");
        let proof: Option<Vec<Hash>> = v
            .proof
            .clone()
            .unwrap_or_default()
            .iter()
            .map(|s| hash(s))
            .collect();
        let (Some(root), Some(leaf), Some(proof)) = (hash(&v.root), hash(&v.leaf_hash), proof)
        else {
            // A hash that is not 32 bytes cannot be expressed in the typed API.
            assert!(v.want_err, "{}", p.display());
            continue;
        };
        let mut fresh = InclusionVerifier::new(v.tree_size, root);
        let got = fresh.verify(v.leaf_idx, &leaf, &proof);
        assert_eq!(got.is_err(), v.want_err, "{} fresh: {got:?}", p.display());
        // The single verifier agrees.
        let single = verify_inclusion(v.leaf_idx, v.tree_size, &leaf, &proof, &root);
        assert_eq!(single.is_err(), got.is_err(), "{}", p.display());

        // Warm: when the vector's (size, root) is a real reference tree, prove every leaf
        // first, in three orders, then the vector must get the same verdict.
        let n = v.tree_size;
        if n == 0 || n > 8 || tree.root_at(n) != root {
            continue;
        }
        let up: Vec<u64> = (0..n).collect();
        let down: Vec<u64> = (0..n).rev().collect();
        let others: Vec<u64> = (0..n).filter(|&i| i != v.leaf_idx).collect();
        for order in [&up, &down, &others] {
            // Only the last path; the levels near the root too; every node.
            for budget in [0, 3, DEFAULT_CACHE_NODES] {
                let mut w = InclusionVerifier::with_cache_nodes(n, root, budget);
                warm(&mut w, &tree, n, order);
                let got = w.verify(v.leaf_idx, &leaf, &proof);
                assert_eq!(got.is_err(), v.want_err, "{} warm: {got:?}", p.display());
                warm_checked += 1;
                warm_rejected += usize::from(got.is_err());
            }
        }
    }
    // 47 vectors are about a real reference root (sizes 1 to 8): the happy paths and every
    // tampered proof, leaf and index; each is checked after three warm-ups, with three budgets.
    assert_eq!(warm_checked, 9 * 47, "warm checks");
    assert!(
        warm_rejected >= 9 * 30,
        "only {warm_rejected} warm rejections"
    );
}

#[test]
fn wrong_leaf_next_to_a_proven_one_names_the_proven_node() {
    // Tree of 4 leaves; after leaf 0 is proven, leaf 1 is its proven sibling (level 0, index 1).
    let tree = MemoryTree::from_entries([b"a", b"b", b"c", b"d"]);
    let mut v = InclusionVerifier::new(4, tree.root());
    v.verify(0, &leaf_hash(b"a"), &tree.inclusion_proof(0, 4).expect("p"))
        .expect("leaf 0");
    let err = v
        .verify(1, &leaf_hash(b"x"), &tree.inclusion_proof(1, 4).expect("p"))
        .expect_err("wrong leaf");
    assert_eq!(err, VerifyError::PathMismatch { level: 0, index: 1 });
    // The correct leaf still verifies afterwards (a failure changes nothing remembered).
    v.verify(1, &leaf_hash(b"b"), &tree.inclusion_proof(1, 4).expect("p"))
        .expect("leaf 1");
    // Wrong length and out of range are reported as by the single verifier.
    assert_eq!(
        v.verify(4, &leaf_hash(b"a"), &[]),
        Err(VerifyError::IndexOutOfRange { index: 4, size: 4 })
    );
    assert_eq!(
        v.verify(2, &leaf_hash(b"c"), &[]),
        Err(VerifyError::WrongProofLength { got: 0, want: 2 })
    );
}

#[test]
fn one_leaf_tree() {
    let root = leaf_hash(b"only");
    let mut v = InclusionVerifier::new(1, root);
    v.verify(0, &root, &[]).expect("leaf is the root");
    assert!(v.verify(0, &leaf_hash(b"other"), &[]).is_err());
    assert!(v.verify(0, &root, &[root]).is_err());
}

/// A change to one part of a valid `(index, leaf, proof)`.
#[derive(Debug, Clone)]
enum Tamper {
    /// Flip one bit of proof hash `which` (modulo the proof length).
    ProofBit { which: usize, bit: u8 },
    /// Flip one bit of the leaf hash.
    LeafBit { bit: u8 },
    /// Claim another index (`index + delta`, modulo the size).
    Index { delta: u64 },
    /// Claim the leaf of another entry.
    OtherLeaf { delta: u64 },
    /// Swap two proof hashes.
    Swap { a: usize, b: usize },
}

fn tamper() -> impl Strategy<Value = Tamper> {
    prop_oneof![
        (any::<usize>(), any::<u8>()).prop_map(|(which, bit)| Tamper::ProofBit { which, bit }),
        any::<u8>().prop_map(|bit| Tamper::LeafBit { bit }),
        (1u64..1000).prop_map(|delta| Tamper::Index { delta }),
        (1u64..1000).prop_map(|delta| Tamper::OtherLeaf { delta }),
        (any::<usize>(), any::<usize>()).prop_map(|(a, b)| Tamper::Swap { a, b }),
    ]
}

fn flip(h: &mut Hash, bit: u8) {
    h.0[usize::from(bit / 8) % 32] ^= 1 << (bit % 8);
}

fn entry(i: u64) -> [u8; 8] {
    i.to_le_bytes()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Valid proofs in any order verify; a tampered one is rejected by a verifier that has
    /// proven any set of other paths (remembering only the last path, some levels near the
    /// root, or every node), and rejecting it changes nothing.
    #[test]
    fn tampering_is_rejected_however_warm(
        n in 1u64..300,
        order in prop::collection::vec(any::<prop::sample::Index>(), 0..64),
        sequential in any::<bool>(),
        budget in prop_oneof![Just(0usize), 1usize..80, Just(DEFAULT_CACHE_NODES)],
        target in any::<prop::sample::Index>(),
        t in tamper(),
    ) {
        let tree = MemoryTree::from_entries((0..n).map(entry));
        let root = tree.root();
        let mut v = InclusionVerifier::with_cache_nodes(n, root, budget);
        let picks: Vec<u64> = if sequential {
            (0..n).collect()
        } else {
            order.iter().map(|i| i.index(n as usize) as u64).collect()
        };
        for &i in &picks {
            let proof = tree.inclusion_proof(i, n).expect("prove");
            prop_assert_eq!(v.verify(i, &leaf_hash(&entry(i)), &proof), Ok(()));
        }

        let i = target.index(n as usize) as u64;
        let mut proof = tree.inclusion_proof(i, n).expect("prove");
        let mut leaf = leaf_hash(&entry(i));
        let mut index = i;
        let changed = match t {
            Tamper::ProofBit { which, bit } if !proof.is_empty() => {
                let k = which % proof.len();
                flip(&mut proof[k], bit);
                true
            }
            Tamper::LeafBit { bit } => {
                flip(&mut leaf, bit);
                true
            }
            Tamper::Index { delta } if n > 1 => {
                index = (i + delta % (n - 1) + 1) % n;
                true
            }
            Tamper::OtherLeaf { delta } if n > 1 => {
                leaf = leaf_hash(&entry((i + delta % (n - 1) + 1) % n));
                true
            }
            Tamper::Swap { a, b } if proof.len() > 1 => {
                let (a, b) = (a % proof.len(), b % proof.len());
                proof.swap(a, b);
                a != b && proof[a] != proof[b]
            }
            _ => false,
        };
        let got = v.verify(index, &leaf, &proof);
        let single = verify_inclusion(index, n, &leaf, &proof, &root);
        if changed {
            prop_assert!(got.is_err(), "tampered proof accepted: {:?}", t);
            prop_assert!(single.is_err());
        } else {
            prop_assert_eq!(got, Ok(()));
        }
        // Nothing was poisoned: every leaf still verifies.
        for j in 0..n {
            let proof = tree.inclusion_proof(j, n).expect("prove");
            prop_assert_eq!(v.verify(j, &leaf_hash(&entry(j)), &proof), Ok(()));
        }
    }

    /// The prover gives the single generator's proof for any sequence of indices.
    #[test]
    fn prover_matches_single_generation(
        n in 1u64..400,
        order in prop::collection::vec(any::<prop::sample::Index>(), 1..64),
    ) {
        let tree = MemoryTree::from_entries((0..n).map(entry));
        let mut p = InclusionProver::new(&tree, n);
        let mut out = Vec::new();
        let seq = (0..n).chain(order.iter().map(|i| i.index(n as usize) as u64));
        for i in seq {
            p.prove_into(i, &mut out).expect("prove");
            prop_assert_eq!(&out, &inclusion_proof(&tree, i, n).expect("single"));
        }
        prop_assert!(p.prove_into(n, &mut out).is_err());
        prop_assert!(out.is_empty());
    }
}

#[test]
fn prover_on_smaller_tree_than_source() {
    // Proofs for size 5 from a tree holding 8 leaves: partial right subtrees are hashed, and the
    // result matches the transparency-dev happy path for leaf 1 of size 5 (inclusion/4).
    let tree = MemoryTree::from_entries(reference_leaves());
    let mut p = InclusionProver::new(&tree, 5);
    let mut out = Vec::new();
    p.prove_into(1, &mut out).expect("prove");
    let want: Vec<Hash> = [
        "bjQLnP+zepicpUTmu3gKLHiQHT+zNzh2hRGjBhevoB0=",
        "Xwg/ChozygdqlSeYMlgNs+DvRYS9/x9UyKNg9Q3jAx4=",
        "vBoGQ7EuTS18d5GPROD095qDi2z57FtcKD4fTYhZnms=",
    ]
    .iter()
    .filter_map(|s| hash(s))
    .collect();
    assert_eq!(out, want);
}
