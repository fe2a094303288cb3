//! The `state` file: the largest tree size `S` (a multiple of 256) whose full tiles are known
//! to be durable, with the root at `S`. Recovery rebuilds from the tiles below `S` and replays
//! the journal from `S`.
//!
//! ```text
//! canvass tlog state v1
//! synced 65536
//! root <base64 root hash at 65536>
//! crc 1a2b3c4d
//! ```

use std::path::Path;

use canvass_log::{EMPTY_ROOT, Hash};

use super::error::{Result, StoreError};
use super::fsutil;

/// Durable tile state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct State {
    pub(crate) synced: u64,
    pub(crate) root: Hash,
}

impl Default for State {
    fn default() -> Self {
        Self {
            synced: 0,
            root: EMPTY_ROOT,
        }
    }
}

fn body(s: &State) -> String {
    format!(
        "canvass tlog state v1\nsynced {}\nroot {}\n",
        s.synced,
        s.root.to_base64()
    )
}

/// Reads the state file (the default state if there is none).
pub(crate) fn read(dir: &Path) -> Result<State> {
    let path = dir.join("state");
    let Some(bytes) = fsutil::read_optional(&path)? else {
        return Ok(State::default());
    };
    let bad = |d: &str| StoreError::corrupt(&path, d.to_owned());
    let text = std::str::from_utf8(&bytes).map_err(|_| bad("not UTF-8"))?;
    let (head, crc_line) = text
        .trim_end_matches('\n')
        .rsplit_once('\n')
        .ok_or_else(|| bad("too short"))?;
    let crc = crc_line
        .strip_prefix("crc ")
        .ok_or_else(|| bad("missing crc line"))?;
    if format!("{:08x}", crc32fast::hash(format!("{head}\n").as_bytes())) != crc {
        return Err(bad("checksum mismatch"));
    }
    let mut lines = head.lines();
    if lines.next() != Some("canvass tlog state v1") {
        return Err(bad("unknown version line"));
    }
    let synced = lines
        .next()
        .and_then(|l| l.strip_prefix("synced "))
        .and_then(|v| v.parse().ok())
        .ok_or_else(|| bad("bad synced line"))?;
    let root = lines
        .next()
        .and_then(|l| l.strip_prefix("root "))
        .and_then(|v| Hash::from_base64(v).ok())
        .ok_or_else(|| bad("bad root line"))?;
    Ok(State { synced, root })
}

/// Durably replaces the state file.
pub(crate) fn write(dir: &Path, s: &State) -> Result<()> {
    let b = body(s);
    let text = format!("{b}crc {:08x}\n", crc32fast::hash(b.as_bytes()));
    fsutil::write_atomic(&dir.join("state"), text.as_bytes(), true)
}
