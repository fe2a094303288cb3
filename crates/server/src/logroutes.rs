//! Read-only HTTP serving of a transparency log directory, per C2SP tlog-tiles
//! (`shared/reference/tlog/c2sp/tlog-tiles.md`), under the prefix `/log`:
//!
//! - `GET /log/checkpoint`: the latest published checkpoint, `text/plain; charset=utf-8`,
//!   `Cache-Control: no-store` (it is the only mutable resource).
//! - `GET /log/vkey`: the log's verifier key, `text/plain; charset=utf-8`.
//! - `GET /log/witnesses`: the witness policy checkpoints are published under (the
//!   `canvass verify --policy` format: `witness <vkey>` lines and `quorum <k>`), `404` when the
//!   log publishes without witnesses. Not part of tlog-tiles.
//! - `GET /log/tile/<L>/<N>[.p/<W>]` and `GET /log/tile/entries/<N>[.p/<W>]`: hash tiles and
//!   entry bundles, `application/octet-stream`, `Cache-Control: public, max-age=31536000,
//!   immutable`.
//!
//! Paths are parsed strictly and must be in canonical form (`x001/x234/067`, no leading zeros in
//! `<L>` or `<W>`, width 1 to 255): anything else is `400`. A well-formed tile that is not on
//! disk, or that lies beyond the latest published checkpoint, is `404`. A tile is served only
//! if its contents have the exact shape its path promises (`32 × W` bytes; a bundle of exactly
//! `W` entries), so a file damaged by a crash of the writer is never given immutable cache
//! headers; it is a `500` instead. Validated tiles are kept in memory as [`Bytes`] (up to
//! 64 MiB, looked up by the request path before anything is parsed): they never change. The
//! checkpoint and the verifier key are kept in memory too and read again only when the file's
//! inode, length or modification time changes (the log replaces the checkpoint by a rename).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path as UrlPath, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use canvass_log::tile::{Tile, TileKind, decode_bundle};

/// File in the log directory holding the witness policy (written by the server at start).
pub const WITNESSES_FILE: &str = "witnesses";

/// Cache-Control of immutable resources (tiles and bundles).
pub const IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// Cache-Control of the checkpoint.
pub const CHECKPOINT_CACHE: &str = "no-store";

const TEXT: &str = "text/plain; charset=utf-8";
const OCTETS: &str = "application/octet-stream";
/// How long a cached checkpoint size is trusted before the file is read again.
const SIZE_TTL: Duration = Duration::from_millis(500);
/// Bytes of validated tiles kept in memory (immutable, so never stale); when full, about half
/// of them are dropped.
const CACHE_BYTES: usize = 64 << 20;

/// What the routes share: the log directory and the size of the latest checkpoint.
#[derive(Debug)]
pub struct LogFiles {
    dir: PathBuf,
    size: RwLock<(u64, Option<Instant>)>,
    /// Validated tiles by their path below `/log/tile/`, and their total length.
    cache: RwLock<(HashMap<String, Bytes>, usize)>,
    checkpoint: SmallFile,
    vkey: SmallFile,
    witnesses: SmallFile,
}

/// Identity of a file's contents: a rename gives a new inode, a rewrite a new mtime.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Stamp {
    dev: u64,
    ino: u64,
    len: u64,
    mtime: (i64, i64),
    ctime: (i64, i64),
}

impl Stamp {
    fn of(m: &std::fs::Metadata) -> Self {
        use std::os::unix::fs::MetadataExt as _;
        Self {
            dev: m.dev(),
            ino: m.ino(),
            len: m.len(),
            mtime: (m.mtime(), m.mtime_nsec()),
            ctime: (m.ctime(), m.ctime_nsec()),
        }
    }
}

/// A small file (checkpoint, verifier key) kept in memory while its [`Stamp`] is unchanged.
#[derive(Debug)]
struct SmallFile {
    name: &'static str,
    cached: RwLock<Option<(Stamp, Bytes)>>,
}

impl SmallFile {
    fn new(name: &'static str) -> Self {
        Self {
            name,
            cached: RwLock::new(None),
        }
    }

    /// The file's contents: one `stat` when it has not changed, else a read.
    fn get(&self, dir: &Path) -> Result<Bytes, Box<Response>> {
        let path = dir.join(self.name);
        let stamp = match std::fs::metadata(&path) {
            Ok(m) => Stamp::of(&m),
            Err(e) => return Err(Box::new(io_error(&e))),
        };
        if let Ok(g) = self.cached.read() {
            if let Some((s, b)) = g.as_ref() {
                if *s == stamp {
                    return Ok(b.clone());
                }
            }
        }
        let file = std::fs::File::open(&path).map_err(|e| Box::new(io_error(&e)))?;
        // Stamp the opened file, so that a rename between `stat` and `open` cannot pair old
        // contents with a new stamp.
        let stamp = file
            .metadata()
            .map(|m| Stamp::of(&m))
            .map_err(|e| Box::new(io_error(&e)))?;
        let mut body = Vec::with_capacity(usize::try_from(stamp.len).unwrap_or(0));
        std::io::Read::read_to_end(&mut &file, &mut body).map_err(|e| Box::new(io_error(&e)))?;
        let body = Bytes::from(body);
        if let Ok(mut g) = self.cached.write() {
            *g = Some((stamp, body.clone()));
        }
        Ok(body)
    }
}

impl LogFiles {
    /// Serves the log in `dir` (as written by `canvass_store::tlog::Log`).
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self {
            dir: dir.into(),
            size: RwLock::new((0, None)),
            cache: RwLock::new((HashMap::new(), 0)),
            checkpoint: SmallFile::new("checkpoint"),
            vkey: SmallFile::new("vkey"),
            witnesses: SmallFile::new(WITNESSES_FILE),
        }
    }

    /// Tree size of the published checkpoint, re-read from disk at most every 500 ms unless
    /// `fresh` is set.
    fn checkpoint_size(&self, fresh: bool) -> u64 {
        if !fresh {
            if let Ok(g) = self.size.read() {
                if g.1.is_some_and(|t| t.elapsed() < SIZE_TTL) {
                    return g.0;
                }
            }
        }
        let size = std::fs::read(self.dir.join("checkpoint"))
            .ok()
            .and_then(|b| checkpoint_body_size(&b))
            .unwrap_or(0);
        if let Ok(mut g) = self.size.write() {
            *g = (size, Some(Instant::now()));
        }
        size
    }
}

/// The tree size line of a checkpoint note (the signature was checked when it was published).
fn checkpoint_body_size(note: &[u8]) -> Option<u64> {
    let text = std::str::from_utf8(note).ok()?;
    text.lines().nth(1)?.parse().ok()
}

/// The smallest tree size that needs `tile` to exist.
fn needed_size(t: &Tile) -> u64 {
    let level = match t.kind {
        TileKind::Entries => 0,
        TileKind::Hash(l) => u32::from(l),
    };
    let entries = t
        .index
        .saturating_mul(256)
        .saturating_add(u64::from(t.width));
    entries.checked_shl(8 * level).unwrap_or(u64::MAX)
}

fn respond(status: StatusCode, content_type: &str, cache: &str, body: Vec<u8>) -> Response {
    (
        status,
        [
            (header::CONTENT_TYPE, content_type.to_owned()),
            (header::CACHE_CONTROL, cache.to_owned()),
        ],
        body,
    )
        .into_response()
}

fn error(status: StatusCode, msg: String) -> Response {
    respond(status, TEXT, "no-store", format!("{msg}\n").into_bytes())
}

fn io_error(e: &std::io::Error) -> Response {
    if e.kind() == std::io::ErrorKind::NotFound {
        error(StatusCode::NOT_FOUND, "not found".into())
    } else {
        error(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("cannot read: {e}"),
        )
    }
}

fn read(path: &Path) -> Result<Vec<u8>, Box<Response>> {
    // Tiles are small and normally in the page cache, so they are read in place rather than on
    // a blocking thread; a cold read holds one worker for one disk read.
    std::fs::read(path).map_err(|e| Box::new(io_error(&e)))
}

fn small(status: StatusCode, cache: &'static str, body: Bytes) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, TEXT), (header::CACHE_CONTROL, cache)],
        body,
    )
        .into_response()
}

async fn checkpoint(State(files): State<Arc<LogFiles>>) -> Response {
    match files.checkpoint.get(&files.dir) {
        Ok(b) => small(StatusCode::OK, CHECKPOINT_CACHE, b),
        Err(r) => *r,
    }
}

async fn vkey(State(files): State<Arc<LogFiles>>) -> Response {
    match files.vkey.get(&files.dir) {
        Ok(b) => small(StatusCode::OK, "public, max-age=3600", b),
        Err(r) => *r,
    }
}

async fn witnesses(State(files): State<Arc<LogFiles>>) -> Response {
    match files.witnesses.get(&files.dir) {
        Ok(b) => small(StatusCode::OK, "public, max-age=60", b),
        Err(r) => *r,
    }
}

async fn tile(State(files): State<Arc<LogFiles>>, UrlPath(rest): UrlPath<String>) -> Response {
    // Only validated tiles at canonical paths are cached, so a hit needs no parsing.
    if let Some(b) = files
        .cache
        .read()
        .ok()
        .and_then(|c| c.0.get(&rest).cloned())
    {
        return immutable(b);
    }
    serve_tile(&files, &rest)
}

/// Serves one tile or bundle given its path below `/log/tile/`.
fn serve_tile(files: &LogFiles, rest: &str) -> Response {
    let path = format!("tile/{rest}");
    let path = path.as_str();
    let t: Tile = match path.parse() {
        Ok(t) => t,
        Err(e) => return error(StatusCode::BAD_REQUEST, e.to_string()),
    };
    if t.path() != path {
        return error(
            StatusCode::BAD_REQUEST,
            format!("{path} is not in canonical form; use {}", t.path()),
        );
    }
    let need = needed_size(&t);
    if need > files.checkpoint_size(false) && need > files.checkpoint_size(true) {
        return error(
            StatusCode::NOT_FOUND,
            format!("{path} lies beyond the latest checkpoint"),
        );
    }
    let body = match read(&files.dir.join(path)) {
        Ok(b) => b,
        Err(r) => return *r,
    };
    let shape_ok = match t.kind {
        TileKind::Hash(_) => body.len() == t.hash_tile_len(),
        TileKind::Entries => decode_bundle(&body).is_ok_and(|e| e.len() == usize::from(t.width)),
    };
    if !shape_ok {
        return error(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("{path} on disk does not have the shape its path requires"),
        );
    }
    let body = Bytes::from(body);
    if let Ok(mut c) = files.cache.write() {
        let (map, bytes) = &mut *c;
        if *bytes + body.len() > CACHE_BYTES {
            // Full: drop about half of the tiles (in hash order, so an arbitrary half) rather
            // than all of them, so that a hot set smaller than the cache mostly survives.
            let mut keep = false;
            map.retain(|_, b| {
                keep = !keep;
                if !keep {
                    *bytes -= b.len();
                }
                keep
            });
        }
        if map.insert(rest.to_owned(), body.clone()).is_none() {
            *bytes += body.len();
        }
    }
    immutable(body)
}

fn immutable(body: Bytes) -> Response {
    (
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, OCTETS),
            (header::CACHE_CONTROL, IMMUTABLE),
        ],
        body,
    )
        .into_response()
}

/// The `/log/...` routes over the log directory `dir`; merge into an application router.
pub fn router(dir: impl Into<PathBuf>) -> Router {
    Router::new()
        .route("/log/checkpoint", get(checkpoint))
        .route("/log/vkey", get(vkey))
        .route("/log/witnesses", get(witnesses))
        .route("/log/tile/{*rest}", get(tile))
        .route(
            "/log/{*rest}",
            get(|| async {
                error(
                    StatusCode::BAD_REQUEST,
                    "unknown path: the log serves /log/checkpoint, /log/vkey and /log/tile/..."
                        .into(),
                )
            }),
        )
        .with_state(Arc::new(LogFiles::new(dir)))
}

/// Serves only the log routes of `dir` on `listener` until the process ends (a read-only
/// mirror of a log directory).
///
/// # Errors
/// I/O errors of the listener.
pub async fn serve(listener: tokio::net::TcpListener, dir: PathBuf) -> std::io::Result<()> {
    axum::serve(listener, router(dir)).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_file_is_read_again_after_a_rename() {
        let dir = std::env::temp_dir().join(format!("logroutes-small-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("mkdir");
        let f = SmallFile::new("checkpoint");
        assert_eq!(
            f.get(&dir).map(|_| ()).map_err(|r| r.status()),
            Err(StatusCode::NOT_FOUND)
        );
        std::fs::write(dir.join("checkpoint"), b"origin\n1\nAAAA\n").expect("write");
        assert_eq!(f.get(&dir).expect("first").as_ref(), b"origin\n1\nAAAA\n");
        assert_eq!(f.get(&dir).expect("cached").as_ref(), b"origin\n1\nAAAA\n");
        // Same length, new contents, replaced by a rename as the log does it.
        std::fs::write(dir.join("tmp"), b"origin\n2\nBBBB\n").expect("write");
        std::fs::rename(dir.join("tmp"), dir.join("checkpoint")).expect("rename");
        assert_eq!(f.get(&dir).expect("second").as_ref(), b"origin\n2\nBBBB\n");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
