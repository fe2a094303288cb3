//! Every inclusion and consistency vector from transparency-dev/merkle (tests/data/merkle,
//! see SOURCE.md), positive and negative, against canvass_log's verifiers; and for the happy
//! paths, proof generation over the RFC 6962 reference leaves.

mod common;

use std::fs;
use std::path::Path;

use canvass_log::{Hash, MemoryTree, verify_consistency, verify_inclusion};
use common::{Inclusion, files, hash};
use serde::Deserialize;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Consistency {
    size1: u64,
    size2: u64,
    root1: String,
    root2: String,
    proof: Option<Vec<String>>,
    desc: String,
    want_err: bool,
}

/// The vectors use 12-byte placeholders ("don't care 1/2") for roots that a correct verifier
/// only compares for equality. For those, equal placeholders map to equal 32-byte stand-ins.
fn placeholder(s: &str) -> Hash {
    let mut h = [0u8; 32];
    for (i, b) in s.bytes().enumerate() {
        h[i % 32] ^= b.wrapping_add(i as u8);
    }
    Hash(h)
}

/// Vectors in the numbered directories (`0` to `4`) are about the reference tree below.
fn from_reference_tree(p: &Path) -> bool {
    p.parent()
        .and_then(|d| d.file_name())
        .and_then(|n| n.to_str())
        .is_some_and(|n| n.parse::<u8>().is_ok())
}

/// The RFC 6962 reference leaves used by the vectors (the Certificate Transparency test tree).
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

#[test]
fn inclusion_vectors() {
    let tree = MemoryTree::from_entries(reference_leaves());
    let paths = files("inclusion");
    assert_eq!(paths.len(), 98, "expected the full vector set");
    let (mut ok, mut rejected) = (0, 0);
    for p in paths {
        let v: Inclusion = serde_json::from_slice(&fs::read(&p).expect("read")).expect("json");
        let proof: Option<Vec<Hash>> = v
            .proof
            .clone()
            .unwrap_or_default()
            .iter()
            .map(|s| hash(s))
            .collect();
        let result = match (hash(&v.root), hash(&v.leaf_hash), proof) {
            (Some(root), Some(leaf), Some(proof)) => {
                verify_inclusion(v.leaf_idx, v.tree_size, &leaf, &proof, &root)
                    .map_err(|e| e.to_string())
            }
            _ => Err("malformed hash".to_owned()),
        };
        assert_eq!(
            result.is_err(),
            v.want_err,
            "{}: {} -> {result:?}",
            p.display(),
            v.desc
        );
        if v.want_err {
            rejected += 1
        } else {
            ok += 1
        }
        if !v.want_err && from_reference_tree(&p) {
            // Happy paths: our generator must produce exactly the vector's proof.
            let ours = tree
                .inclusion_proof(v.leaf_idx, v.tree_size)
                .expect("prove");
            let theirs: Vec<Hash> = v
                .proof
                .clone()
                .unwrap_or_default()
                .iter()
                .filter_map(|s| hash(s))
                .collect();
            assert_eq!(ours, theirs, "{}", p.display());
            assert_eq!(
                Some(tree.root_at(v.tree_size)),
                hash(&v.root),
                "{}",
                p.display()
            );
        }
    }
    assert!(ok >= 5 && rejected > 50, "ok {ok} rejected {rejected}");
}

#[test]
fn consistency_vectors() {
    let tree = MemoryTree::from_entries(reference_leaves());
    // Vectors whose roots are 12-byte placeholders compared only for equality, and which a
    // correct verifier accepts.
    let placeholder_ok = ["sizes-are-equal-one-and-proof-is-empty.json"];
    let paths = files("consistency");
    assert_eq!(paths.len(), 98, "expected the full vector set");
    for p in paths {
        let name = p
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default()
            .to_owned();
        let v: Consistency = serde_json::from_slice(&fs::read(&p).expect("read")).expect("json");
        let proof: Option<Vec<Hash>> = v
            .proof
            .clone()
            .unwrap_or_default()
            .iter()
            .map(|s| hash(s))
            .collect();
        let (r1, r2) = if placeholder_ok.contains(&name.as_str()) {
            (Some(placeholder(&v.root1)), Some(placeholder(&v.root2)))
        } else {
            (hash(&v.root1), hash(&v.root2))
        };
        let result = match (r1, r2, proof) {
            (Some(r1), Some(r2), Some(proof)) => {
                verify_consistency(v.size1, v.size2, &proof, &r1, &r2).map_err(|e| e.to_string())
            }
            _ => Err("malformed hash".to_owned()),
        };
        assert_eq!(
            result.is_err(),
            v.want_err,
            "{}: {} -> {result:?}",
            p.display(),
            v.desc
        );
        if !v.want_err && from_reference_tree(&p) {
            let ours = tree.consistency_proof(v.size1, v.size2).expect("prove");
            let theirs: Vec<Hash> = v
                .proof
                .unwrap_or_default()
                .iter()
                .filter_map(|s| hash(s))
                .collect();
            assert_eq!(ours, theirs, "{}", p.display());
        }
    }
}

#[test]
fn reference_tree_roots() {
    // Roots of the RFC 6962 reference tree, from the Certificate Transparency test suite
    // (also the `root`/`root2` values of the happy-path vectors for sizes 1, 3, 5 and 8).
    let tree = MemoryTree::from_entries(reference_leaves());
    let want = [
        (
            1,
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        ),
        (
            2,
            "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        ),
        (
            3,
            "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
        ),
        (
            4,
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ),
        (
            5,
            "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
        ),
        (
            6,
            "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
        ),
        (
            7,
            "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
        ),
        (
            8,
            "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
        ),
    ];
    for (size, hex) in want {
        assert_eq!(tree.root_at(size).to_hex(), hex, "size {size}");
    }
}
