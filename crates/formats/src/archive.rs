//! Zip archives (Dominion exports, Hart `CVRArchive_*.zip`) opened with bounds, so that a
//! hostile archive (a "zip bomb") cannot make a reader inflate, allocate or spend time
//! without bound.
//!
//! [`Archive`] wraps `zip::ZipArchive` (PKWARE APPNOTE 6.3 format, via the `zip` crate).
//! Every entry is checked twice against [`ZipLimits`]: before reading, by the sizes its
//! header declares, and while reading, by the bytes actually inflated (headers can lie).
//! The checks: the bytes one entry unpacks to, the bytes the whole archive unpacks to, and
//! the compression ratio of each entry once it has produced more than
//! [`ZIP_RATIO_FLOOR_BYTES`]. An archive beyond a limit is rejected whole; the error names
//! the archive and the entry, the limit, and says how to proceed.

use std::cell::Cell;
use std::io::{Read, Seek};
use std::path::Path;
use std::rc::Rc;

use crate::error::{FormatError, Location, Result};
use crate::limits::{
    MAX_FILES, MAX_ZIP_ENTRY_BYTES, MAX_ZIP_RATIO, MAX_ZIP_TOTAL_BYTES, ZIP_RATIO_FLOOR_BYTES,
};

/// The bounds one archive is read within.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ZipLimits {
    /// The most bytes one entry may unpack to.
    pub entry_bytes: u64,
    /// The most bytes all entries read from the archive may unpack to together.
    pub total_bytes: u64,
    /// The highest ratio of unpacked to packed bytes of one entry, checked once the entry
    /// has unpacked to more than [`ZIP_RATIO_FLOOR_BYTES`].
    pub ratio: u64,
}

impl Default for ZipLimits {
    fn default() -> Self {
        ZipLimits {
            entry_bytes: MAX_ZIP_ENTRY_BYTES,
            total_bytes: MAX_ZIP_TOTAL_BYTES,
            ratio: MAX_ZIP_RATIO,
        }
    }
}

/// What to do about an archive beyond a limit.
const PROCEED: &str =
    "if the archive is genuine, unpack it with a trusted tool and read the folder instead";

/// A zip archive whose entries are read within [`ZipLimits`].
pub struct Archive<R> {
    zip: zip::ZipArchive<R>,
    name: String,
    limits: ZipLimits,
    /// Bytes unpacked so far from every entry, shared with the open entry.
    total: Rc<Cell<u64>>,
}

/// Opens a zip archive on disk with the default [`ZipLimits`].
///
/// # Errors
/// [`FormatError::Io`] if the file cannot be opened; [`FormatError::Invalid`] if it is not
/// a zip archive or lists more than [`MAX_FILES`] entries.
pub fn open(path: &Path) -> Result<Archive<std::io::BufReader<std::fs::File>>> {
    let name = path.display().to_string();
    let f = std::fs::File::open(path).map_err(|e| FormatError::io(&name, e))?;
    Archive::new(std::io::BufReader::new(f), &name, ZipLimits::default())
}

impl<R: Read + Seek> Archive<R> {
    /// Reads the archive's directory; `name` names the archive in errors.
    ///
    /// # Errors
    /// As [`open`].
    pub fn new(reader: R, name: &str, limits: ZipLimits) -> Result<Self> {
        let zip = zip::ZipArchive::new(reader).map_err(|e| {
            FormatError::invalid(
                name,
                Location::File,
                "(zip)",
                format!("a folder or a zip archive ({e})"),
            )
        })?;
        if zip.len() > MAX_FILES {
            return Err(FormatError::invalid(
                name,
                Location::File,
                "(zip)",
                format!(
                    "at most {MAX_FILES} entries in one archive, found {}; split the archive",
                    zip.len()
                ),
            ));
        }
        Ok(Archive {
            zip,
            name: name.to_string(),
            limits,
            total: Rc::new(Cell::new(0)),
        })
    }

    /// The number of entries.
    pub fn len(&self) -> usize {
        self.zip.len()
    }

    /// Whether the archive has no entries.
    pub fn is_empty(&self) -> bool {
        self.zip.is_empty()
    }

    /// The name of entry `i`, if it exists.
    pub fn name_for_index(&self, i: usize) -> Option<&str> {
        self.zip.name_for_index(i)
    }

    /// Opens entry `i` for reading within the limits.
    ///
    /// # Errors
    /// [`FormatError::Invalid`] naming the archive and the entry if it cannot be read or its
    /// header declares a size or compression ratio beyond the limits.
    pub fn by_index(&mut self, i: usize) -> Result<Entry<'_, R>> {
        let archive = &self.name;
        let file = self.zip.by_index(i).map_err(|e| {
            FormatError::invalid(
                archive,
                Location::File,
                "(zip)",
                format!("a readable zip entry ({e})"),
            )
        })?;
        let shown = format!("{archive}!{}", file.name());
        let (size, packed) = (file.size(), file.compressed_size());
        let l = self.limits;
        let over = if size > l.entry_bytes {
            Some(entry_limit(l.entry_bytes))
        } else if size > l.total_bytes.saturating_sub(self.total.get()) {
            Some(total_limit(l.total_bytes))
        } else if size > ZIP_RATIO_FLOOR_BYTES && size / packed.max(1) > l.ratio {
            Some(ratio_limit(l.ratio))
        } else {
            None
        };
        if let Some(limit) = over {
            return Err(FormatError::invalid(
                &shown,
                Location::File,
                "(zip)",
                format!(
                    "an entry within the limits; its header declares {size} bytes packed into {packed}, beyond {limit}; {PROCEED}"
                ),
            ));
        }
        Ok(Entry {
            file,
            shown,
            packed,
            read: 0,
            limits: l,
            total: self.total.clone(),
        })
    }
}

fn entry_limit(n: u64) -> String {
    format!("the limit of {n} unpacked bytes per entry (limits::MAX_ZIP_ENTRY_BYTES)")
}

fn total_limit(n: u64) -> String {
    format!("the limit of {n} unpacked bytes per archive (limits::MAX_ZIP_TOTAL_BYTES)")
}

fn ratio_limit(n: u64) -> String {
    format!("the limit of {n}:1 on an entry's compression ratio (limits::MAX_ZIP_RATIO)")
}

/// One entry of an [`Archive`], read within its limits.
pub struct Entry<'a, R: Read> {
    file: zip::read::ZipFile<'a, R>,
    shown: String,
    packed: u64,
    read: u64,
    limits: ZipLimits,
    total: Rc<Cell<u64>>,
}

impl<R: Read> Entry<'_, R> {
    /// The entry's path inside the archive.
    pub fn name(&self) -> &str {
        self.file.name()
    }

    /// `archive.zip!entry`, as errors name it.
    pub fn shown(&self) -> &str {
        &self.shown
    }
}

impl<R: Read> Read for Entry<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.file.read(buf)?;
        let n64 = n as u64;
        self.read += n64;
        let total = self.total.get() + n64;
        self.total.set(total);
        let l = self.limits;
        let limit = if self.read > l.entry_bytes {
            entry_limit(l.entry_bytes)
        } else if total > l.total_bytes {
            total_limit(l.total_bytes)
        } else if self.read > ZIP_RATIO_FLOOR_BYTES && self.read / self.packed.max(1) > l.ratio {
            ratio_limit(l.ratio)
        } else {
            return Ok(n);
        };
        Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!(
                "{}: the entry unpacks beyond {limit} ({} bytes unpacked from {} packed); {PROCEED}",
                self.shown, self.read, self.packed
            ),
        ))
    }
}
