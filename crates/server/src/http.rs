//! The HTTP API (axum), a skeleton of issue 6's routes:
//!
//! - `POST /api/submissions`: body = a signed submission document (`docs/submissions.md`).
//!   `201` with `{"status":"accepted","log_index":..,"digest":..,"flags":[..]}`, `200` with
//!   `"status":"already-accepted"` for a replay, or the rejection JSON
//!   (`{"code","field","message"}`) with the code's HTTP status; `413` over the body limit.
//! - `GET /api/results`: the canonical results JSON.
//! - `GET /log/...`: the transparency log's checkpoint, key and tiles ([`crate::logroutes`]).

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, DefaultBodyLimit, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};

use crate::app::{App, SubmitError};

/// Default limit on a request body: 4 MiB (a county's precinct results are far smaller).
pub const DEFAULT_BODY_LIMIT: usize = 4 << 20;

fn json(status: StatusCode, body: String) -> Response {
    (status, [(header::CONTENT_TYPE, "application/json")], body).into_response()
}

async fn submit(
    State(app): State<Arc<App>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    body: Bytes,
) -> Response {
    let worker =
        tokio::task::spawn_blocking(move || app.submit(&body, Some(peer.ip().to_string())));
    match worker.await {
        Ok(Ok(a)) => {
            let status = if a.status == "accepted" {
                StatusCode::CREATED
            } else {
                StatusCode::OK
            };
            json(status, serde_json::to_string(&a).unwrap_or_default())
        }
        Ok(Err(SubmitError::Rejected(r))) => json(
            StatusCode::from_u16(r.code.http_status()).unwrap_or(StatusCode::BAD_REQUEST),
            serde_json::to_string(&r).unwrap_or_default(),
        ),
        Ok(Err(SubmitError::Internal(m))) => json(
            StatusCode::SERVICE_UNAVAILABLE,
            serde_json::json!({"code": "internal", "field": "", "message": m}).to_string(),
        ),
        Err(e) => json(
            StatusCode::INTERNAL_SERVER_ERROR,
            serde_json::json!({"code": "internal", "field": "", "message": e.to_string()})
                .to_string(),
        ),
    }
}

async fn results(State(app): State<Arc<App>>) -> Response {
    match tokio::task::spawn_blocking(move || app.results_json()).await {
        Ok(body) => json(StatusCode::OK, body),
        Err(e) => json(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
    }
}

/// The router, with a request body limit of `body_limit` bytes.
pub fn router(app: Arc<App>, body_limit: usize) -> Router {
    let log_dir = app.log().dir().to_path_buf();
    Router::new()
        .route("/api/submissions", post(submit))
        .route("/api/results", get(results))
        .layer(DefaultBodyLimit::max(body_limit))
        .with_state(app)
        .merge(crate::logroutes::router(log_dir))
}

/// Serves the API on `listener` until the process ends.
///
/// # Errors
/// I/O errors of the listener.
pub async fn serve(
    listener: tokio::net::TcpListener,
    app: Arc<App>,
    body_limit: usize,
) -> std::io::Result<()> {
    axum::serve(
        listener,
        router(app, body_limit).into_make_service_with_connect_info::<SocketAddr>(),
    )
    .await
}
