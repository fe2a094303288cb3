//! The append-only journal: the durability point of every append.
//!
//! Each segment `journal/<base, 20 digits>.wal` holds consecutive records starting at entry
//! `base`. A record is
//!
//! ```text
//! magic "CTL1" (4) | index u64 LE (8) | length u32 LE (4) | crc32 of index||length||data (4) | data
//! ```
//!
//! A batch is appended with one `write` and made durable with one `fdatasync`. After a crash
//! the tail of the last segment may hold a torn record; it is detected by its checksum and cut
//! off, because no acknowledged append can lie beyond it. Damage followed by a valid record is
//! corruption, not a torn write, and is reported instead.

use std::fs::{self, File};
use std::io::Write;
use std::path::{Path, PathBuf};

use super::error::{Result, StoreError};
use super::fsutil;

const MAGIC: &[u8; 4] = b"CTL1";
const HEADER: usize = 20;

/// Appends a record for `data` at `index` to `buf`.
pub(crate) fn encode_record(buf: &mut Vec<u8>, index: u64, data: &[u8]) {
    let len = data.len() as u32; // entries are at most 65535 bytes (checked by the caller)
    let mut crc = crc32fast::Hasher::new();
    crc.update(&index.to_le_bytes());
    crc.update(&len.to_le_bytes());
    crc.update(data);
    buf.extend_from_slice(MAGIC);
    buf.extend_from_slice(&index.to_le_bytes());
    buf.extend_from_slice(&len.to_le_bytes());
    buf.extend_from_slice(&crc.finalize().to_le_bytes());
    buf.extend_from_slice(data);
}

/// Decodes the record at `off`, if a complete valid one is there: (index, data, next offset).
fn decode_record(bytes: &[u8], off: usize) -> Option<(u64, &[u8], usize)> {
    let h = bytes.get(off..off + HEADER)?;
    if &h[..4] != MAGIC {
        return None;
    }
    let index = u64::from_le_bytes(h[4..12].try_into().ok()?);
    let len = u32::from_le_bytes(h[12..16].try_into().ok()?);
    let crc = u32::from_le_bytes(h[16..20].try_into().ok()?);
    if len > u32::from(u16::MAX) {
        return None;
    }
    let data = bytes.get(off + HEADER..off + HEADER + len as usize)?;
    let mut c = crc32fast::Hasher::new();
    c.update(&h[4..16]);
    c.update(data);
    (c.finalize() == crc).then_some((index, data, off + HEADER + len as usize))
}

/// Path of the segment starting at `base`.
pub(crate) fn segment_path(dir: &Path, base: u64) -> PathBuf {
    dir.join("journal").join(format!("{base:020}.wal"))
}

/// Segment bases present in `dir/journal`, ascending.
pub(crate) fn list_segments(dir: &Path) -> Result<Vec<u64>> {
    let jdir = dir.join("journal");
    let rd = match fs::read_dir(&jdir) {
        Ok(rd) => rd,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(StoreError::io("listing", &jdir, e)),
    };
    let mut out = Vec::new();
    for e in rd {
        let e = e.map_err(|e| StoreError::io("listing", &jdir, e))?;
        let name = e.file_name();
        let name = name.to_string_lossy();
        if let Some(base) = name
            .strip_suffix(".wal")
            .and_then(|b| b.parse::<u64>().ok())
        {
            out.push(base);
        }
    }
    out.sort_unstable();
    Ok(out)
}

/// Result of scanning one segment.
pub(crate) struct Scan {
    /// Byte length of the valid prefix.
    pub valid_len: u64,
    /// Whether a torn tail was found beyond `valid_len`.
    pub torn: bool,
}

/// Reads the records of segment `base`, calling `f(index, data)` for each valid one in order.
/// Records must be numbered consecutively from `base`. If `last` is true a torn tail is
/// tolerated (and reported); otherwise any damage is corruption.
pub(crate) fn scan_segment(
    dir: &Path,
    base: u64,
    last: bool,
    mut f: impl FnMut(u64, &[u8]) -> Result<()>,
) -> Result<Scan> {
    let path = segment_path(dir, base);
    let bytes = fs::read(&path).map_err(|e| StoreError::io("reading", &path, e))?;
    let mut off = 0usize;
    let mut expect = base;
    while off < bytes.len() {
        match decode_record(&bytes, off) {
            Some((index, data, next)) => {
                if index != expect {
                    return Err(StoreError::corrupt(
                        &path,
                        format!("record at byte {off} has index {index} but {expect} was expected"),
                    ));
                }
                f(index, data)?;
                expect += 1;
                off = next;
            }
            None => {
                // Torn write or corruption? A valid record after the damage means corruption.
                let later_valid = (off + 1..bytes.len())
                    .any(|o| bytes[o..].starts_with(MAGIC) && decode_record(&bytes, o).is_some());
                if !last || later_valid {
                    return Err(StoreError::corrupt(
                        &path,
                        format!(
                            "damaged record at byte {off} (entry {expect}) is followed by valid data"
                        ),
                    ));
                }
                return Ok(Scan {
                    valid_len: off as u64,
                    torn: true,
                });
            }
        }
    }
    Ok(Scan {
        valid_len: off as u64,
        torn: false,
    })
}

/// The active (last) journal segment, open for appending.
pub(crate) struct Journal {
    pub(crate) path: PathBuf,
    file: File,
    pub(crate) len: u64,
}

impl Journal {
    /// Opens (creating if needed) the segment starting at `base`, truncated to `valid_len`.
    pub(crate) fn open(dir: &Path, base: u64, valid_len: u64) -> Result<Self> {
        let jdir = dir.join("journal");
        let new = !jdir.exists();
        fs::create_dir_all(&jdir).map_err(|e| StoreError::io("creating directory", &jdir, e))?;
        let path = segment_path(dir, base);
        let existed = path.exists();
        let file = fsutil::open_append(&path)?;
        let len = file
            .metadata()
            .map_err(|e| StoreError::io("reading metadata of", &path, e))?
            .len();
        if len != valid_len {
            // Cut off a torn tail (never an acknowledged record: see the module docs).
            file.set_len(valid_len)
                .map_err(|e| StoreError::io("truncating torn tail of", &path, e))?;
            file.sync_all()
                .map_err(|e| StoreError::io("syncing", &path, e))?;
        }
        if !existed {
            file.sync_all()
                .map_err(|e| StoreError::io("syncing", &path, e))?;
            fsutil::sync_dir(&jdir)?;
            if new {
                fsutil::sync_dir(dir)?;
            }
        }
        Ok(Self {
            path,
            file,
            len: valid_len,
        })
    }

    /// Appends an encoded batch and makes it durable (one write, one fdatasync).
    pub(crate) fn append_durable(&mut self, batch: &[u8]) -> Result<()> {
        self.file
            .write_all(batch)
            .map_err(|e| StoreError::io("appending to", &self.path, e))?;
        self.file
            .sync_data()
            .map_err(|e| StoreError::io("syncing", &self.path, e))?;
        self.len += batch.len() as u64;
        Ok(())
    }
}
