//! The log itself: the checkpoint (C2SP tlog-checkpoint, signed note) verified with the log
//! key and the witness policy, then every entry bundle and hash tile of the tree
//! (C2SP tlog-tiles) read and recomputed from the entries, up to the root.
//!
//! ```text
//! log/checkpoint          origin, size, root; signed by the log key, cosigned by witnesses
//! log/tile/entries/N      256 entries (u16 length-prefixed); the last one partial (.p/W)
//! log/tile/L/N            256 hashes, each recomputed from the entries and compared
//! ```

use canvass_log::merkle::root_of_hashes;
use canvass_log::tile::{TILE_WIDTH, Tile, TileKind, decode_bundle, decode_hash_tile};
use canvass_log::{Checkpoint, Hash, LogVerifier, WitnessPolicy, leaf_hash, tree_root};
use canvass_store::tlog::SourceTiles;

use crate::error::SourceError;
use crate::report::{Check, Finding};
use crate::source::{LogPart, Source};

/// A checkpoint as read from a source.
#[derive(Debug, Clone)]
pub struct Published {
    /// The checkpoint body.
    pub checkpoint: Checkpoint,
    /// The whole signed note.
    pub note: String,
    /// Whether the log key's signature verified.
    pub signed: bool,
    /// Witnesses that validly cosigned it (when a policy was given).
    pub witnesses: Vec<String>,
}

/// Reads `log/checkpoint` and verifies it with `verifier` and, if given, the witness
/// policy. A bad signature or an unmet policy is a finding, and the body is still parsed so
/// the rest of the log can be checked.
///
/// # Errors
/// [`SourceError`] if the checkpoint cannot be read or its body does not parse at all.
pub fn read_checkpoint(
    src: &dyn Source,
    verifier: &LogVerifier,
    policy: Option<&WitnessPolicy>,
    findings: &mut Vec<Finding>,
) -> Result<Published, SourceError> {
    let bytes = src
        .fetch("log/checkpoint")?
        .ok_or_else(|| SourceError::Missing {
            location: src.locate("log/checkpoint"),
        })?;
    let note = String::from_utf8_lossy(&bytes).into_owned();
    let (checkpoint, signed) = match verifier.open_checkpoint(&bytes) {
        Ok(cp) => (cp, true),
        Err(e) => {
            findings.push(
                Finding::new(
                    Check::Checkpoint,
                    format!(
                        "the checkpoint is not signed by the log key {}+{:08x}: {e}",
                        verifier.name(),
                        verifier.id()
                    ),
                )
                .code("checkpoint-unsigned"),
            );
            let text = note.split("\n\n").next().unwrap_or_default();
            let cp =
                Checkpoint::parse(&format!("{text}\n")).map_err(|e| SourceError::Malformed {
                    location: src.locate("log/checkpoint"),
                    reason: e.to_string(),
                })?;
            (cp, false)
        }
    };
    let mut witnesses = Vec::new();
    if let Some(p) = policy {
        match p.check(&bytes) {
            Ok(w) => witnesses = w,
            Err(e) => {
                findings.push(Finding::new(Check::Witness, e.to_string()).code("witness-policy"));
            }
        }
    }
    Ok(Published {
        checkpoint,
        note,
        signed,
        witnesses,
    })
}

/// Recomputes a log of `size` entries from its entry bundles, compares every hash tile with
/// the recomputed hashes, and returns the root read through the (matching) tiles, calling
/// `on_entry(index, entry)` for every entry in order and `progress(entries_done)` after each
/// bundle. A missing or malformed bundle ends the walk (a finding); a differing hash tile is a
/// finding and the walk goes on. Returns the root and the number of tile files read, or
/// `None` as root when the walk could not finish.
///
/// # Errors
/// [`SourceError`] when the source cannot be read (as opposed to holding wrong data).
pub fn walk(
    src: &dyn Source,
    size: u64,
    findings: &mut Vec<Finding>,
    on_entry: &mut dyn FnMut(u64, &[u8]),
    progress: &mut dyn FnMut(u64),
) -> Result<(Option<Hash>, u64), SourceError> {
    Walker::default().extend(src, size, findings, on_entry, progress)
}

/// A walk that can go on when the log grows (the monitor's): the hashes recomputed so far
/// that are not yet in a full tile, at each level.
#[derive(Debug, Default, Clone)]
pub struct Walker {
    levels: Vec<Vec<Hash>>,
    leaves: u64,
}

impl Walker {
    /// Entries walked so far.
    pub fn leaves(&self) -> u64 {
        self.leaves
    }

    /// Walks on from the entries seen so far to `size`, as [`walk`] does from 0 (the entries of
    /// the partial bundle seen before are read again and must hash as before). Returns the
    /// root of the `size` entries and the number of tile files read by this call; after a
    /// `None` root the walker must not be used again.
    ///
    /// # Errors
    /// [`SourceError`] when the source cannot be read.
    pub fn extend(
        &mut self,
        src: &dyn Source,
        size: u64,
        findings: &mut Vec<Finding>,
        on_entry: &mut dyn FnMut(u64, &[u8]),
        progress: &mut dyn FnMut(u64),
    ) -> Result<(Option<Hash>, u64), SourceError> {
        if self.levels.is_empty() {
            self.levels.push(Vec::new());
        }
        let mut files = 0u64;
        let mut tiles_ok = true;
        if size < self.leaves {
            return Ok((None, files));
        }
        for n in self.leaves / TILE_WIDTH..size.div_ceil(TILE_WIDTH) {
            let width = (size - n * TILE_WIDTH).min(TILE_WIDTH) as u16;
            let t = Tile {
                kind: TileKind::Entries,
                index: n,
                width,
            };
            let path = format!("log/{}", t.path());
            files += 1;
            let Some(bytes) = src.fetch(&path)? else {
                findings.push(
                    Finding::new(
                        Check::Tiles,
                        format!(
                            "entry bundle {} is missing, but the checkpoint covers it",
                            src.locate(&path)
                        ),
                    )
                    .at(n * TILE_WIDTH)
                    .code("bundle-missing"),
                );
                return Ok((None, files));
            };
            let entries = match decode_bundle(&bytes) {
                Ok(e) if e.len() == usize::from(width) => e,
                Ok(e) => {
                    findings.push(
                        Finding::new(
                            Check::Tiles,
                            format!(
                                "entry bundle {} holds a wrong number of entries",
                                src.locate(&path)
                            ),
                        )
                        .at(n * TILE_WIDTH)
                        .values(e.len().to_string(), width.to_string())
                        .code("bundle-malformed"),
                    );
                    return Ok((None, files));
                }
                Err(e) => {
                    findings.push(
                        Finding::new(
                            Check::Tiles,
                            format!("entry bundle {} is malformed: {e}", src.locate(&path)),
                        )
                        .at(n * TILE_WIDTH)
                        .code("bundle-malformed"),
                    );
                    return Ok((None, files));
                }
            };
            // Entries of this bundle walked before (it was partial): they must not change.
            let seen = (self.leaves - n * TILE_WIDTH) as usize;
            for (i, e) in entries.iter().take(seen).enumerate() {
                if self.levels[0].get(i) != Some(&leaf_hash(e)) {
                    findings.push(
                        Finding::new(
                            Check::Tiles,
                            format!(
                                "entry bundle {} changed an entry read before",
                                src.locate(&path)
                            ),
                        )
                        .at(n * TILE_WIDTH + i as u64)
                        .code("fork"),
                    );
                    return Ok((None, files));
                }
            }
            for e in entries.into_iter().skip(seen) {
                on_entry(self.leaves, e);
                self.leaves += 1;
                let mut h = leaf_hash(e);
                let mut level = 0usize;
                loop {
                    if self.levels.len() == level {
                        self.levels.push(Vec::new());
                    }
                    self.levels[level].push(h);
                    if self.levels[level].len() as u64 != TILE_WIDTH {
                        break;
                    }
                    let t = Tile {
                        kind: TileKind::Hash(level as u8),
                        index: (self.leaves >> (8 * (level as u32 + 1))) - 1,
                        width: 256,
                    };
                    files += 1;
                    tiles_ok &= compare_tile(src, &t, &self.levels[level], findings)?;
                    h = root_of_hashes(&self.levels[level]);
                    self.levels[level].clear();
                    level += 1;
                }
            }
            progress(self.leaves);
        }
        for t in Tile::partial_tiles(size) {
            if let TileKind::Hash(l) = t.kind {
                files += 1;
                let want = self
                    .levels
                    .get(usize::from(l))
                    .map_or(&[][..], Vec::as_slice);
                tiles_ok &= compare_tile(src, &t, want, findings)?;
            }
        }
        if !tiles_ok {
            return Ok((None, files));
        }
        // Every tile now matches the entries, so the root read through them is the entries'
        // root.
        let part = LogPart(src);
        let root =
            tree_root(&SourceTiles::new(&part, size), size).map_err(|e| SourceError::Fetch {
                location: src.locate("log/tile"),
                reason: e.to_string(),
            })?;
        Ok((Some(root), files))
    }
}

/// Compares one hash tile with the recomputed hashes; a difference is a finding.
fn compare_tile(
    src: &dyn Source,
    t: &Tile,
    want: &[Hash],
    findings: &mut Vec<Finding>,
) -> Result<bool, SourceError> {
    let path = format!("log/{}", t.path());
    let first = |i: usize| -> u64 {
        let TileKind::Hash(l) = t.kind else { return 0 };
        (t.index * TILE_WIDTH + i as u64) << (8 * u32::from(l))
    };
    let have = src.fetch(&path)?.and_then(|b| {
        (b.len() == t.hash_tile_len())
            .then(|| decode_hash_tile(&b))
            .flatten()
    });
    let Some(have) = have else {
        findings.push(
            Finding::new(
                Check::Tiles,
                format!(
                    "hash tile {} is missing or has the wrong length",
                    src.locate(&path)
                ),
            )
            .at(first(0))
            .code("tile-missing"),
        );
        return Ok(false);
    };
    if let Some(i) = have.iter().zip(want).position(|(a, b)| a != b) {
        findings.push(
            Finding::new(
                Check::Tiles,
                format!(
                    "hash {i} of tile {} differs from the hash recomputed from the entries (the log entry named is the first it covers)",
                    src.locate(&path)
                ),
            )
            .at(first(i))
            .values(have[i].to_hex(), want[i].to_hex())
            .code("tile-differs"),
        );
        return Ok(false);
    }
    Ok(true)
}
