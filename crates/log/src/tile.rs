//! Tile addressing and entry bundles from C2SP tlog-tiles
//! (<https://c2sp.org/tlog-tiles>, copy in `shared/reference/tlog/c2sp/tlog-tiles.md`).
//!
//! ```text
//! tile/0/x001/x234/067        full level-0 tile 1234067 (256 leaf hashes, 8192 bytes)
//! tile/1/000.p/17             partial level-1 tile 0 of width 17
//! tile/entries/x001/234.p/5   partial entry bundle 1234 holding 5 entries
//! ```
//!
//! The `n`-th tile at level `l` holds `MTH(D[(n*256+i) * 256^l : (n*256+i+1) * 256^l])` for
//! `i` in `0..width`. Entry bundles are sequences of big-endian `u16` length-prefixed entries.

use std::fmt;
use std::str::FromStr;

use crate::hash::{HASH_SIZE, Hash};

/// Tile height: each tile spans 8 levels of the tree.
pub const TILE_HEIGHT: u8 = 8;
/// Hashes (or entries) in a full tile.
pub const TILE_WIDTH: u64 = 256;
/// Largest entry an entry bundle can hold (the length prefix is a `u16`).
pub const MAX_ENTRY_SIZE: usize = u16::MAX as usize;

/// What a tile holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TileKind {
    /// A Merkle tree hash tile at this level (0 to 63).
    Hash(u8),
    /// An entry bundle.
    Entries,
}

/// A tile or entry bundle address: kind, index within its level, and width (1 to 256).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Tile {
    /// Hash tile level, or entry bundle.
    pub kind: TileKind,
    /// Index of the tile within its level.
    pub index: u64,
    /// Number of hashes or entries; 256 for a full tile.
    pub width: u16,
}

/// A tile path that does not follow tlog-tiles.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "invalid tile path {path:?}: {reason} (expected e.g. tile/0/x001/234 or tile/entries/005.p/17)"
)]
pub struct TilePathError {
    /// The path as given.
    pub path: String,
    /// What is wrong with it.
    pub reason: &'static str,
}

impl Tile {
    /// Whether the tile holds all 256 hashes or entries.
    pub fn is_full(&self) -> bool {
        u64::from(self.width) == TILE_WIDTH
    }

    /// Relative path, e.g. `tile/0/x001/x234/067.p/8`.
    pub fn path(&self) -> String {
        self.to_string()
    }

    /// Size in bytes of a hash tile (entry bundles have no fixed size).
    pub fn hash_tile_len(&self) -> usize {
        usize::from(self.width) * HASH_SIZE
    }

    /// The tiles of `kind` (full ones last-first not included) that a checkpoint of `size` needs
    /// as partial tiles: one per level whose width `floor(size / 256^l) mod 256` is non-zero.
    pub fn partial_tiles(size: u64) -> Vec<Tile> {
        let mut out = Vec::new();
        let mut level = 0u8;
        let mut s = size;
        while s > 0 {
            let width = s % TILE_WIDTH;
            if width > 0 {
                // width < 256 fits a u16.
                out.push(Tile {
                    kind: TileKind::Hash(level),
                    index: s / TILE_WIDTH,
                    width: width as u16,
                });
                if level == 0 {
                    out.push(Tile {
                        kind: TileKind::Entries,
                        index: s / TILE_WIDTH,
                        width: width as u16,
                    });
                }
            }
            s /= TILE_WIDTH;
            level += 1;
        }
        out
    }

    /// Number of full tiles at hash level `level` in a tree of `size`.
    pub fn full_tile_count(level: u8, size: u64) -> u64 {
        let shift = 8 * (u32::from(level) + 1);
        if shift >= 64 { 0 } else { size >> shift }
    }
}

/// Where node `(level, index)` lives in hash tiles: tile level, tile index, first hash within
/// the tile, and how many tile hashes make up the node (a power of two up to 128; 1 when the
/// node is itself a tile hash).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NodeLocation {
    /// Hash tile level (`level / 8`).
    pub tile_level: u8,
    /// Tile index within that level.
    pub tile_index: u64,
    /// Position of the first hash within the tile.
    pub start: usize,
    /// Number of consecutive tile hashes whose tree hash is the node.
    pub count: usize,
}

/// Locates node `(level, index)` within the hash tiles.
pub fn node_location(level: u8, index: u64) -> NodeLocation {
    let tile_level = level / TILE_HEIGHT;
    let rel = u32::from(level % TILE_HEIGHT);
    let first = index << rel; // index of the first hash at level 8 * tile_level
    NodeLocation {
        tile_level,
        tile_index: first / TILE_WIDTH,
        start: (first % TILE_WIDTH) as usize,
        count: 1usize << rel,
    }
}

fn push_index(out: &mut String, n: u64) {
    let mut groups = Vec::new();
    let mut n = n;
    loop {
        groups.push(n % 1000);
        n /= 1000;
        if n == 0 {
            break;
        }
    }
    for (i, g) in groups.iter().rev().enumerate() {
        if i + 1 < groups.len() {
            out.push_str(&format!("x{g:03}/"));
        } else {
            out.push_str(&format!("{g:03}"));
        }
    }
}

impl fmt::Display for Tile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut s = String::from("tile/");
        match self.kind {
            TileKind::Hash(l) => s.push_str(&format!("{l}/")),
            TileKind::Entries => s.push_str("entries/"),
        }
        push_index(&mut s, self.index);
        if !self.is_full() {
            s.push_str(&format!(".p/{}", self.width));
        }
        f.write_str(&s)
    }
}

fn is_decimal_no_leading_zero(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) && (s == "0" || !s.starts_with('0'))
}

impl FromStr for Tile {
    type Err = TilePathError;

    fn from_str(path: &str) -> Result<Self, Self::Err> {
        let err = |reason| TilePathError {
            path: path.chars().take(200).collect(),
            reason,
        };
        let rest = path
            .strip_prefix("tile/")
            .ok_or_else(|| err("does not start with tile/"))?;
        let (kind_s, rest) = rest
            .split_once('/')
            .ok_or_else(|| err("missing tile index"))?;
        let kind = if kind_s == "entries" {
            TileKind::Entries
        } else {
            if !is_decimal_no_leading_zero(kind_s) {
                return Err(err("level is not a decimal without leading zeros"));
            }
            let l: u8 = kind_s.parse().map_err(|_| err("level is out of range"))?;
            if l > 63 {
                return Err(err("level is above 63"));
            }
            TileKind::Hash(l)
        };
        let (index_s, width) = match rest.split_once(".p/") {
            Some((i, w)) => {
                if !is_decimal_no_leading_zero(w) {
                    return Err(err("width is not a decimal without leading zeros"));
                }
                let w: u16 = w.parse().map_err(|_| err("width is out of range"))?;
                if !(1..=255).contains(&w) {
                    return Err(err("partial width must be 1 to 255"));
                }
                (i, w)
            }
            None => (rest, 256),
        };
        let parts: Vec<&str> = index_s.split('/').collect();
        let mut index: u64 = 0;
        for (i, part) in parts.iter().enumerate() {
            let digits = if i + 1 < parts.len() {
                part.strip_prefix('x')
                    .ok_or_else(|| err("non-final index element lacks x"))?
            } else {
                part
            };
            if digits.len() != 3 || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return Err(err("index elements must be three digits"));
            }
            let d: u64 = digits.parse().map_err(|_| err("bad index digits"))?;
            index = index
                .checked_mul(1000)
                .and_then(|v| v.checked_add(d))
                .ok_or_else(|| err("index overflows 64 bits"))?;
        }
        if parts.len() > 1 && parts[0] == "x000" {
            return Err(err("index has a leading x000 element"));
        }
        Ok(Tile { kind, index, width })
    }
}

/// An entry bundle that does not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BundleError {
    /// An entry is longer than a `u16` length prefix allows.
    #[error("entry {position} is {len} bytes; entry bundles hold at most 65535 bytes per entry")]
    EntryTooLarge {
        /// Position within the bundle.
        position: usize,
        /// Its length.
        len: usize,
    },
    /// The bundle ends in the middle of an entry.
    #[error(
        "entry bundle is truncated at byte {offset} (entry {position}): the file is torn or corrupt"
    )]
    Truncated {
        /// Byte offset of the damaged entry.
        offset: usize,
        /// Position of the damaged entry.
        position: usize,
    },
}

/// Encodes entries as an entry bundle (big-endian `u16` length prefixes).
///
/// # Errors
/// [`BundleError::EntryTooLarge`] if an entry exceeds 65535 bytes.
pub fn encode_bundle<E: AsRef<[u8]>>(entries: &[E]) -> Result<Vec<u8>, BundleError> {
    let mut out = Vec::with_capacity(entries.iter().map(|e| e.as_ref().len() + 2).sum());
    for (position, e) in entries.iter().enumerate() {
        let e = e.as_ref();
        let len = u16::try_from(e.len()).map_err(|_| BundleError::EntryTooLarge {
            position,
            len: e.len(),
        })?;
        out.extend_from_slice(&len.to_be_bytes());
        out.extend_from_slice(e);
    }
    Ok(out)
}

/// Splits an entry bundle into its entries.
///
/// # Errors
/// [`BundleError::Truncated`] if the bundle ends inside an entry.
pub fn decode_bundle(bytes: &[u8]) -> Result<Vec<&[u8]>, BundleError> {
    let mut out = Vec::new();
    let mut off = 0;
    while off < bytes.len() {
        let position = out.len();
        let trunc = BundleError::Truncated {
            offset: off,
            position,
        };
        let len_bytes = bytes.get(off..off + 2).ok_or(trunc.clone())?;
        let len = usize::from(u16::from_be_bytes([len_bytes[0], len_bytes[1]]));
        let e = bytes.get(off + 2..off + 2 + len).ok_or(trunc)?;
        out.push(e);
        off += 2 + len;
    }
    Ok(out)
}

/// Splits a hash tile into its hashes; `None` if the length is not a multiple of 32.
pub fn decode_hash_tile(bytes: &[u8]) -> Option<Vec<Hash>> {
    if bytes.len() % HASH_SIZE != 0 {
        return None;
    }
    Some(
        bytes
            .chunks_exact(HASH_SIZE)
            .filter_map(Hash::from_slice)
            .collect(),
    )
}

/// Concatenates hashes into a hash tile.
pub fn encode_hash_tile(hashes: &[Hash]) -> Vec<u8> {
    hashes.iter().flat_map(|h| h.0).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spec_example_index_encoding() {
        // tlog-tiles: "index 1234067 will be encoded as x001/x234/067".
        let t = Tile {
            kind: TileKind::Hash(0),
            index: 1_234_067,
            width: 256,
        };
        assert_eq!(t.path(), "tile/0/x001/x234/067");
        assert_eq!("tile/0/x001/x234/067".parse::<Tile>(), Ok(t));
        let e = Tile {
            kind: TileKind::Entries,
            index: 5,
            width: 17,
        };
        assert_eq!(e.path(), "tile/entries/005.p/17");
        assert_eq!("tile/entries/005.p/17".parse::<Tile>(), Ok(e));
    }

    #[test]
    fn rejects_malformed_paths() {
        for bad in [
            "tile/00/000",
            "tile/64/000",
            "tile/0/1",
            "tile/0/001/002",
            "tile/0/x000/001",
            "tile/0/000.p/0",
            "tile/0/000.p/256",
            "tile/0/000.p/07",
            "tiles/0/000",
            "tile/entries",
        ] {
            assert!(bad.parse::<Tile>().is_err(), "{bad} should be rejected");
        }
    }

    #[test]
    fn spec_example_partial_tiles() {
        // tlog-tiles: a tree of size 70,000 has "one partial level 0 tile of width 112, ...,
        // one partial level 1 tile of width 17, and one partial level 2 tile of width 1".
        let p = Tile::partial_tiles(70_000);
        let widths: Vec<(TileKind, u16)> = p.iter().map(|t| (t.kind, t.width)).collect();
        assert_eq!(
            widths,
            vec![
                (TileKind::Hash(0), 112),
                (TileKind::Entries, 112),
                (TileKind::Hash(1), 17),
                (TileKind::Hash(2), 1)
            ]
        );
        // 70,000 = 273 * 256 + 112: 273 full level-0 tiles, one full level-1 tile.
        assert_eq!(Tile::full_tile_count(0, 70_000), 273);
        assert_eq!(Tile::full_tile_count(1, 70_000), 1);
        assert_eq!(Tile::full_tile_count(2, 70_000), 0);
    }

    #[test]
    fn bundle_round_trip_and_truncation() {
        let b = encode_bundle(&[b"ab".as_slice(), b""]).unwrap_or_default();
        assert_eq!(b, vec![0, 2, b'a', b'b', 0, 0]);
        assert_eq!(decode_bundle(&b), Ok(vec![b"ab".as_slice(), b""]));
        assert!(decode_bundle(&b[..3]).is_err());
        assert!(encode_bundle(&[vec![0u8; 65_536]]).is_err());
    }

    #[test]
    fn node_locations() {
        // Level 8 node 300 is hash 44 of level-1 tile 1.
        assert_eq!(
            node_location(8, 300),
            NodeLocation {
                tile_level: 1,
                tile_index: 1,
                start: 44,
                count: 1
            }
        );
        // Level 3 node 33 covers leaves 264..272: hashes 8..16 of level-0 tile 1.
        assert_eq!(
            node_location(3, 33),
            NodeLocation {
                tile_level: 0,
                tile_index: 1,
                start: 8,
                count: 8
            }
        );
    }
}
