//! The published results snapshot ([`App::snapshot`]: the canonical results JSON, its SHA-256,
//! the log entry committing to it) as the read API serves it, with an index of its contests by
//! state for `GET /api/results/{state}`, parsed once per snapshot; and the response bodies
//! made from it ([`Encoded`]), kept with gzip and brotli variants compressed once per snapshot.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use axum::body::Bytes;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use crate::app::{App, Snapshot};

/// One published snapshot, with its parsed index built on first use.
pub(crate) struct Snap {
    /// The snapshot as the server core published it.
    pub(crate) inner: Arc<Snapshot>,
    parsed: OnceLock<Option<Parsed>>,
    /// `GET /api/results`: the canonical JSON itself (not copied) and its compressed variants.
    results: OnceLock<Arc<Encoded>>,
    /// `GET /api/results/{state}` bodies made so far, by postal code.
    states: Mutex<HashMap<String, Arc<Encoded>>>,
}

/// The snapshot's JSON as the bytes of a response body, shared rather than copied.
struct JsonBytes(Arc<str>);

impl AsRef<[u8]> for JsonBytes {
    fn as_ref(&self) -> &[u8] {
        self.0.as_bytes()
    }
}

/// The parsed results and where each contest is.
pub(crate) struct Parsed {
    /// The whole results object.
    pub(crate) value: Value,
    /// State postal code → indexes into `value["contests"]`, in definition order.
    pub(crate) by_state: HashMap<String, Vec<usize>>,
}

impl Snap {
    /// `"<hex sha256>"`, the strong entity tag.
    pub(crate) fn etag(&self) -> String {
        format!("\"{}\"", hex(&self.inner.sha256))
    }

    /// The body of `GET /api/results`: exactly the canonical JSON.
    pub(crate) fn results_body(&self) -> &Arc<Encoded> {
        self.results.get_or_init(|| {
            Encoded::new(Bytes::from_owner(JsonBytes(Arc::clone(&self.inner.json))))
        })
    }

    /// The body for `key` (e.g. a state's postal code), made by `make` once per snapshot.
    pub(crate) fn derived(&self, key: &str, make: impl FnOnce() -> String) -> Arc<Encoded> {
        let mut m = self
            .states
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        Arc::clone(
            m.entry(key.to_owned())
                .or_insert_with(|| Encoded::new(make())),
        )
    }

    /// The parsed results (once per snapshot); `None` if the JSON does not parse (a bug).
    pub(crate) fn parsed(&self) -> Option<&Parsed> {
        self.parsed
            .get_or_init(|| {
                let value: Value = serde_json::from_str(&self.inner.json).ok()?;
                let mut by_state: HashMap<String, Vec<usize>> = HashMap::new();
                for (i, c) in value["contests"].as_array()?.iter().enumerate() {
                    if let Some(s) = c["state"].as_str() {
                        by_state.entry(s.to_ascii_uppercase()).or_default().push(i);
                    }
                }
                Some(Parsed { value, by_state })
            })
            .as_ref()
    }
}

/// Lowercase hex.
pub(crate) fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes.iter().fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

/// The latest snapshot with its parsed index, kept while the core's snapshot is the same.
#[derive(Default)]
pub(crate) struct Cache {
    current: Mutex<Option<Arc<Snap>>>,
}

impl Cache {
    /// The current snapshot (cheap: no recomputation; the index is parsed once per snapshot).
    pub(crate) fn get(&self, app: &App) -> Arc<Snap> {
        let inner = app.snapshot();
        let mut cur = self
            .current
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(s) = cur.as_ref() {
            if Arc::ptr_eq(&s.inner, &inner) || s.inner.sha256 == inner.sha256 {
                return s.clone();
            }
        }
        let snap = Arc::new(Snap {
            inner,
            parsed: OnceLock::new(),
            results: OnceLock::new(),
            states: Mutex::new(HashMap::new()),
        });
        *cur = Some(snap.clone());
        snap
    }
}

/// One response body with its compressed variants, each made once: the identity bytes at
/// construction, gzip on the first request that accepts it (in a blocking task, so no worker
/// thread waits; concurrent requests await the same result), brotli in the background after
/// that (served once ready, gzip until then). Decompressing either variant gives exactly the
/// identity bytes, so a client hashing what it reads hashes the canonical document.
pub(crate) struct Encoded {
    identity: Bytes,
    gzip: tokio::sync::OnceCell<Option<Bytes>>,
    br: OnceLock<Bytes>,
    br_started: AtomicBool,
}

/// Bodies shorter than this are always sent as they are.
const MIN_COMPRESS: usize = 1024;

/// gzip level: the body is compressed once per snapshot, so the smallest output is worth it.
const GZIP_LEVEL: u32 = 9;

/// Brotli quality and window (log2): the best ratio, made once per snapshot off the request.
const BROTLI_QUALITY: u32 = 11;
const BROTLI_LGWIN: u32 = 22;

/// A content coding a response was sent with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Coding {
    /// No `Content-Encoding`.
    Identity,
    /// `Content-Encoding: gzip`.
    Gzip,
    /// `Content-Encoding: br`.
    Br,
}

/// Which codings an `Accept-Encoding` header allows (RFC 9110 12.5.3; `q=0` refuses a
/// coding, `*` stands for any coding not named).
pub(crate) fn accepted(headers: &HeaderMap) -> (bool, bool) {
    let (mut gzip, mut br, mut star) = (None, None, None);
    for v in headers
        .get_all(header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
    {
        for item in v.split(',') {
            let mut parts = item.split(';');
            let name = parts.next().unwrap_or("").trim().to_ascii_lowercase();
            let q_ok = parts
                .filter_map(|p| p.trim().strip_prefix("q=").or(p.trim().strip_prefix("Q=")))
                .all(|q| q.trim().parse::<f32>().is_ok_and(|q| q > 0.0));
            match name.as_str() {
                "gzip" | "x-gzip" => gzip = Some(q_ok),
                "br" => br = Some(q_ok),
                "*" => star = Some(q_ok),
                _ => {}
            }
        }
    }
    let star = star.unwrap_or(false);
    (gzip.unwrap_or(star), br.unwrap_or(star))
}

impl Encoded {
    /// A body, not yet compressed.
    pub(crate) fn new(body: impl Into<Bytes>) -> Arc<Self> {
        Arc::new(Encoded {
            identity: body.into(),
            gzip: tokio::sync::OnceCell::new(),
            br: OnceLock::new(),
            br_started: AtomicBool::new(false),
        })
    }

    /// The best variant the request's `Accept-Encoding` allows (cheap `Bytes` clones).
    pub(crate) async fn negotiate(self: &Arc<Self>, headers: &HeaderMap) -> (Bytes, Coding) {
        let (gzip, br) = accepted(headers);
        if self.identity.len() < MIN_COMPRESS || !(gzip || br) {
            return (self.identity.clone(), Coding::Identity);
        }
        if br {
            if let Some(b) = self.br.get() {
                return (b.clone(), Coding::Br);
            }
            self.start_br();
        }
        if gzip {
            if let Some(g) = self.gzip().await {
                return (g, Coding::Gzip);
            }
        }
        (self.identity.clone(), Coding::Identity)
    }

    /// The gzip variant, made on first use; `None` if making it failed.
    async fn gzip(&self) -> Option<Bytes> {
        self.gzip
            .get_or_init(|| async {
                let body = self.identity.clone();
                tokio::task::spawn_blocking(move || gzip(&body))
                    .await
                    .ok()
                    .flatten()
            })
            .await
            .clone()
    }

    /// Starts making the brotli variant in the background (once).
    fn start_br(self: &Arc<Self>) {
        if self.br_started.swap(true, Ordering::AcqRel) {
            return;
        }
        let this = Arc::clone(self);
        tokio::task::spawn_blocking(move || {
            if let Some(b) = brotli(&this.identity) {
                let _ = this.br.set(b);
            }
        });
    }
}

/// `body` gzipped (RFC 1952); `None` on an I/O error of the in-memory encoder.
pub(crate) fn gzip(body: &[u8]) -> Option<Bytes> {
    use std::io::Write as _;
    let mut enc = flate2::write::GzEncoder::new(
        Vec::with_capacity(body.len() / 8),
        flate2::Compression::new(GZIP_LEVEL),
    );
    enc.write_all(body).ok()?;
    enc.finish().ok().map(Bytes::from)
}

/// `body` in brotli (RFC 7932); `None` on an I/O error of the in-memory encoder.
pub(crate) fn brotli(body: &[u8]) -> Option<Bytes> {
    let mut out = Vec::with_capacity(body.len() / 10);
    let params = brotli::enc::BrotliEncoderParams {
        quality: BROTLI_QUALITY as i32,
        lgwin: BROTLI_LGWIN as i32,
        size_hint: body.len(),
        ..brotli::enc::BrotliEncoderParams::default()
    };
    brotli::BrotliCompress(&mut &body[..], &mut out, &params).ok()?;
    Some(Bytes::from(out))
}

/// A `200` (or `304` when the request's `If-None-Match` names `etag`) with `body` in the best
/// coding the request accepts, `Vary: Accept-Encoding`, `Cache-Control: no-cache` and the
/// strong `etag`. The ETag is the same for every coding: it names the decoded document (its
/// SHA-256 for results), which is what the page and `canvass verify` compare it with.
pub(crate) async fn respond(
    body: &Arc<Encoded>,
    headers: &HeaderMap,
    ctype: &'static str,
    etag: &str,
) -> Response {
    let matches = headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|t| t.trim().trim_start_matches("W/"))
        .any(|t| t == etag || t == "*");
    let mut resp = if matches {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        let (bytes, coding) = body.negotiate(headers).await;
        let mut r = ([(header::CONTENT_TYPE, ctype)], bytes).into_response();
        let enc = match coding {
            Coding::Identity => None,
            Coding::Gzip => Some("gzip"),
            Coding::Br => Some("br"),
        };
        if let Some(enc) = enc {
            r.headers_mut()
                .insert(header::CONTENT_ENCODING, HeaderValue::from_static(enc));
        }
        r
    };
    let h = resp.headers_mut();
    h.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    if let Ok(v) = HeaderValue::from_str(etag) {
        h.insert(header::ETAG, v);
    }
    resp
}

#[cfg(test)]
mod tests {
    use std::io::Read as _;

    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(*k, HeaderValue::from_str(v).unwrap());
        }
        h
    }

    #[test]
    fn accept_encoding_follows_rfc_9110() {
        let ae = |v: &str| accepted(&headers(&[("accept-encoding", v)]));
        // (gzip, br)
        assert_eq!(accepted(&HeaderMap::new()), (false, false));
        assert_eq!(ae("gzip, deflate, br, zstd"), (true, true));
        assert_eq!(ae("gzip"), (true, false));
        assert_eq!(ae("GZIP;q=0.5"), (true, false));
        assert_eq!(ae("br;q=1.0, gzip;q=0"), (false, true));
        assert_eq!(ae("identity"), (false, false));
        assert_eq!(ae("*"), (true, true));
        assert_eq!(ae("*;q=0"), (false, false));
        assert_eq!(ae("br, *;q=0"), (false, true));
        assert_eq!(ae("x-gzip"), (true, false));
    }

    /// A JSON-like body long enough to be compressed.
    fn body() -> String {
        let mut s = String::from("{\"contests\":[");
        for i in 0..400 {
            s.push_str(&format!(
                "{{\"id\":\"c{i}\",\"votes\":{}}},",
                i * 7919 % 1000
            ));
        }
        s.push_str("{}]}");
        s
    }

    #[test]
    fn gzip_and_brotli_give_back_the_same_bytes() {
        let b = body();
        let g = gzip(b.as_bytes()).unwrap();
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(&g[..])
            .read_to_end(&mut out)
            .unwrap();
        assert_eq!(out, b.as_bytes());
        assert!(g.len() < b.len() / 3, "gzip {} of {}", g.len(), b.len());
        let br = brotli(b.as_bytes()).unwrap();
        let mut out = Vec::new();
        ::brotli::Decompressor::new(&br[..], 4096)
            .read_to_end(&mut out)
            .unwrap();
        assert_eq!(out, b.as_bytes());
    }

    async fn answer(
        body: &Arc<Encoded>,
        h: &[(&'static str, &str)],
    ) -> (StatusCode, HeaderMap, Vec<u8>) {
        let resp = respond(body, &headers(h), "application/json", "\"abc\"").await;
        let (parts, b) = resp.into_parts();
        let bytes = axum::body::to_bytes(b, usize::MAX).await.unwrap();
        (parts.status, parts.headers, bytes.to_vec())
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn respond_negotiates_codings_with_one_strong_etag() {
        let b = body();
        let enc = Encoded::new(b.clone());

        // No Accept-Encoding: the identity bytes.
        let (st, h, got) = answer(&enc, &[]).await;
        assert_eq!(st, StatusCode::OK);
        assert!(h.get("content-encoding").is_none());
        assert_eq!(h["vary"], "accept-encoding");
        assert_eq!(h["etag"], "\"abc\"");
        assert_eq!(got, b.as_bytes());

        // gzip: compressed, decompresses to the identity bytes, same ETag.
        let (st, h, got) = answer(&enc, &[("accept-encoding", "gzip")]).await;
        assert_eq!(st, StatusCode::OK);
        assert_eq!(h["content-encoding"], "gzip");
        assert_eq!(h["etag"], "\"abc\"");
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(&got[..])
            .read_to_end(&mut out)
            .unwrap();
        assert_eq!(out, b.as_bytes());

        // br: gzip until the background brotli is ready, then br.
        let mut coding = String::new();
        for _ in 0..200 {
            let (_, h, got) = answer(&enc, &[("accept-encoding", "br, gzip")]).await;
            coding = h["content-encoding"].to_str().unwrap().to_owned();
            if coding == "br" {
                let mut out = Vec::new();
                ::brotli::Decompressor::new(&got[..], 4096)
                    .read_to_end(&mut out)
                    .unwrap();
                assert_eq!(out, b.as_bytes());
                break;
            }
            assert_eq!(coding, "gzip");
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        assert_eq!(coding, "br");

        // Revalidation: 304 for any coding, with the ETag and Vary.
        let (st, h, got) = answer(
            &enc,
            &[
                ("accept-encoding", "gzip"),
                ("if-none-match", "W/\"x\", \"abc\""),
            ],
        )
        .await;
        assert_eq!(st, StatusCode::NOT_MODIFIED);
        assert!(got.is_empty());
        assert_eq!(h["etag"], "\"abc\"");
        assert_eq!(h["vary"], "accept-encoding");
        assert!(h.get("content-encoding").is_none());
    }

    #[tokio::test]
    async fn small_bodies_are_sent_as_they_are() {
        let enc = Encoded::new("{\"ok\":true}");
        let (_, h, got) = answer(&enc, &[("accept-encoding", "gzip, br")]).await;
        assert!(h.get("content-encoding").is_none());
        assert_eq!(got, b"{\"ok\":true}");
    }
}
