//! Read-only HTTP serving of a transparency log directory, per C2SP tlog-tiles
//! (`shared/reference/tlog/c2sp/tlog-tiles.md`), under the prefix `/log`:
//!
//! - `GET /log/checkpoint`: the latest published checkpoint, `text/plain; charset=utf-8`,
//!   `Cache-Control: no-store` (it is the only mutable resource).
//! - `GET /log/vkey`: the log's verifier key, `text/plain; charset=utf-8`.
//! - `GET /log/tile/<L>/<N>[.p/<W>]` and `GET /log/tile/entries/<N>[.p/<W>]`: hash tiles and
//!   entry bundles, `application/octet-stream`, `Cache-Control: public, max-age=31536000,
//!   immutable`.
//!
//! Paths are parsed strictly and must be in canonical form (`x001/x234/067`, no leading zeros in
//! `<L>` or `<W>`, width 1 to 255): anything else is `400`. A well-formed tile that is not on
//! disk, or that lies beyond the latest published checkpoint, is `404`. A tile is served only
//! if its contents have the exact shape its path promises (`32 × W` bytes; a bundle of exactly
//! `W` entries), so a file damaged by a crash of the writer is never given immutable cache
//! headers; it is a `500` instead. Validated tiles are kept in memory (up to 64 MiB): they
//! never change.

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

/// Cache-Control of immutable resources (tiles and bundles).
pub const IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// Cache-Control of the checkpoint.
pub const CHECKPOINT_CACHE: &str = "no-store";

const TEXT: &str = "text/plain; charset=utf-8";
const OCTETS: &str = "application/octet-stream";
/// How long a cached checkpoint size is trusted before the file is read again.
const SIZE_TTL: Duration = Duration::from_millis(500);
/// Bytes of validated tiles kept in memory (immutable, so never stale); emptied when full.
const CACHE_BYTES: usize = 64 << 20;

/// What the routes share: the log directory and the size of the latest checkpoint.
#[derive(Debug)]
pub struct LogFiles {
    dir: PathBuf,
    size: RwLock<(u64, Option<Instant>)>,
    cache: RwLock<(HashMap<String, Bytes>, usize)>,
}

impl LogFiles {
    /// Serves the log in `dir` (as written by `canvass_store::tlog::Log`).
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self {
            dir: dir.into(),
            size: RwLock::new((0, None)),
            cache: RwLock::new((HashMap::new(), 0)),
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

fn read(path: &Path) -> Result<Vec<u8>, Box<Response>> {
    // Tiles are small and normally in the page cache, so they are read in place rather than on
    // a blocking thread; a cold read holds one worker for one disk read.
    std::fs::read(path)
        .map_err(|e| {
            if e.kind() == std::io::ErrorKind::NotFound {
                error(StatusCode::NOT_FOUND, "not found".into())
            } else {
                error(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    format!("cannot read: {e}"),
                )
            }
        })
        .map_err(Box::new)
}

async fn checkpoint(State(files): State<Arc<LogFiles>>) -> Response {
    match read(&files.dir.join("checkpoint")) {
        Ok(b) => respond(StatusCode::OK, TEXT, CHECKPOINT_CACHE, b),
        Err(r) => *r,
    }
}

async fn vkey(State(files): State<Arc<LogFiles>>) -> Response {
    match read(&files.dir.join("vkey")) {
        Ok(b) => respond(StatusCode::OK, TEXT, "public, max-age=3600", b),
        Err(r) => *r,
    }
}

async fn tile(State(files): State<Arc<LogFiles>>, UrlPath(rest): UrlPath<String>) -> Response {
    serve_tile(&files, &format!("tile/{rest}"))
}

/// Serves one tile or bundle given its path relative to the prefix (`tile/...`).
fn serve_tile(files: &LogFiles, path: &str) -> Response {
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
    if let Some(b) = files.cache.read().ok().and_then(|c| c.0.get(path).cloned()) {
        return immutable(b);
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
        if c.1 + body.len() > CACHE_BYTES {
            *c = (HashMap::new(), 0);
        }
        c.1 += body.len();
        c.0.insert(path.to_owned(), body.clone());
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
