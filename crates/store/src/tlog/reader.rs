//! Read-only access to a log directory: proofs at the published checkpoint, and a full audit
//! that recomputes every tile and the root from the entry bundles.

use std::path::{Path, PathBuf};

use canvass_log::merkle::root_of_hashes;
use canvass_log::tile::{TILE_WIDTH, Tile, TileKind, decode_bundle, node_location};
use canvass_log::{
    Checkpoint, Hash, LogVerifier, NodeSource, NodeUnavailable, leaf_hash, tree_root,
};

use super::edge::{Edge, EdgeSource, read_hash_tile};
use super::error::{Result, StoreError};
use super::fsutil;

/// Reads the verifier key and the verified checkpoint of a log directory.
///
/// # Errors
/// [`StoreError::NotFound`] if either file is missing; [`StoreError::Note`] if the checkpoint
/// does not verify.
pub fn published(
    dir: &Path,
    verifier: Option<&LogVerifier>,
) -> Result<(LogVerifier, Checkpoint, String)> {
    let verifier = match verifier {
        Some(v) => v.clone(),
        None => {
            let p = dir.join("vkey");
            let v = fsutil::read_optional(&p)?
                .ok_or_else(|| StoreError::NotFound(p.display().to_string()))?;
            LogVerifier::from_vkey(String::from_utf8_lossy(&v).trim())?
        }
    };
    let p = dir.join("checkpoint");
    let note =
        fsutil::read_optional(&p)?.ok_or_else(|| StoreError::NotFound(p.display().to_string()))?;
    let cp = verifier.open_checkpoint(&note)?;
    Ok((verifier, cp, String::from_utf8_lossy(&note).into_owned()))
}

/// A [`NodeSource`] over the tile files of a tree of `size` (full tiles plus the partial tiles
/// written for a checkpoint of that size).
#[derive(Debug, Clone)]
pub struct TileReader {
    dir: PathBuf,
    size: u64,
}

impl TileReader {
    /// Reads the tree of `size` in `dir` (normally a published checkpoint's size).
    pub fn new(dir: impl Into<PathBuf>, size: u64) -> Self {
        Self {
            dir: dir.into(),
            size,
        }
    }
}

impl NodeSource for TileReader {
    fn node(&self, level: u8, index: u64) -> Result<Hash, NodeUnavailable> {
        let loc = node_location(level, index);
        let full = Tile::full_tile_count(loc.tile_level, self.size);
        let width = if loc.tile_index < full {
            256
        } else {
            ((self.size >> (8 * u32::from(loc.tile_level))) % TILE_WIDTH) as u16
        };
        let t = Tile {
            kind: TileKind::Hash(loc.tile_level),
            index: loc.tile_index,
            width,
        };
        let hashes = read_hash_tile(&self.dir, &t).map_err(|e| NodeUnavailable {
            level,
            index,
            reason: e.to_string(),
        })?;
        hashes
            .get(loc.start..loc.start + loc.count)
            .map(root_of_hashes)
            .ok_or_else(|| NodeUnavailable {
                level,
                index,
                reason: "beyond the tree".into(),
            })
    }
}

/// What an audit checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditReport {
    /// The verified checkpoint.
    pub checkpoint: Checkpoint,
    /// Entries re-hashed.
    pub entries: u64,
    /// Tile and bundle files compared byte for byte.
    pub files_checked: u64,
}

fn read_bundle(dir: &Path, t: &Tile) -> Result<Vec<Vec<u8>>> {
    let path = dir.join(t.path());
    let bytes = fsutil::read_optional(&path)?
        .ok_or_else(|| StoreError::corrupt(&path, "entry bundle is missing"))?;
    let entries = decode_bundle(&bytes).map_err(|e| StoreError::corrupt(&path, e.to_string()))?;
    if entries.len() != usize::from(t.width) {
        return Err(StoreError::corrupt(
            &path,
            format!(
                "bundle holds {} entries, expected {}",
                entries.len(),
                t.width
            ),
        ));
    }
    Ok(entries.into_iter().map(<[u8]>::to_vec).collect())
}

fn compare_tile(dir: &Path, t: &Tile, want: &[Hash]) -> Result<()> {
    let have = read_hash_tile(dir, t)?;
    if have != want {
        let pos = have.iter().zip(want).position(|(a, b)| a != b).unwrap_or(0);
        return Err(StoreError::corrupt(
            &dir.join(t.path()),
            format!("hash {pos} differs from the hash recomputed from the entries"),
        ));
    }
    Ok(())
}

/// Recomputes every hash tile and the root from the entry bundles of the tree at the published
/// checkpoint and checks the checkpoint signature (with `verifier`, or the directory's `vkey`).
/// Memory use is flat: one bundle and one tile per level at a time.
///
/// # Errors
/// [`StoreError::Corrupt`] naming the first damaged file, or a checkpoint error.
pub fn audit(dir: &Path, verifier: Option<&LogVerifier>) -> Result<AuditReport> {
    let (_, cp, _) = published(dir, verifier)?;
    let mut levels: Vec<Vec<Hash>> = vec![Vec::new()];
    let mut files = 0u64;
    let mut last_bundle = Vec::new();
    let mut leaves = 0u64;
    let bundles = cp.size.div_ceil(TILE_WIDTH);
    for n in 0..bundles {
        let width = (cp.size - n * TILE_WIDTH).min(TILE_WIDTH) as u16;
        let bundle = read_bundle(
            dir,
            &Tile {
                kind: TileKind::Entries,
                index: n,
                width,
            },
        )?;
        files += 1;
        for e in &bundle {
            leaves += 1;
            let mut h = leaf_hash(e);
            let mut level = 0usize;
            loop {
                if levels.len() == level {
                    levels.push(Vec::new());
                }
                levels[level].push(h);
                if levels[level].len() as u64 != TILE_WIDTH {
                    break;
                }
                let done = (leaves >> (8 * (level as u32 + 1))) - 1;
                let t = Tile {
                    kind: TileKind::Hash(level as u8),
                    index: done,
                    width: 256,
                };
                compare_tile(dir, &t, &levels[level])?;
                files += 1;
                h = root_of_hashes(&levels[level]);
                levels[level].clear();
                level += 1;
            }
        }
        if width < 256 {
            last_bundle = canvass_log::tile::encode_bundle(&bundle)
                .map_err(|e| StoreError::corrupt(dir, e.to_string()))?;
        }
    }
    for t in Tile::partial_tiles(cp.size) {
        if let TileKind::Hash(l) = t.kind {
            compare_tile(dir, &t, &levels[usize::from(l)])?;
            files += 1;
        }
    }
    let edge = Edge {
        size: cp.size,
        bundle: last_bundle,
        levels,
    };
    let root = tree_root(&EdgeSource { dir, edge: &edge }, cp.size)
        .map_err(canvass_log::ProofError::from)?;
    if root != cp.root {
        return Err(StoreError::corrupt(
            &dir.join("checkpoint"),
            format!("checkpoint root {} but the entries give {root}", cp.root),
        ));
    }
    Ok(AuditReport {
        checkpoint: cp,
        entries: leaves,
        files_checked: files,
    })
}
