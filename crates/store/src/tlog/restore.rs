//! Rebuilding a log directory from the published files of a log (a backup, or a mirror of the
//! tiles), without the log's signing key: the tiles of the checkpoint's tree, a `state` file at
//! the last full tile, a journal segment holding the entries after it, the `vkey` and the
//! checkpoint. [`super::Log::open`] then recovers exactly that tree.

use std::path::Path;

use canvass_log::tile::{TILE_WIDTH, Tile, TileKind, decode_bundle};
use canvass_log::{Checkpoint, LogVerifier, tree_root};

use super::error::{Result, StoreError};
use super::reader::{LogSource, SourceTiles, published_from};
use super::{fsutil, journal, state};

/// Every hash tile and entry bundle of the tree of `size`: the full ones and the partial ones a
/// checkpoint of `size` needs.
pub fn tree_tiles(size: u64) -> Vec<Tile> {
    let mut out = Vec::new();
    for index in 0..Tile::full_tile_count(0, size) {
        out.push(Tile {
            kind: TileKind::Entries,
            index,
            width: 256,
        });
    }
    let mut level = 0u8;
    while Tile::full_tile_count(level, size) > 0 {
        for index in 0..Tile::full_tile_count(level, size) {
            out.push(Tile {
                kind: TileKind::Hash(level),
                index,
                width: 256,
            });
        }
        level += 1;
    }
    out.extend(Tile::partial_tiles(size));
    out
}

/// Writes into `to` (a directory without a log) the log whose published checkpoint and tiles
/// `from` holds, so that `Log::open(to, signer)` opens it at that checkpoint. The checkpoint is
/// verified with `verifier`; check the tiles first (e.g. with [`super::audit_from`]), as this
/// copies them as they are. Returns the checkpoint.
///
/// # Errors
/// [`StoreError::NotEmpty`] if `to` already holds a log; a checkpoint error; a missing or
/// malformed tile or bundle ([`StoreError::Corrupt`]); I/O errors.
pub fn restore_dir(
    from: &(impl LogSource + ?Sized),
    to: &Path,
    verifier: &LogVerifier,
) -> Result<Checkpoint> {
    let (_, cp, note) = published_from(from, Some(verifier))?;
    for name in ["checkpoint", "state", "journal", "tile"] {
        if to.join(name).exists() {
            return Err(StoreError::NotEmpty(to.join(name)));
        }
    }
    std::fs::create_dir_all(to).map_err(|e| StoreError::io("creating directory", to, e))?;
    for t in tree_tiles(cp.size) {
        let path = t.path();
        let bytes = from
            .fetch(&path)?
            .ok_or_else(|| StoreError::corrupt(&from.locate(&path), "missing"))?;
        let out = to.join(&path);
        if let Some(dir) = out.parent() {
            std::fs::create_dir_all(dir)
                .map_err(|e| StoreError::io("creating directory", dir, e))?;
        }
        fsutil::write_atomic(&out, &bytes, false)?;
    }
    // Everything below the last full tile is in full tiles; the rest goes to the journal,
    // which recovery replays on top of them.
    let synced = cp.size / TILE_WIDTH * TILE_WIDTH;
    if synced > 0 {
        let root = tree_root(&SourceTiles::new(from, cp.size), synced)
            .map_err(canvass_log::ProofError::from)?;
        state::write(to, &state::State { synced, root })?;
    }
    if cp.size > synced {
        let t = Tile {
            kind: TileKind::Entries,
            index: synced / TILE_WIDTH,
            width: (cp.size - synced) as u16, // below 256
        };
        let bytes = from
            .fetch(&t.path())?
            .ok_or_else(|| StoreError::corrupt(&from.locate(&t.path()), "missing"))?;
        let entries = decode_bundle(&bytes)
            .map_err(|e| StoreError::corrupt(&from.locate(&t.path()), e.to_string()))?;
        let mut buf = Vec::new();
        for (i, e) in (synced..).zip(entries) {
            journal::encode_record(&mut buf, i, e);
        }
        let jdir = to.join("journal");
        std::fs::create_dir_all(&jdir)
            .map_err(|e| StoreError::io("creating directory", &jdir, e))?;
        fsutil::write_atomic(&journal::segment_path(to, synced), &buf, true)?;
    }
    fsutil::write_atomic(
        &to.join("vkey"),
        format!("{}\n", verifier.to_vkey()).as_bytes(),
        true,
    )?;
    fsutil::sync_filesystem(to)?;
    fsutil::write_atomic(&to.join("checkpoint"), note.as_bytes(), true)?;
    Ok(cp)
}
