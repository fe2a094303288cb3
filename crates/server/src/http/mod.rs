//! The HTTP API (axum) of issue 6; the full reference is `docs/http-api.md` and the OpenAPI 3
//! document served at `GET /api/openapi.json` ([`openapi`]).
//!
//! Write routes (signed documents, `text/plain`; no CORS; rate limited per IP and per signing
//! key; bodies over [`ServerConfig::body_limit`] get `413`):
//! - `POST /api/submissions`, `POST /api/key-changes`, `POST /api/certifications`;
//! - `POST /api/submissions/batch`: a JSON array of submission documents, logged in order in
//!   one log batch ([`MAX_BATCH_DOCUMENTS`], [`BATCH_BODY_LIMIT`]).
//!
//! Read routes (JSON; CORS for the configured origins):
//! - `GET /api/results`: the published results snapshot (`docs/results-json.md`), with
//!   `ETag` = its SHA-256 and `X-Canvass-Log-Index` / `X-Canvass-Tree-Size` tying it to the log;
//!   `If-None-Match` gives `304`.
//! - `GET /api/results/{state}`, `GET /api/contests/{id}`: parts of that snapshot.
//! - `GET /api/election`: the election definition, the bytes the roster binds by SHA-256.
//! - `GET /api/submissions/{log_index}`: the stored document and its inclusion proof;
//!   `GET /api/jurisdictions/{id}/submissions`: a jurisdiction's history.
//! - `GET /api/events` (Server-Sent Events), `GET /api/security-events?after=N`.
//! - `GET /log/...`: the transparency log's tiles ([`crate::logroutes`]).
//! - Audit records and reports: `POST /api/audit-records`, `GET /api/audits/...` ([`audit`]).
//!
//! Every error is JSON `{"code","field","message"}` ([`ApiError`]). Access logs go to
//! `tracing` (target `canvass::access`): method, path, status, latency, peer and bytes, never
//! bodies or keys.

mod access;
mod audit;
mod events;
mod limit;
pub mod openapi;
mod read;
pub mod site;
mod snapshot;
mod write;

use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::{Deserialize, Serialize};
use tower_http::cors::{AllowOrigin, CorsLayer};

use crate::app::App;

pub use limit::Limiter;
pub use write::{BATCH_BODY_LIMIT, MAX_BATCH_DOCUMENTS};

/// Default limit on a request body: 4 MiB (a county's precinct results are far smaller).
pub const DEFAULT_BODY_LIMIT: usize = 4 << 20;

/// How the server runs: limits, CORS and TLS.
#[derive(Debug, Clone, PartialEq)]
pub struct ServerConfig {
    /// Largest request body in bytes; larger ones get `413`.
    pub body_limit: usize,
    /// Requests per second allowed from one IP address (0: unlimited).
    pub per_ip_rps: u32,
    /// Signed documents per second allowed per signing key (0: unlimited).
    pub per_key_rps: u32,
    /// Requests a client may make at once before the rate applies (bucket size).
    pub burst: u32,
    /// Leave loopback peers (127.0.0.1, ::1) out of both rate limits, so local tools, the demo
    /// and benchmarks are never limited.
    pub exempt_loopback: bool,
    /// Origins allowed to read the API from a browser; empty = any origin.
    pub cors_origins: Vec<String>,
    /// PEM files of the certificate chain and the private key: serve HTTPS with rustls.
    pub tls: Option<(PathBuf, PathBuf)>,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            body_limit: DEFAULT_BODY_LIMIT,
            per_ip_rps: 100,
            per_key_rps: 20,
            burst: 200,
            exempt_loopback: true,
            cors_origins: Vec::new(),
            tls: None,
        }
    }
}

/// An error answer: `{"code","field","message"}`, like a submission's rejection.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ApiError {
    /// Stable kebab-case reason, e.g. `not-found`, `rate-limited`, `votes-above-ballots`.
    pub code: String,
    /// The field or parameter concerned (`document`, `signature`, a JSON path, `state`, ...).
    pub field: String,
    /// What is wrong and what to do next.
    pub message: String,
    /// The HTTP status (not serialized).
    #[serde(skip)]
    pub status: u16,
    /// Seconds to wait, sent as `Retry-After` (not serialized).
    #[serde(skip)]
    pub retry_after: Option<u64>,
}

impl ApiError {
    /// An error with this HTTP status.
    pub fn new(status: StatusCode, code: &str, field: &str, message: impl Into<String>) -> Self {
        ApiError {
            code: code.to_owned(),
            field: field.to_owned(),
            message: message.into(),
            status: status.as_u16(),
            retry_after: None,
        }
    }

    /// `404 not-found`.
    pub fn not_found(field: &str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not-found", field, message)
    }

    /// `500 internal` (or `503` when storage is failing).
    pub fn internal(message: impl std::fmt::Display) -> Self {
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "internal",
            "",
            format!("{message}: nothing was changed; retry later"),
        )
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut resp = json_response(status, serde_json::to_string(&self).unwrap_or_default());
        if let Some(s) = self.retry_after {
            limit::retry_after(&mut resp, s);
        }
        resp
    }
}

/// A JSON response with `no-store` caching.
pub(crate) fn json_response(status: StatusCode, body: String) -> Response {
    (
        status,
        [
            (header::CONTENT_TYPE, "application/json"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        body,
    )
        .into_response()
}

/// What the handlers share.
pub(crate) struct Shared {
    pub(crate) app: Arc<App>,
    pub(crate) limiter: Limiter,
    pub(crate) snapshots: snapshot::Cache,
    pub(crate) definition: read::DefinitionBody,
}

fn cors(origins: &[String]) -> CorsLayer {
    let allow = if origins.is_empty() {
        AllowOrigin::any()
    } else {
        AllowOrigin::list(
            origins
                .iter()
                .filter_map(|o| HeaderValue::from_str(o).ok())
                .collect::<Vec<_>>(),
        )
    };
    CorsLayer::new()
        .allow_origin(allow)
        .allow_methods([Method::GET, Method::HEAD])
        .allow_headers([
            header::IF_NONE_MATCH,
            header::ACCEPT,
            header::HeaderName::from_static("last-event-id"),
        ])
        .expose_headers([
            header::ETAG,
            header::HeaderName::from_static("x-canvass-log-index"),
            header::HeaderName::from_static("x-canvass-tree-size"),
        ])
        .max_age(Duration::from_secs(3600))
}

/// The router with the default configuration and a body limit of `body_limit` bytes.
pub fn router(app: Arc<App>, body_limit: usize) -> Router {
    router_with(
        app,
        &ServerConfig {
            body_limit,
            ..ServerConfig::default()
        },
    )
}

/// The whole API: read routes with CORS, write routes with the body and key limits, the
/// per-IP rate limit (not on the log's static, immutable tiles) and access logs.
pub fn router_with(app: Arc<App>, config: &ServerConfig) -> Router {
    let log_dir = app.log().dir().to_path_buf();
    let shared = Arc::new(Shared {
        app,
        limiter: Limiter::new(config),
        snapshots: snapshot::Cache::default(),
        definition: read::DefinitionBody::default(),
    });
    let read = Router::new()
        .route("/api/results", get(read::results))
        .route("/api/election", get(read::election))
        .route("/api/results/{state}", get(read::state_results))
        .route("/api/contests/{id}", get(read::contest))
        .route("/api/submissions/{log_index}", get(read::submission))
        .route(
            "/api/jurisdictions/{id}/submissions",
            get(read::jurisdiction_history),
        )
        .route("/api/security-events", get(read::security_events))
        .route("/api/events", get(events::events))
        .route("/api/openapi.json", get(openapi::serve))
        .layer(cors(&config.cors_origins));
    let write = Router::new()
        .route("/api/submissions", post(write::submission))
        .route(
            "/api/submissions/batch",
            post(write::submission_batch).layer(DefaultBodyLimit::max(
                write::BATCH_BODY_LIMIT.max(config.body_limit),
            )),
        )
        .route("/api/key-changes", post(write::key_change))
        .route("/api/certifications", post(write::certification))
        .layer(DefaultBodyLimit::max(config.body_limit));
    Router::new()
        .merge(read)
        .merge(write)
        .fallback(|| async {
            ApiError::not_found(
                "path",
                "no such route: see /api/openapi.json for the routes this server has",
            )
        })
        .with_state(shared.clone())
        .merge(site::router(shared.app.clone()))
        .merge(audit::router(shared.app.clone()))
        .layer(axum::middleware::from_fn_with_state(shared, limit::per_ip))
        .merge(crate::logroutes::router(log_dir))
        .layer(axum::middleware::from_fn(method_not_allowed))
        .layer(axum::middleware::from_fn(access::log))
}

/// Middleware: a `405` as a JSON error (axum's has an empty body). A layer rather than
/// `Router::method_not_allowed_fallback`, which would bypass the read routes' CORS layer.
async fn method_not_allowed(req: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let resp = next.run(req).await;
    if resp.status() != StatusCode::METHOD_NOT_ALLOWED {
        return resp;
    }
    let allow = resp.headers().get(header::ALLOW).cloned();
    let mut e = ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method-not-allowed",
        "method",
        "this route does not take that method: see /api/openapi.json",
    )
    .into_response();
    if let Some(a) = allow {
        e.headers_mut().insert(header::ALLOW, a);
    }
    e
}

/// Serves the API on `listener` with the default configuration until the process ends.
///
/// # Errors
/// I/O errors of the listener.
pub async fn serve(
    listener: tokio::net::TcpListener,
    app: Arc<App>,
    body_limit: usize,
) -> std::io::Result<()> {
    let config = ServerConfig {
        body_limit,
        ..ServerConfig::default()
    };
    serve_with(listener, app, &config, std::future::pending()).await
}

/// Serves the API on `listener` (HTTPS when `config.tls` is set) until `shutdown` completes,
/// then finishes the requests in flight (at most 10 s for TLS connections).
///
/// # Errors
/// I/O errors of the listener, or TLS certificate and key files that do not load.
pub async fn serve_with(
    listener: tokio::net::TcpListener,
    app: Arc<App>,
    config: &ServerConfig,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let service = router_with(app, config).into_make_service_with_connect_info::<SocketAddr>();
    let Some((cert, key)) = &config.tls else {
        return axum::serve(listener, service)
            .with_graceful_shutdown(shutdown)
            .await;
    };
    let tls = tls_config(cert, key)?;
    let handle = axum_server::Handle::new();
    let h = handle.clone();
    tokio::spawn(async move {
        shutdown.await;
        h.graceful_shutdown(Some(Duration::from_secs(10)));
    });
    axum_server::from_tcp_rustls(listener.into_std()?, tls)
        .handle(handle)
        .serve(service)
        .await
}

/// A rustls server configuration (ring provider, TLS 1.2 and 1.3) from PEM files.
///
/// # Errors
/// Unreadable files, no certificate, or a key that does not load or match.
pub fn tls_config(
    cert: &std::path::Path,
    key: &std::path::Path,
) -> std::io::Result<axum_server::tls_rustls::RustlsConfig> {
    use rustls::pki_types::pem::PemObject as _;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let bad = |path: &std::path::Path, e: &dyn std::fmt::Display| {
        std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            format!("{}: {e}: give a PEM file", path.display()),
        )
    };
    let chain = CertificateDer::pem_file_iter(cert)
        .map_err(|e| bad(cert, &e))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| bad(cert, &e))?;
    if chain.is_empty() {
        return Err(bad(cert, &"no CERTIFICATE block"));
    }
    let key_der = PrivateKeyDer::from_pem_file(key).map_err(|e| bad(key, &e))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut sc = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| bad(cert, &e))?
        .with_no_client_auth()
        .with_single_cert(chain, key_der)
        .map_err(|e| bad(key, &e))?;
    sc.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(axum_server::tls_rustls::RustlsConfig::from_config(
        Arc::new(sc),
    ))
}
