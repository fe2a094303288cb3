//! Small file-system helpers: atomic replacement, directory sync, whole-file-system sync.

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::Path;

use super::error::{Result, StoreError};

/// Writes `bytes` to `path` via a temporary file and a rename, so readers never see a
/// partially written file. With `durable`, the data and the rename are fsynced.
pub(crate) fn write_atomic(path: &Path, bytes: &[u8], durable: bool) -> Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let tmp = path.with_extension("tmp");
    let write = || -> std::io::Result<()> {
        let mut f = File::create(&tmp)?;
        f.write_all(bytes)?;
        if durable {
            f.sync_all()?;
        }
        Ok(())
    };
    if let Err(e) = write() {
        if e.kind() == std::io::ErrorKind::NotFound {
            fs::create_dir_all(dir).map_err(|e| StoreError::io("creating directory", dir, e))?;
            write().map_err(|e| StoreError::io("writing", &tmp, e))?;
        } else {
            return Err(StoreError::io("writing", &tmp, e));
        }
    }
    fs::rename(&tmp, path).map_err(|e| StoreError::io("renaming into", path, e))?;
    if durable {
        sync_dir(dir)?;
    }
    Ok(())
}

/// Fsyncs a directory so that renames and creations in it are durable.
pub(crate) fn sync_dir(dir: &Path) -> Result<()> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| StoreError::io("syncing directory", dir, e))
}

/// Flushes every dirty file of the file system holding `dir` (Linux `syncfs`), making all
/// tiles written so far durable in one call.
pub(crate) fn sync_filesystem(dir: &Path) -> Result<()> {
    let f = File::open(dir).map_err(|e| StoreError::io("opening", dir, e))?;
    rustix::fs::syncfs(&f).map_err(|e| StoreError::io("syncing file system of", dir, e.into()))
}

/// Opens a file for appending, creating it.
pub(crate) fn open_append(path: &Path) -> Result<File> {
    OpenOptions::new()
        .create(true)
        .append(true)
        .read(true)
        .open(path)
        .map_err(|e| StoreError::io("opening", path, e))
}

/// Reads a file; `Ok(None)` if it does not exist.
pub(crate) fn read_optional(path: &Path) -> Result<Option<Vec<u8>>> {
    match fs::read(path) {
        Ok(b) => Ok(Some(b)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(StoreError::io("reading", path, e)),
    }
}
