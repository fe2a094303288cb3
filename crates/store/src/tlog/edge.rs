//! The right edge of the tree in memory: the current partial entry bundle and one partial hash
//! tile per level (at most 256 entries and 256 hashes per level, so memory stays flat however
//! large the log grows). Full tiles are written to disk as soon as they fill up.

use std::path::Path;

use canvass_log::merkle::root_of_hashes;
use canvass_log::tile::{TILE_WIDTH, Tile, TileKind, encode_hash_tile, node_location};
use canvass_log::{Hash, NodeSource, NodeUnavailable, leaf_hash};

use super::error::{Result, StoreError};
use super::fsutil;

/// Reads all hashes of a hash tile file, checking its length.
pub(crate) fn read_hash_tile(dir: &Path, tile: &Tile) -> Result<Vec<Hash>> {
    let path = dir.join(tile.path());
    let bytes = std::fs::read(&path).map_err(|e| {
        if e.kind() == std::io::ErrorKind::NotFound {
            StoreError::corrupt(&path, "tile file is missing")
        } else {
            StoreError::io("reading", &path, e)
        }
    })?;
    if bytes.len() != tile.hash_tile_len() {
        return Err(StoreError::corrupt(
            &path,
            format!(
                "tile is {} bytes but must be {}",
                bytes.len(),
                tile.hash_tile_len()
            ),
        ));
    }
    canvass_log::tile::decode_hash_tile(&bytes)
        .ok_or_else(|| StoreError::corrupt(&path, "bad tile length"))
}

/// In-memory right edge of the tree.
#[derive(Debug, Clone, Default)]
pub(crate) struct Edge {
    pub(crate) size: u64,
    /// The partial entry bundle, already in tlog-tiles encoding (u16 big-endian length, data).
    pub(crate) bundle: Vec<u8>,
    pub(crate) levels: Vec<Vec<Hash>>,
}

impl Edge {
    /// Rebuilds the edge for a tree of `size` (a multiple of 256) from the full tiles on disk.
    pub(crate) fn from_tiles(dir: &Path, size: u64) -> Result<Self> {
        debug_assert!(size % TILE_WIDTH == 0);
        let mut levels = vec![Vec::new()];
        let mut level: u8 = 1;
        // Level l's partial tile holds the roots of the last `width` full tiles of level l-1.
        while level < 8 && size >> (8 * u32::from(level)) > 0 {
            let below = size >> (8 * u32::from(level)); // full tiles at level-1
            let width = below % TILE_WIDTH;
            let mut hashes = Vec::with_capacity(width as usize);
            for n in below - width..below {
                let t = Tile {
                    kind: TileKind::Hash(level - 1),
                    index: n,
                    width: 256,
                };
                hashes.push(root_of_hashes(&read_hash_tile(dir, &t)?));
            }
            levels.push(hashes);
            level += 1;
        }
        Ok(Self {
            size,
            bundle: Vec::new(),
            levels,
        })
    }

    /// Appends one entry, writing any tiles that become full (not fsynced: the journal is the
    /// durability point until the next checkpoint syncs the file system).
    pub(crate) fn push(&mut self, dir: &Path, entry: &[u8]) -> Result<()> {
        self.push_hashed(dir, entry, leaf_hash(entry))
    }

    /// [`Edge::push`] with the entry's leaf hash already computed (by the appending thread,
    /// outside any lock). `entry` is at most 65535 bytes (checked by the caller).
    pub(crate) fn push_hashed(&mut self, dir: &Path, entry: &[u8], leaf: Hash) -> Result<()> {
        let index = self.size;
        let len = u16::try_from(entry.len())
            .map_err(|_| StoreError::corrupt(dir, "entry over 65535 bytes reached the tree"))?;
        self.bundle.extend_from_slice(&len.to_be_bytes());
        self.bundle.extend_from_slice(entry);
        if (index + 1) % TILE_WIDTH == 0 {
            let t = Tile {
                kind: TileKind::Entries,
                index: index / TILE_WIDTH,
                width: 256,
            };
            write_tile(dir, &t, &self.bundle)?;
            self.bundle.clear();
        }
        self.size += 1;
        let mut h = leaf;
        let mut level = 0usize;
        loop {
            if self.levels.len() == level {
                self.levels.push(Vec::new());
            }
            self.levels[level].push(h);
            if self.levels[level].len() as u64 != TILE_WIDTH {
                break;
            }
            let n = (self.size >> (8 * (level as u32 + 1))) - 1;
            // level < 8 because sizes fit in 64 bits.
            let t = Tile {
                kind: TileKind::Hash(level as u8),
                index: n,
                width: 256,
            };
            write_tile(dir, &t, &encode_hash_tile(&self.levels[level]))?;
            h = root_of_hashes(&self.levels[level]);
            self.levels[level].clear();
            level += 1;
        }
        Ok(())
    }

    /// Writes the partial tiles and bundle for the current size (as a checkpoint needs them).
    pub(crate) fn write_partials(&self, dir: &Path) -> Result<()> {
        for t in Tile::partial_tiles(self.size) {
            let bytes = match t.kind {
                TileKind::Entries => self.bundle.clone(),
                TileKind::Hash(l) => encode_hash_tile(&self.levels[usize::from(l)]),
            };
            write_tile(dir, &t, &bytes)?;
        }
        Ok(())
    }

    /// Hashes of hash tile (`level`, `index`) restricted to what exists at the current size:
    /// from memory for the partial tile, from disk otherwise.
    fn tile_hashes(&self, dir: &Path, level: u8, index: u64) -> Result<Vec<Hash>> {
        let full = Tile::full_tile_count(level, self.size);
        if index < full {
            read_hash_tile(
                dir,
                &Tile {
                    kind: TileKind::Hash(level),
                    index,
                    width: 256,
                },
            )
        } else if index == full {
            Ok(self
                .levels
                .get(usize::from(level))
                .cloned()
                .unwrap_or_default())
        } else {
            Err(StoreError::NotFound(format!("tile/{level} index {index}")))
        }
    }
}

fn write_tile(dir: &Path, t: &Tile, bytes: &[u8]) -> Result<()> {
    let path = dir.join(t.path());
    fsutil::write_atomic(&path, bytes, false)?;
    Ok(())
}

/// A [`NodeSource`] over the edge and the tiles on disk.
pub(crate) struct EdgeSource<'a> {
    pub(crate) dir: &'a Path,
    pub(crate) edge: &'a Edge,
}

impl NodeSource for EdgeSource<'_> {
    fn node(&self, level: u8, index: u64) -> Result<Hash, NodeUnavailable> {
        let loc = node_location(level, index);
        let hashes = self
            .edge
            .tile_hashes(self.dir, loc.tile_level, loc.tile_index)
            .map_err(|e| NodeUnavailable {
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
