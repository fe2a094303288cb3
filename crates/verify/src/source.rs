//! Where a verifier reads an election from: the server's public URL paths, fetched over HTTP
//! ([`HttpSource`]), read from a static export ([`ExportDir`], the layout `canvass
//! export-site DIR` writes) or from a server's data directory ([`DataDir`]).
//!
//! ```text
//! path               HTTP                      export DIR              data DIR
//! log/checkpoint     GET <url>/log/checkpoint  DIR/log/checkpoint      DIR/log/checkpoint
//! log/vkey           GET <url>/log/vkey        DIR/log/vkey            DIR/log/vkey
//! log/tile/...       GET <url>/log/tile/...    DIR/log/tile/...        DIR/log/tile/...
//! api/results        GET <url>/api/results     DIR/api/results.json    (not published)
//! api/election       GET <url>/api/election    DIR/api/election.json   DIR/election.json
//! ```
//!
//! Besides paths, a source may hold the server's *index* of logged submissions (the
//! SQLite store, or `GET /api/submissions/{i}`), which must agree with the log byte for byte.

use std::cell::RefCell;
use std::path::{Path, PathBuf};
use std::time::Duration;

use canvass_store::Store as _;
use canvass_store::sqlite::SqliteStore;
use canvass_store::tlog::{LogSource, StoreError};

use crate::error::SourceError;
use crate::levels::ContestDoc;

/// Largest resource fetched over HTTP: a bundle of 256 entries of 65,535 bytes, with framing.
const MAX_FETCH: u64 = 17 << 20;

/// Largest election definition fetched over HTTP (the simulated national one, with its
/// 177,634 precincts, is about 25 MB).
const MAX_DEFINITION: u64 = 512 << 20;

/// Contest documents fetched at once from a server.
const CONTEST_FETCHERS: usize = 4;

/// What a source's index says about one logged submission.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stored {
    /// This source has no index (a static export).
    Unavailable,
    /// The index has no submission at this log index.
    Missing,
    /// The document the index holds.
    Document(Vec<u8>),
}

/// What a source says about its published election definition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Definition {
    /// It publishes none.
    Missing,
    /// It says it still is the one with the SHA-256 asked about (HTTP `304 Not Modified`).
    Unchanged,
    /// The bytes it publishes.
    Bytes(Vec<u8>),
}

/// The published resources of one election, by the server's URL path.
pub trait Source {
    /// Reads `path` (e.g. `log/checkpoint`, `api/results`); `Ok(None)` if it does not exist.
    ///
    /// # Errors
    /// I/O or transport errors.
    fn fetch(&self, path: &str) -> Result<Option<Vec<u8>>, SourceError>;

    /// Where `path` lives (a file or a URL), for messages.
    fn locate(&self, path: &str) -> String;

    /// The log index of the results snapshot that `api/results` is, when the source says
    /// (the server's `X-Canvass-Log-Index` header). Call after fetching `api/results`.
    fn results_log_index(&self) -> Option<u64> {
        None
    }

    /// The submission this source's index (store) holds at `log_index`.
    ///
    /// # Errors
    /// I/O, transport or database errors.
    fn stored(&self, log_index: u64) -> Result<Stored, SourceError> {
        let _ = log_index;
        Ok(Stored::Unavailable)
    }

    /// Each contest's results at every level (`api/contests/{id}`) with the snapshot each
    /// claims to be; `Ok(None)` if the source publishes no contest documents at all.
    ///
    /// # Errors
    /// I/O or transport errors.
    fn contests(&self, ids: &[String]) -> Result<Option<Vec<ContestDoc>>, SourceError> {
        let _ = ids;
        Ok(None)
    }

    /// The published election definition (`api/election`), unless the source says it still
    /// is the one whose SHA-256 (hex) is `known` (a server answering `If-None-Match` with
    /// `304`; that tells this client no less than the bytes would, since a server could serve
    /// other bytes to others either way).
    ///
    /// # Errors
    /// I/O or transport errors.
    fn definition(&self, known: Option<&str>) -> Result<Definition, SourceError> {
        let _ = known;
        Ok(match self.fetch(crate::definition::PATH)? {
            Some(b) => Definition::Bytes(b),
            None => Definition::Missing,
        })
    }

    /// Security events (refused documents) with id above `after`, as the JSON array of
    /// `GET /api/security-events`; `None` if the source has none.
    ///
    /// # Errors
    /// I/O or transport errors.
    fn security_events(&self, after: u64) -> Result<Option<serde_json::Value>, SourceError> {
        let _ = after;
        Ok(None)
    }
}

/// A running server, by its base URL (`http://127.0.0.1:8080`).
pub struct HttpSource {
    base: String,
    agent: ureq::Agent,
    results_index: RefCell<Option<u64>>,
}

impl HttpSource {
    /// A source for the server at `base` (no trailing slash needed).
    pub fn new(base: &str) -> Self {
        let agent = ureq::Agent::config_builder()
            .timeout_global(Some(Duration::from_secs(60)))
            .http_status_as_error(false)
            .build()
            .new_agent();
        HttpSource {
            base: base.trim_end_matches('/').to_owned(),
            agent,
            results_index: RefCell::new(None),
        }
    }

    fn get(&self, path: &str) -> Result<Option<(Vec<u8>, ureq::http::HeaderMap)>, SourceError> {
        get(&self.agent, &self.base, path)
    }
}

fn get(
    agent: &ureq::Agent,
    base: &str,
    path: &str,
) -> Result<Option<(Vec<u8>, ureq::http::HeaderMap)>, SourceError> {
    match get_if(agent, base, path, None, MAX_FETCH)? {
        Got::Body(b, h) => Ok(Some((b, h))),
        Got::NotFound | Got::NotModified => Ok(None),
    }
}

/// An answer to a GET.
enum Got {
    Body(Vec<u8>, ureq::http::HeaderMap),
    NotFound,
    NotModified,
}

/// GETs `base/path` (with `If-None-Match: etag` when given), reading at most `limit` bytes.
fn get_if(
    agent: &ureq::Agent,
    base: &str,
    path: &str,
    etag: Option<&str>,
    limit: u64,
) -> Result<Got, SourceError> {
    let url = format!("{base}/{path}");
    let failed = |reason: String| SourceError::Fetch {
        location: url.clone(),
        reason,
    };
    let mut req = agent.get(&url);
    if let Some(t) = etag {
        req = req.header("if-none-match", format!("\"{t}\""));
    }
    let mut resp = req.call().map_err(|e| failed(e.to_string()))?;
    match resp.status().as_u16() {
        200 => {}
        304 if etag.is_some() => return Ok(Got::NotModified),
        404 => return Ok(Got::NotFound),
        s => return Err(failed(format!("HTTP status {s}"))),
    }
    let headers = resp.headers().clone();
    let body = resp
        .body_mut()
        .with_config()
        .limit(limit)
        .read_to_vec()
        .map_err(|e| failed(e.to_string()))?;
    Ok(Got::Body(body, headers))
}

impl Source for HttpSource {
    fn fetch(&self, path: &str) -> Result<Option<Vec<u8>>, SourceError> {
        if path == crate::definition::PATH {
            return Ok(match self.definition(None)? {
                Definition::Bytes(b) => Some(b),
                Definition::Missing | Definition::Unchanged => None,
            });
        }
        let got = self.get(path)?;
        if path == "api/results" {
            *self.results_index.borrow_mut() = got.as_ref().and_then(|(_, h)| log_index(h));
        }
        Ok(got.map(|(b, _)| b))
    }

    fn locate(&self, path: &str) -> String {
        format!("{}/{path}", self.base)
    }

    fn definition(&self, known: Option<&str>) -> Result<Definition, SourceError> {
        let path = crate::definition::PATH;
        Ok(
            match get_if(&self.agent, &self.base, path, known, MAX_DEFINITION)? {
                Got::Body(b, _) => Definition::Bytes(b),
                Got::NotFound => Definition::Missing,
                Got::NotModified => Definition::Unchanged,
            },
        )
    }

    fn results_log_index(&self) -> Option<u64> {
        *self.results_index.borrow()
    }

    fn stored(&self, log_index: u64) -> Result<Stored, SourceError> {
        let path = format!("api/submissions/{log_index}");
        let Some((body, _)) = self.get(&path)? else {
            return Ok(Stored::Missing);
        };
        let v: serde_json::Value =
            serde_json::from_slice(&body).map_err(|e| SourceError::Malformed {
                location: self.locate(&path),
                reason: e.to_string(),
            })?;
        let doc = v["document"]
            .as_str()
            .ok_or_else(|| SourceError::Malformed {
                location: self.locate(&path),
                reason: "no document field".into(),
            })?;
        Ok(Stored::Document(doc.as_bytes().to_vec()))
    }

    fn contests(&self, ids: &[String]) -> Result<Option<Vec<ContestDoc>>, SourceError> {
        let chunk = ids.len().div_ceil(CONTEST_FETCHERS).max(1);
        let parts: Vec<Result<Vec<ContestDoc>, SourceError>> = std::thread::scope(|s| {
            let handles: Vec<_> = ids
                .chunks(chunk)
                .map(|part| {
                    let (agent, base) = (&self.agent, self.base.as_str());
                    s.spawn(move || {
                        part.iter()
                            .map(|id| {
                                let got = get(agent, base, &format!("api/contests/{id}"))?;
                                let log_index = got.as_ref().and_then(|(_, h)| log_index(h));
                                Ok(ContestDoc {
                                    id: id.clone(),
                                    body: got.map(|(b, _)| b),
                                    log_index,
                                })
                            })
                            .collect()
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| {
                    h.join().unwrap_or_else(|_| {
                        Err(SourceError::Fetch {
                            location: self.locate("api/contests"),
                            reason: "a fetching thread panicked".into(),
                        })
                    })
                })
                .collect()
        });
        let mut out = Vec::with_capacity(ids.len());
        for p in parts {
            out.extend(p?);
        }
        Ok(Some(out))
    }

    fn security_events(&self, after: u64) -> Result<Option<serde_json::Value>, SourceError> {
        let path = format!("api/security-events?after={after}&limit=1000");
        let Some((body, _)) = self.get(&path)? else {
            return Ok(None);
        };
        serde_json::from_slice(&body)
            .map(Some)
            .map_err(|e| SourceError::Malformed {
                location: self.locate(&path),
                reason: e.to_string(),
            })
    }
}

/// The `X-Canvass-Log-Index` header.
fn log_index(h: &ureq::http::HeaderMap) -> Option<u64> {
    h.get("x-canvass-log-index")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
}

/// A static export: `DIR/log/...`, `DIR/api/results.json` (its snapshot's log index in
/// `DIR/api/results-meta.json`) and `DIR/api/contests/{id}.json`.
#[derive(Debug, Clone)]
pub struct ExportDir {
    dir: PathBuf,
}

impl ExportDir {
    /// The export in `dir`.
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        ExportDir { dir: dir.into() }
    }

    fn file(&self, path: &str) -> PathBuf {
        match path {
            "api/results" => self.dir.join("api/results.json"),
            "api/election" => self.dir.join("api/election.json"),
            p if p.starts_with("api/contests/") => self.dir.join(format!("{p}.json")),
            p => self.dir.join(p),
        }
    }
}

fn read_optional(path: &Path) -> Result<Option<Vec<u8>>, SourceError> {
    match std::fs::read(path) {
        Ok(b) => Ok(Some(b)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(SourceError::Fetch {
            location: path.display().to_string(),
            reason: e.to_string(),
        }),
    }
}

impl Source for ExportDir {
    fn fetch(&self, path: &str) -> Result<Option<Vec<u8>>, SourceError> {
        read_optional(&self.file(path))
    }

    fn results_log_index(&self) -> Option<u64> {
        let meta = read_optional(&self.dir.join("api/results-meta.json")).ok()??;
        serde_json::from_slice::<serde_json::Value>(&meta).ok()?["log_index"].as_u64()
    }

    /// `export-site` writes every contest's document with the results it derives them from,
    /// so each claims the snapshot of `api/results.json`.
    fn contests(&self, ids: &[String]) -> Result<Option<Vec<ContestDoc>>, SourceError> {
        if !self.dir.join("api/contests").is_dir() {
            return Ok(None);
        }
        let log_index = self.results_log_index();
        ids.iter()
            .map(|id| {
                Ok(ContestDoc {
                    id: id.clone(),
                    body: read_optional(&self.file(&format!("api/contests/{id}")))?,
                    log_index,
                })
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Some)
    }

    fn locate(&self, path: &str) -> String {
        self.file(path).display().to_string()
    }
}

/// A server's data directory: the log under `DIR/log`, the store `DIR/canvass.db`. Results
/// are not published there (the server recomputes them on open).
pub struct DataDir {
    dir: PathBuf,
    store: RefCell<Option<SqliteStore>>,
}

impl DataDir {
    /// The data directory `dir`.
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        DataDir {
            dir: dir.into(),
            store: RefCell::new(None),
        }
    }

    /// Whether `dir` looks like a data directory (it has `canvass.db`).
    pub fn is_data_dir(dir: &Path) -> bool {
        dir.join("canvass.db").is_file()
    }
}

impl Source for DataDir {
    fn fetch(&self, path: &str) -> Result<Option<Vec<u8>>, SourceError> {
        if path.starts_with("log/") {
            read_optional(&self.dir.join(path))
        } else if path == crate::definition::PATH {
            read_optional(&canvass_server::io::definition_path(&self.dir))
        } else {
            Ok(None)
        }
    }

    fn locate(&self, path: &str) -> String {
        if path == crate::definition::PATH {
            return canvass_server::io::definition_path(&self.dir)
                .display()
                .to_string();
        }
        self.dir.join(path).display().to_string()
    }

    fn stored(&self, log_index: u64) -> Result<Stored, SourceError> {
        let db = self.dir.join("canvass.db");
        let mut slot = self.store.borrow_mut();
        if slot.is_none() {
            *slot = Some(SqliteStore::open(&db).map_err(|e| SourceError::Fetch {
                location: db.display().to_string(),
                reason: e.to_string(),
            })?);
        }
        let Some(store) = slot.as_ref() else {
            return Ok(Stored::Unavailable);
        };
        match store.submission_at(log_index) {
            Ok(Some(r)) => Ok(Stored::Document(r.document)),
            Ok(None) => Ok(Stored::Missing),
            Err(e) => Err(SourceError::Fetch {
                location: db.display().to_string(),
                reason: e.to_string(),
            }),
        }
    }
}

/// The log part of a [`Source`] as a `canvass-store` [`LogSource`] (paths under `log/`), so
/// the store's tile readers and proofs work on any source.
pub struct LogPart<'a>(pub &'a dyn Source);

impl LogSource for LogPart<'_> {
    fn fetch(&self, path: &str) -> Result<Option<Vec<u8>>, StoreError> {
        self.0
            .fetch(&format!("log/{path}"))
            .map_err(|e| StoreError::Io {
                op: "fetching",
                path: PathBuf::from(self.0.locate(&format!("log/{path}"))),
                source: std::io::Error::other(e.to_string()),
            })
    }

    fn locate(&self, path: &str) -> PathBuf {
        PathBuf::from(self.0.locate(&format!("log/{path}")))
    }
}

/// The source for a command-line argument: an `http://` or `https://` URL, a data directory
/// (it has `canvass.db`), or a static export directory.
pub fn open(arg: &str) -> Box<dyn Source> {
    if arg.starts_with("http://") || arg.starts_with("https://") {
        Box::new(HttpSource::new(arg))
    } else if DataDir::is_data_dir(Path::new(arg)) {
        Box::new(DataDir::new(arg))
    } else {
        Box::new(ExportDir::new(arg))
    }
}

/// The definition `src` publishes, read whole.
///
/// # Errors
/// I/O or transport errors.
pub fn served_definition(
    src: &dyn Source,
) -> Result<Option<std::sync::Arc<crate::definition::Served>>, SourceError> {
    Ok(match src.definition(None)? {
        Definition::Bytes(bytes) => Some(std::sync::Arc::new(crate::definition::Served {
            bytes,
            location: src.locate(crate::definition::PATH),
        })),
        Definition::Missing | Definition::Unchanged => None,
    })
}
