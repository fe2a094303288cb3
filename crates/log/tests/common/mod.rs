//! Shared loading of the transparency-dev/merkle vectors (tests/data/merkle, see SOURCE.md).
#![allow(dead_code)] // each test binary uses part of this module

use std::fs;
use std::path::{Path, PathBuf};

use base64::Engine as _;
use canvass_log::Hash;
use serde::Deserialize;

/// One inclusion-proof vector.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Inclusion {
    pub leaf_idx: u64,
    pub tree_size: u64,
    pub root: String,
    pub leaf_hash: String,
    pub proof: Option<Vec<String>>,
    pub desc: String,
    pub want_err: bool,
}

/// Every `.json` vector under tests/data/merkle/`dir`, sorted.
pub fn files(dir: &str) -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/merkle")
        .join(dir);
    let mut out = Vec::new();
    let mut stack = vec![root];
    while let Some(d) = stack.pop() {
        for e in fs::read_dir(&d).expect("read vector dir") {
            let p = e.expect("dir entry").path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "json") {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// Decodes a vector hash. Our API takes typed 32-byte hashes, so a value of another length can
/// never reach the verifier: `None` means "rejected before verification".
pub fn hash(s: &str) -> Option<Hash> {
    let bytes = base64::engine::general_purpose::STANDARD.decode(s).ok()?;
    Hash::from_slice(&bytes)
}
