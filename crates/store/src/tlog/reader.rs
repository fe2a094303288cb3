//! Read-only access to a log directory: proofs at the published checkpoint, and a full audit
//! that recomputes every tile and the root from the entry bundles.

use std::cell::RefCell;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

use canvass_log::merkle::root_of_hashes;
use canvass_log::tile::{TILE_WIDTH, Tile, TileKind, decode_bundle, node_location};
use canvass_log::{
    Checkpoint, Hash, LogVerifier, NodeSource, NodeUnavailable, leaf_hash, tree_root,
};

use super::edge::read_hash_tile;
use super::error::{Result, StoreError};
use super::fsutil;

/// Where a log's published files are read from: a directory (`Path` implements this), or a
/// tile server (the CLI implements it over HTTP). Paths are relative to the log prefix:
/// `checkpoint`, `vkey`, `tile/<L>/<N>[.p/<W>]`, `tile/entries/<N>[.p/<W>]`.
pub trait LogSource {
    /// Reads the resource at `path`; `Ok(None)` if it does not exist.
    ///
    /// # Errors
    /// I/O or transport errors.
    fn fetch(&self, path: &str) -> Result<Option<Vec<u8>>>;

    /// Where `path` lives (a file or a URL), for error messages.
    fn locate(&self, path: &str) -> PathBuf;
}

impl LogSource for Path {
    fn fetch(&self, path: &str) -> Result<Option<Vec<u8>>> {
        fsutil::read_optional(&self.join(path))
    }

    fn locate(&self, path: &str) -> PathBuf {
        self.join(path)
    }
}

/// Reads the verifier key and the verified checkpoint of a log directory.
///
/// # Errors
/// [`StoreError::NotFound`] if either file is missing; [`StoreError::Note`] if the checkpoint
/// does not verify.
pub fn published(
    dir: &Path,
    verifier: Option<&LogVerifier>,
) -> Result<(LogVerifier, Checkpoint, String)> {
    published_from(dir, verifier)
}

/// [`published`] for any [`LogSource`]: the verifier key (`verifier`, or the source's own
/// `vkey`, which only proves self-consistency), the verified checkpoint and its note.
///
/// # Errors
/// [`StoreError::NotFound`] if either resource is missing; [`StoreError::Note`] if the
/// checkpoint does not verify.
pub fn published_from(
    src: &(impl LogSource + ?Sized),
    verifier: Option<&LogVerifier>,
) -> Result<(LogVerifier, Checkpoint, String)> {
    let verifier = match verifier {
        Some(v) => v.clone(),
        None => {
            let v = src
                .fetch("vkey")?
                .ok_or_else(|| StoreError::NotFound(src.locate("vkey").display().to_string()))?;
            LogVerifier::from_vkey(String::from_utf8_lossy(&v).trim())?
        }
    };
    let note = src
        .fetch("checkpoint")?
        .ok_or_else(|| StoreError::NotFound(src.locate("checkpoint").display().to_string()))?;
    let cp = verifier.open_checkpoint(&note)?;
    Ok((verifier, cp, String::from_utf8_lossy(&note).into_owned()))
}

/// Width of hash tile `index` at `level` in a tree of `size` (256 for full tiles).
fn tile_width(level: u8, index: u64, size: u64) -> u16 {
    if index < Tile::full_tile_count(level, size) {
        256
    } else {
        ((size >> (8 * u32::from(level))) % TILE_WIDTH) as u16
    }
}

/// Reads a hash tile from `src`, checking its length.
fn fetch_hash_tile(src: &(impl LogSource + ?Sized), t: &Tile) -> Result<Vec<Hash>> {
    let path = t.path();
    let bytes = src
        .fetch(&path)?
        .ok_or_else(|| StoreError::corrupt(&src.locate(&path), "tile is missing"))?;
    if bytes.len() != t.hash_tile_len() {
        return Err(StoreError::corrupt(
            &src.locate(&path),
            format!(
                "tile is {} bytes but must be {}",
                bytes.len(),
                t.hash_tile_len()
            ),
        ));
    }
    canvass_log::tile::decode_hash_tile(&bytes)
        .ok_or_else(|| StoreError::corrupt(&src.locate(&path), "bad tile length"))
}

/// A [`NodeSource`] over the tiles of a tree of `size` read from any [`LogSource`], keeping
/// the last few tiles it read (a proof reads several nodes from the same tile).
pub struct SourceTiles<'a, S: LogSource + ?Sized> {
    src: &'a S,
    size: u64,
    cache: RefCell<HashMap<(u8, u64), Vec<Hash>>>,
}

impl<'a, S: LogSource + ?Sized> SourceTiles<'a, S> {
    /// Reads the tree of `size` (normally a verified checkpoint's size) from `src`.
    pub fn new(src: &'a S, size: u64) -> Self {
        Self {
            src,
            size,
            cache: RefCell::new(HashMap::new()),
        }
    }
}

impl<S: LogSource + ?Sized> NodeSource for SourceTiles<'_, S> {
    fn node(&self, level: u8, index: u64) -> Result<Hash, NodeUnavailable> {
        let loc = node_location(level, index);
        let key = (loc.tile_level, loc.tile_index);
        let unavailable = |reason: String| NodeUnavailable {
            level,
            index,
            reason,
        };
        let mut cache = self.cache.borrow_mut();
        if !cache.contains_key(&key) {
            let t = Tile {
                kind: TileKind::Hash(loc.tile_level),
                index: loc.tile_index,
                width: tile_width(loc.tile_level, loc.tile_index, self.size),
            };
            let hashes = fetch_hash_tile(self.src, &t).map_err(|e| unavailable(e.to_string()))?;
            if cache.len() >= 64 {
                cache.clear();
            }
            cache.insert(key, hashes);
        }
        cache
            .get(&key)
            .and_then(|h| h.get(loc.start..loc.start + loc.count))
            .map(root_of_hashes)
            .ok_or_else(|| unavailable("beyond the tree".into()))
    }
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

fn read_bundle(src: &(impl LogSource + ?Sized), t: &Tile) -> Result<Vec<Vec<u8>>> {
    let path = t.path();
    let bytes = src
        .fetch(&path)?
        .ok_or_else(|| StoreError::corrupt(&src.locate(&path), "entry bundle is missing"))?;
    let entries = decode_bundle(&bytes)
        .map_err(|e| StoreError::corrupt(&src.locate(&path), e.to_string()))?;
    if entries.len() != usize::from(t.width) {
        return Err(StoreError::corrupt(
            &src.locate(&path),
            format!(
                "bundle holds {} entries, expected {}",
                entries.len(),
                t.width
            ),
        ));
    }
    Ok(entries.into_iter().map(<[u8]>::to_vec).collect())
}

fn compare_tile(src: &(impl LogSource + ?Sized), t: &Tile, want: &[Hash]) -> Result<()> {
    let have = fetch_hash_tile(src, t)?;
    if have != want {
        let pos = have.iter().zip(want).position(|(a, b)| a != b).unwrap_or(0);
        return Err(StoreError::corrupt(
            &src.locate(&t.path()),
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
    audit_from(dir, verifier, &mut |_, _| {})
}

/// [`audit`] for any [`LogSource`], calling `progress(bundles_done, bundles_total)` after each
/// entry bundle.
///
/// # Errors
/// [`StoreError::Corrupt`] naming the first damaged file or URL, or a checkpoint error.
pub fn audit_from(
    src: &(impl LogSource + ?Sized),
    verifier: Option<&LogVerifier>,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<AuditReport> {
    let (_, cp, _) = published_from(src, verifier)?;
    let mut levels: Vec<Vec<Hash>> = vec![Vec::new()];
    let mut files = 0u64;
    let mut leaves = 0u64;
    let bundles = cp.size.div_ceil(TILE_WIDTH);
    for n in 0..bundles {
        let width = (cp.size - n * TILE_WIDTH).min(TILE_WIDTH) as u16;
        let bundle = read_bundle(
            src,
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
                compare_tile(src, &t, &levels[level])?;
                files += 1;
                h = root_of_hashes(&levels[level]);
                levels[level].clear();
                level += 1;
            }
        }
        progress(n + 1, bundles);
    }
    for t in Tile::partial_tiles(cp.size) {
        if let TileKind::Hash(l) = t.kind {
            compare_tile(src, &t, &levels[usize::from(l)])?;
            files += 1;
        }
    }
    // Every tile of the tree now matches the entries, so the root read through them is the
    // root of the entries.
    let root = tree_root(&SourceTiles::new(src, cp.size), cp.size)
        .map_err(canvass_log::ProofError::from)?;
    if root != cp.root {
        return Err(StoreError::corrupt(
            &src.locate("checkpoint"),
            format!("checkpoint root {} but the entries give {root}", cp.root),
        ));
    }
    Ok(AuditReport {
        checkpoint: cp,
        entries: leaves,
        files_checked: files,
    })
}
