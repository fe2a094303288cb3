//! Structured access logs: one `tracing` event per request (target `canvass::access`) with the
//! method, path (no query string), status, latency, peer address and response bytes. Bodies,
//! headers and keys are never logged. Successful `/log/` reads (static tiles, the checkpoint) are
//! logged at `debug`. Nothing is formatted unless the event is enabled.

use std::net::SocketAddr;
use std::time::Instant;

use axum::extract::{ConnectInfo, Request};
use axum::http::header;
use axum::middleware::Next;
use axum::response::Response;
use tracing::Level;

/// Middleware: logs each request when its response head is ready.
pub(crate) async fn log(req: Request, next: Next) -> Response {
    let start = Instant::now();
    let method = req.method().clone();
    let uri = req.uri().clone();
    let peer = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0);
    let resp = next.run(req).await;
    let status = resp.status().as_u16();
    let level = if status >= 500 {
        Level::WARN
    } else if status < 400 && uri.path().starts_with("/log/") {
        // Tiles and the checkpoint are static content; a CDN logs them in deployment.
        Level::DEBUG
    } else {
        Level::INFO
    };
    let enabled = match level {
        Level::WARN => tracing::enabled!(target: "canvass::access", Level::WARN),
        Level::DEBUG => tracing::enabled!(target: "canvass::access", Level::DEBUG),
        _ => tracing::enabled!(target: "canvass::access", Level::INFO),
    };
    if !enabled {
        return resp;
    }
    let path = uri.path();
    let peer = peer.map(|p| p.to_string()).unwrap_or_default();
    let bytes = resp
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
        .or_else(|| axum::body::HttpBody::size_hint(resp.body()).exact());
    let latency_us = u64::try_from(start.elapsed().as_micros()).unwrap_or(u64::MAX);
    match level {
        Level::WARN => {
            tracing::warn!(target: "canvass::access", %method, path, status, latency_us, peer, bytes, "request");
        }
        Level::DEBUG => {
            tracing::debug!(target: "canvass::access", %method, path, status, latency_us, peer, bytes, "request");
        }
        _ => {
            tracing::info!(target: "canvass::access", %method, path, status, latency_us, peer, bytes, "request");
        }
    }
    resp
}
